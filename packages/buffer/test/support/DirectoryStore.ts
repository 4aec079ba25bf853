/**
 * A deliberately plain durable store, for this package's own tests only: one file per envelope,
 * written under a temporary name, fsynced, renamed into place and the folder fsynced before the
 * append returns. It lets the suite's restart and crash cases run here; the real stores (a segment
 * log, SQLite, Redis) live in their own packages.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Clock, Effect, Layer } from "effect"
import {
  BufferStore,
  BufferStoreError,
  type DeadLetter,
  type Depth,
  type EnvelopeId,
  type Stored
} from "../../src/index.ts"

// JSON with the two kinds of value it lacks: bytes and bigints.
const replacer = (_key: string, value: unknown) =>
  value instanceof Uint8Array
    ? { $bytes: Buffer.from(value).toString("base64") }
    : typeof value === "bigint"
    ? { $bigint: value.toString() }
    : value

const reviver = (_key: string, value: unknown) => {
  if (typeof value === "object" && value !== null && "$bytes" in value && typeof value.$bytes === "string") {
    return new Uint8Array(Buffer.from(value.$bytes, "base64"))
  }
  if (typeof value === "object" && value !== null && "$bigint" in value && typeof value.$bigint === "string") {
    return BigInt(value.$bigint)
  }
  return value
}

/** What is kept in memory of an envelope: enough for order and depth, not its body. */
interface Entry {
  readonly destination: string
  readonly bytes: number
  readonly acceptedAt: number
}

const LIVE = ".env"
const DEAD = ".dead"

export const layerDirectory = (directory: string): Layer.Layer<BufferStore, BufferStoreError> =>
  Layer.effect(
    BufferStore,
    Effect.try({
      try: () => {
        fs.mkdirSync(directory, { recursive: true, mode: 0o700 })
        const fileOf = (id: EnvelopeId, kind: string) => path.join(directory, `${id}${kind}`)
        const syncFolder = () => {
          const fd = fs.openSync(directory, "r")
          fs.fsyncSync(fd)
          fs.closeSync(fd)
        }
        const writeDurably = (file: string, value: unknown) => {
          const temporary = `${file}.tmp`
          const fd = fs.openSync(temporary, "w", 0o600)
          fs.writeSync(fd, JSON.stringify(value, replacer))
          fs.fsyncSync(fd)
          fs.closeSync(fd)
          fs.renameSync(temporary, file)
          syncFolder()
        }
        const read = <A>(file: string): A => JSON.parse(fs.readFileSync(file, "utf8"), reviver) as A

        // Ids are zero-padded sequence numbers: their order is append order, across restarts.
        const entries = new Map<EnvelopeId, Entry>()
        let next = 0
        for (const name of fs.readdirSync(directory).sort()) {
          // A temporary file is an append that did not return: it never happened.
          if (name.endsWith(".tmp")) {
            fs.rmSync(path.join(directory, name))
            continue
          }
          const id = name.slice(0, name.indexOf("."))
          next = Math.max(next, Number(id) + 1)
          if (!name.endsWith(LIVE)) continue
          // Dead-lettered, but killed before the envelope itself was removed: it is a dead letter.
          if (fs.existsSync(fileOf(id, DEAD))) {
            fs.rmSync(path.join(directory, name))
            continue
          }
          const stored = read<Stored>(path.join(directory, name))
          entries.set(id, { destination: stored.destination, bytes: stored.body.length, acceptedAt: stored.acceptedAt })
        }

        const attempt = <A>(operation: string, f: () => A) =>
          Effect.try({ try: f, catch: (cause) => new BufferStoreError({ store: "directory", operation, cause }) })

        const remove = (ids: ReadonlyArray<EnvelopeId>, then: (stored: Stored) => void) => {
          let messages = 0
          let bytes = 0
          for (const id of new Set(ids)) {
            const entry = entries.get(id)
            if (entry === undefined) continue
            then(read<Stored>(fileOf(id, LIVE)))
            fs.rmSync(fileOf(id, LIVE))
            entries.delete(id)
            messages += 1
            bytes += entry.bytes
          }
          syncFolder()
          return { messages, bytes }
        }

        const depthOf = (selected: ReadonlyArray<Entry>): Depth => ({
          messages: selected.length,
          bytes: selected.reduce((sum, e) => sum + e.bytes, 0),
          oldestAcceptedAt: selected.length === 0 ? undefined : Math.min(...selected.map((e) => e.acceptedAt))
        })

        return BufferStore.of({
          append: (envelope) =>
            attempt("append", () => {
              const id = String(next++).padStart(16, "0")
              writeDurably(fileOf(id, LIVE), { ...envelope, id })
              entries.set(id, { destination: envelope.destination, bytes: envelope.body.length, acceptedAt: envelope.acceptedAt })
              return { id, dropped: [] }
            }),
          take: (destination, max) =>
            attempt("take", () => {
              const ids = [...entries].filter(([, e]) => e.destination === destination).slice(0, max).map(([id]) => id)
              return ids.map((id) => read<Stored>(fileOf(id, LIVE)))
            }),
          acknowledge: (ids) => attempt("acknowledge", () => remove(ids, () => {})),
          destinations: attempt("list destinations", () => [...new Set([...entries.values()].map((e) => e.destination))]),
          depth: (destination) =>
            attempt("read the depth", () =>
              depthOf([...entries.values()].filter((e) => destination === undefined || e.destination === destination))),
          deadLetter: (ids, reason) =>
            Effect.flatMap(Clock.currentTimeMillis, (deadLetteredAt) =>
              attempt("dead-letter", () =>
                remove(ids, (stored) => writeDurably(fileOf(stored.id, DEAD), { ...stored, reason, deadLetteredAt })))),
          deadLetters: (destination) =>
            attempt("read dead letters", () =>
              fs.readdirSync(directory).filter((name) => name.endsWith(DEAD)).sort()
                .map((name) => read<DeadLetter>(path.join(directory, name)))
                .filter((letter) => destination === undefined || letter.destination === destination))
        })
      },
      catch: (cause) => new BufferStoreError({ store: "directory", operation: "open", cause })
    })
  )
