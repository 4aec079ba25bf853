import { BufferStore, type Envelope } from "@resilient-mq/buffer"
import * as path from "node:path"
import { temporaryDirectory } from "@resilient-mq/buffer/testing"
import { DatabaseSync } from "node:sqlite"
import { Context, Effect, Exit, Layer, Predicate, type Scope } from "effect"
import { layerSqlite, SqliteBufferStore, type SqliteStoreOptions } from "../../src/index.ts"

/** A database file in a fresh folder (the file not yet created), the folder removed with the scope. */
export const temporaryDatabase: Effect.Effect<string, never, Scope.Scope> = Effect.map(temporaryDirectory, (dir) => path.join(dir, "buffer.db"))

/** A store over `filename`, open until the scope closes: both of its services. */
export const open = (filename: string, options: Omit<SqliteStoreOptions, "filename"> = {}) =>
  Layer.build(layerSqlite({ filename, ...options })).pipe(
    Effect.map((context) => ({ store: Context.get(context, BufferStore), sqlite: Context.get(context, SqliteBufferStore) }))
  )

/** Runs `use` on a store over `filename`, then closes it: the next `open` is a restart. */
export const withStore = <A, E>(
  filename: string,
  use: (services: Effect.Success<ReturnType<typeof open>>) => Effect.Effect<A, E>,
  options: Omit<SqliteStoreOptions, "filename"> = {}
) => Effect.scoped(Effect.flatMap(open(filename, options), use))

const bytes = (seed: number, length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff)

/** Envelope `n` for a destination, with a body of `size` bytes. */
export const envelope = (n: number, destination = "Q1", size = 100): Envelope => ({
  destination,
  body: bytes(n, size),
  descriptor: { correlId: bytes(n + 1, 24), priority: n % 10 },
  properties: { n },
  msgId: bytes(n + 2, 24),
  acceptedAt: 1_700_000_000_000 + n
})

/** The `n` properties of stored envelopes, in order. */
export const numbers = (stored: ReadonlyArray<{ readonly properties: Envelope["properties"] }>) =>
  stored.map((s) => s.properties["n"])

/** Another connection to the database, closed with the scope: what another process would hold. */
export const connection = (filename: string): Effect.Effect<DatabaseSync, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => new DatabaseSync(filename)),
    (db) =>
      Effect.sync(() => {
        if (db.isTransaction) db.exec("ROLLBACK")
        db.close()
      })
  )

/** Lets the writer's microtask and the fibers it resumes run (a macrotask later), whatever the clock. */
export const settle: Effect.Effect<void> = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** The tags of the errors an exit failed with (`[]` for a success). */
export const failureTags = (exit: Exit.Exit<unknown, unknown>): ReadonlyArray<string> =>
  Exit.isFailure(exit)
    ? exit.cause.reasons.map((reason) => reason._tag === "Fail" ? tagOf(reason.error) : reason._tag)
    : []

const tagOf = (error: unknown): string =>
  Predicate.hasProperty(error, "_tag") && Predicate.isString(error._tag) ? error._tag : String(error)
