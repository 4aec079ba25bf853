import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit } from "effect"
import { BufferLocked } from "../src/index.ts"
import { open, temporaryFolder } from "./support/helpers.ts"

const holder = fileURLToPath(new URL("./support/lockHolder.ts", import.meta.url))

// The runtime running the tests runs the child too: Node runs TypeScript itself, Deno with `run -A`.
const runtimeArgs = (script: string, ...args: ReadonlyArray<string>) =>
  process.versions["deno"] === undefined ? [script, ...args] : ["run", "-A", script, ...args]

/** A child holding the store over `directory`, once it has said so; SIGKILLed with the scope. */
const holdInChild = (directory: string) =>
  Effect.acquireRelease(
    Effect.callback<ChildProcess, Error>((resume) => {
      const child = spawn(process.execPath, runtimeArgs(holder, directory), { stdio: ["ignore", "pipe", "inherit"] })
      let out = ""
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk
        if (out.includes("\n")) resume(out.startsWith("ready") ? Effect.succeed(child) : Effect.fail(new Error(out)))
      })
    }),
    (child) => Effect.sync(() => child.kill("SIGKILL"))
  )

const killAndWait = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

const lockedBy = (exit: Exit.Exit<unknown, unknown>, directory: string, pid: number | undefined) => {
  assert.isTrue(Exit.isFailure(exit), "the second open should fail")
  if (Exit.isSuccess(exit)) return
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error
  assert.instanceOf(error, BufferLocked)
  if (!(error instanceof BufferLocked)) return
  assert.strictEqual(error.directory, path.resolve(directory))
  assert.strictEqual(error.pid, pid)
  assert.include(error.message, directory)
}

describe("the folder lock", () => {
  it.effect("refuses a second store over the same folder in the same process, naming the folder and the pid", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      yield* Effect.scoped(Effect.gen(function*() {
        yield* open(directory)
        lockedBy(yield* Effect.exit(Effect.scoped(open(directory))), directory, process.pid)
      }))
      // Released when the first store closed.
      yield* Effect.scoped(open(directory))
    }))

  it.live("refuses a store while another process holds the folder, and takes the lock over once that process is dead", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      const child = yield* holdInChild(directory)
      lockedBy(yield* Effect.exit(Effect.scoped(open(directory))), directory, child.pid)
      // SIGKILL: no finalizer ran, the child's lock file is still there, naming a dead pid.
      yield* killAndWait(child)
      const { store } = yield* open(directory)
      assert.deepStrictEqual(yield* store.destinations, [])
      // And now another process is refused, naming this one.
      const second = spawnSync(process.execPath, runtimeArgs(holder, directory), { encoding: "utf8", timeout: 60_000 })
      const refused = JSON.parse(second.stdout.trim()) as { readonly _tag: string; readonly pid: number }
      assert.deepStrictEqual([refused._tag, refused.pid], ["BufferLocked", process.pid])
    }), 60_000)

  it.effect("takes over a lock left by a process that is gone", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      const gone = spawnSync(process.execPath, process.versions["deno"] === undefined ? ["-e", ""] : ["eval", ""]).pid
      fs.mkdirSync(directory, { recursive: true })
      fs.writeFileSync(path.join(directory, "LOCK"), `${gone}\n`)
      yield* open(directory)
      assert.strictEqual(fs.readFileSync(path.join(directory, "LOCK"), "utf8"), `${process.pid}\n`)
    }))

  it.effect("takes over a lock naming this process that this process did not take (a container restarted with the same pid)", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      fs.mkdirSync(directory, { recursive: true })
      fs.writeFileSync(path.join(directory, "LOCK"), `${process.pid}\n`)
      yield* open(directory)
      lockedBy(yield* Effect.exit(Effect.scoped(open(directory))), directory, process.pid)
    }))

  it.effect("treats a lock file without a pid as held while it is new, and as stale once it is old", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      const lock = path.join(directory, "LOCK")
      fs.mkdirSync(directory, { recursive: true })
      fs.writeFileSync(lock, "")
      lockedBy(yield* Effect.exit(Effect.scoped(open(directory))), directory, undefined)
      const longAgo = new Date(Date.now() - 60_000)
      fs.utimesSync(lock, longAgo, longAgo)
      yield* open(directory)
    }))
})
