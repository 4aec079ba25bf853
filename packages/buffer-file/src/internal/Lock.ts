import * as fs from "node:fs"

/**
 * The folder's lock: a file `LOCK` created with `O_CREAT | O_EXCL` (atomic on local file systems:
 * exactly one creator wins) holding the holder's pid. `node:fs` offers no `flock`/`fcntl` lock that
 * the kernel would release when a process dies, so a lock left by a dead process is recognised by
 * its pid: `kill(pid, 0)` failing with `ESRCH` means nobody by that pid is alive. Such a stale lock
 * is moved aside under a name of our own (a rename, which only one process can win) and checked
 * again before it is deleted, so that two processes reclaiming the same stale lock do not both
 * end up holding it. A lock naming this very process is held only if this process took it (a
 * registry of the locks it holds says so): in a container the application often gets the same pid
 * at every start, and a lock left by the previous start must not lock it out. A pid reused by an
 * unrelated process after a reboot reads as alive: the lock is then reported held, naming that pid,
 * until a person removes the file. A lock file without a readable pid (its creator died between
 * creating and writing it) counts as stale once it is older than `UNREADABLE_STALE_AFTER_MS`.
 */

/** How long a lock file without a pid may belong to a process still writing its pid into it. */
const UNREADABLE_STALE_AFTER_MS = 10_000

export type LockOutcome =
  | { readonly _tag: "Acquired" }
  /** `pid` is undefined when the lock file names no pid yet. */
  | { readonly _tag: "Held"; readonly pid: number | undefined }

interface Holder {
  readonly pid: number | undefined
  readonly ageMs: number
}

const errorCode = (error: unknown): string | undefined =>
  error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined

const readHolder = (file: string): Holder | undefined => {
  try {
    const text = fs.readFileSync(file, "utf8").trim()
    const pid = /^\d+$/.test(text) ? Number(text) : undefined
    return { pid, ageMs: Date.now() - fs.statSync(file).mtimeMs }
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined
    throw error
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) !== "ESRCH"
  }
}

// Shared through the global symbol registry, so that two copies of this module loaded in one
// process (two versions of the package) still see each other's locks.
const REGISTRY = Symbol.for("@resilient-mq/buffer-file/locks")
const heldHere: Set<string> = (() => {
  const registry = globalThis as typeof globalThis & { [REGISTRY]?: Set<string> }
  return registry[REGISTRY] ??= new Set<string>()
})()

const isStale = (file: string, holder: Holder, pid: number): boolean =>
  holder.pid === undefined
    ? holder.ageMs > UNREADABLE_STALE_AFTER_MS
    : holder.pid === pid
    ? !heldHere.has(file)
    : !isAlive(holder.pid)

const tryCreate = (file: string, pid: number): boolean => {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600)
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false
    throw error
  }
  try {
    fs.writeSync(fd, `${pid}\n`)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  return true
}

/** Takes the lock `file` for process `pid`, or says who holds it. Throws on file system errors. */
export const acquireLock = (file: string, pid: number): LockOutcome => {
  // A few rounds: each lost race (a holder releasing, another process reclaiming) costs one.
  for (let round = 0; round < 5; round++) {
    if (tryCreate(file, pid)) {
      heldHere.add(file)
      return { _tag: "Acquired" }
    }
    const holder = readHolder(file)
    if (holder === undefined) continue
    if (!isStale(file, holder, pid)) return { _tag: "Held", pid: holder.pid }
    const aside = `${file}.stale-${pid}`
    try {
      fs.renameSync(file, aside)
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue
      throw error
    }
    const moved = readHolder(aside)
    if (moved !== undefined && !isStale(file, moved, pid)) {
      // Another process reclaimed the stale lock between our check and our rename: the file we
      // moved is its live lock. Put it back (a link fails if yet another lock appeared meanwhile).
      try {
        fs.linkSync(aside, file)
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error
      } finally {
        fs.unlinkSync(aside)
      }
      return { _tag: "Held", pid: moved.pid }
    }
    fs.unlinkSync(aside)
  }
  return { _tag: "Held", pid: readHolder(file)?.pid }
}

/** Removes the lock `file` if process `pid` holds it. */
export const releaseLock = (file: string, pid: number): void => {
  heldHere.delete(file)
  if (readHolder(file)?.pid === pid) fs.unlinkSync(file)
}
