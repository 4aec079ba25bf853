import {
  type Appended,
  BufferStore,
  BufferStoreError,
  type CapacityOptions,
  type DeadLetter,
  type Envelope,
  type EnvelopeId,
  type Removed,
  type Stored,
  validateCapacity,
  withCapacity
} from "@resilient-mq/buffer"
import * as fs from "node:fs"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Clock, Config, Context, Duration, Effect, Layer, Option, Result, Schema } from "effect"
import { isBusy } from "./internal/busy.ts"
import { Database } from "./internal/Database.ts"
import { GroupCommit } from "./internal/GroupCommit.ts"
import { inspect, migrate, SCHEMA_VERSION } from "./internal/schema.ts"

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /**
   * The database file, created (mode 0600, with its folder, mode 0700) if missing. Several
   * destinations share it. It must be on a local file system: WAL needs shared memory between the
   * processes that open it.
   */
  readonly filename: string
  /**
   * `full` (default): an append, acknowledgement or dead letter returns only once its transaction
   * is on stable storage (the WAL is synced at every commit), so it survives a crash of the
   * machine. `normal`: the WAL is synced only at checkpoints; a commit survives a crash of the
   * process, but a power loss or a crash of the operating system may undo the last commits before
   * the next checkpoint (never corrupting the database).
   */
  readonly synchronous?: "full" | "normal" | undefined
  /**
   * How long an operation waits while another connection holds the database's write lock, trying
   * again with a growing pause (1 ms to 100 ms), before failing with `DatabaseLocked`. Default
   * `"5 seconds"`. The wait is on the fiber, not SQLite's `busy_timeout`, which would block the
   * event loop (`node:sqlite` is synchronous).
   */
  readonly busyTimeout?: Duration.Input | undefined
  /**
   * The capacity, enforced through `withCapacity` of `@resilient-mq/buffer` (default 10,000
   * messages, no byte limit, `reject`). Its accounts are kept in this process.
   */
  readonly capacity?: CapacityOptions | undefined
}

const millisOf = (input: unknown): number | undefined => {
  try {
    // A cast to ask: `fromInput` answers `None` for what is not a duration.
    return Option.getOrUndefined(Option.map(Duration.fromInput(input as Duration.Input), Duration.toMillis))
  } catch {
    // `fromInput` throws on some malformed strings instead of answering `None`.
    return undefined
  }
}

const BusyTimeout = Schema.declare((input: unknown): input is Duration.Input => millisOf(input) !== undefined, {
  expected: "a duration such as \"5 seconds\" or a number of milliseconds"
}).check(Schema.makeFilter((input) => {
  const millis = millisOf(input)
  return (millis !== undefined && millis >= 0 && Number.isFinite(millis)) || "must be finite and not negative"
}))

const SqliteStoreOptionsSchema = Schema.Struct({
  filename: Schema.NonEmptyString.check(
    Schema.makeFilter((filename) => filename !== ":memory:" || "must name a file: an in-memory database is not durable")
  ),
  synchronous: Schema.optional(Schema.Literals(["full", "normal"])),
  busyTimeout: Schema.optional(BusyTimeout),
  // Checked by `validateCapacity`.
  capacity: Schema.optional(Schema.Unknown)
})

/**
 * Another connection (another process, or another store over the same file) held the lock the
 * operation needed for longer than `busyTimeout`. Nothing was written. During the operations of
 * `BufferStore` it is the `cause` of a `BufferStoreError`.
 */
export class DatabaseLocked extends Schema.TaggedError<DatabaseLocked>()("DatabaseLocked", {
  filename: Schema.String,
  operation: Schema.String,
  waitedMillis: Schema.Number
}) {
  override get message(): string {
    return `the buffer database ${this.filename} is locked by another connection: gave up on ${this.operation} ` +
      `after waiting ${this.waitedMillis} ms (busyTimeout)`
  }
}

/** The database was written by a newer version of this package, whose schema this one cannot read. */
export class SchemaTooNew extends Schema.TaggedError<SchemaTooNew>()("SchemaTooNew", {
  filename: Schema.String,
  /** The schema version of the file (`PRAGMA user_version`). */
  version: Schema.Int,
  /** The newest version this package reads. */
  supported: Schema.Int
}) {
  override get message(): string {
    return `the buffer database ${this.filename} has schema version ${this.version}, written by a newer ` +
      `@resilient-mq/buffer-sqlite; this one reads up to version ${this.supported}. Nothing was changed: ` +
      "upgrade @resilient-mq/buffer-sqlite, or drain the buffer with the newer version first"
  }
}

/** The file is a SQLite database, but not a buffer: it is left alone. */
export class ForeignDatabase extends Schema.TaggedError<ForeignDatabase>()("ForeignDatabase", {
  filename: Schema.String,
  /** Its `PRAGMA application_id`. */
  applicationId: Schema.Int,
  /** Schema objects it holds: tables, indexes, views, triggers. */
  objects: Schema.Int
}) {
  override get message(): string {
    return `${this.filename} is a SQLite database of another application (application_id ${this.applicationId}, ` +
      `${this.objects} tables, indexes and other schema objects), not a buffer: it was left alone. Give the store a file of its own`
  }
}

/** Counters since the store was opened, in this process. */
export interface Statistics {
  /** Envelopes appended. */
  readonly appends: number
  /** Write transactions of the group commit: each appended all the envelopes queued at the time. */
  readonly commits: number
}

/** The SQLite store's own face, besides the `BufferStore` it provides. */
export class SqliteBufferStore extends Context.Service<SqliteBufferStore, {
  /** The database file, as an absolute path. */
  readonly filename: string
  /** The schema version of the file (this package's, after migration). */
  readonly schemaVersion: number
  readonly statistics: Effect.Effect<Statistics>
}>()("@resilient-mq/buffer-sqlite/SqliteBufferStore") {}

const storeError = (operation: string, cause: unknown) => new BufferStoreError({ store: "sqlite", operation, cause })

// This store never drops: overflow is `withCapacity`'s business.
const NONE_DROPPED: ReadonlyArray<Stored> = []

/** Pauses between attempts on a locked database: growing from the first to the last. */
const FIRST_PAUSE_MILLIS = 1
const LONGEST_PAUSE_MILLIS = 100

/** A checkpointed WAL is cut back to this size, so that a burst of large bodies does not keep its disk space. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

const make = Effect.fnUntraced(function*(options: SqliteStoreOptions) {
  const filename = path.resolve(options.filename)
  const busyTimeout = Duration.toMillis(Duration.fromInputUnsafe(options.busyTimeout ?? "5 seconds"))
  let closed = false

  // After a first attempt found the database locked: again after growing pauses, until `busyTimeout`.
  const waitForLock = Effect.fnUntraced(function*<A>(
    operation: string,
    attempt: Effect.Effect<A, unknown>
  ): Effect.fn.Return<A, DatabaseLocked | BufferStoreError> {
    const start = yield* Clock.currentTimeMillis
    let pause = FIRST_PAUSE_MILLIS
    for (;;) {
      const waited = (yield* Clock.currentTimeMillis) - start
      if (waited >= busyTimeout) return yield* new DatabaseLocked({ filename, operation, waitedMillis: waited })
      yield* Effect.sleep(Math.min(pause, busyTimeout - waited))
      pause = Math.min(pause * 2, LONGEST_PAUSE_MILLIS)
      const result = yield* Effect.result(attempt)
      if (Result.isSuccess(result)) return result.success
      if (!isBusy(result.failure)) return yield* storeError(operation, result.failure)
    }
  })

  /** `attempt`, waiting up to `busyTimeout` while the database is locked; other failures as `BufferStoreError`. */
  const patiently = <A>(operation: string, attempt: Effect.Effect<A, unknown>): Effect.Effect<A, DatabaseLocked | BufferStoreError> =>
    Effect.catch(attempt, (error) => isBusy(error) ? waitForLock(operation, attempt) : Effect.fail(storeError(operation, error)))

  /** `waitForLock` for `BufferStore`'s operations, whose only error is `BufferStoreError`: `DatabaseLocked` is its cause. */
  const waitForLockStored = <A>(operation: string, attempt: Effect.Effect<A, unknown>): Effect.Effect<A, BufferStoreError> =>
    Effect.mapError(waitForLock(operation, attempt), (error) => error._tag === "DatabaseLocked" ? storeError(operation, error) : error)

  /** `patiently` for `BufferStore`'s operations. */
  const patientlyStored = <A>(operation: string, attempt: Effect.Effect<A, unknown>): Effect.Effect<A, BufferStoreError> =>
    Effect.catch(attempt, (error) => isBusy(error) ? waitForLockStored(operation, attempt) : Effect.fail(storeError(operation, error)))

  const call = <A>(f: () => A): Effect.Effect<A, unknown> =>
    Effect.try({
      try: () => {
        if (closed) throw new Error("the store is closed")
        return f()
      },
      catch: (error) => error
    })

  const db = yield* Effect.acquireRelease(
    Effect.try({
      try: () => {
        fs.mkdirSync(path.dirname(filename), { recursive: true, mode: 0o700 })
        // Created here with mode 0600 when missing: SQLite gives its WAL and shared-memory files the
        // mode of the database file.
        fs.closeSync(fs.openSync(filename, "a", 0o600))
        // `timeout: 0`: SQLite answers "busy" at once, and `patiently` waits without blocking the event loop.
        return new DatabaseSync(filename, { timeout: 0 })
      },
      catch: (cause) => storeError(`open ${filename}`, cause)
    }),
    // The last connection to close checkpoints the WAL into the database and removes it.
    (db) => Effect.sync(() => db.close())
  )

  yield* patiently(
    "switch to WAL",
    call(() => {
      const mode = db.prepare("PRAGMA journal_mode = WAL").get()?.["journal_mode"]
      if (mode !== "wal") throw new Error(`the database cannot use write-ahead logging (journal_mode stays ${String(mode)})`)
    })
  )
  let found = yield* patiently("open", call(() => inspect(db)))
  if (found._tag === "Older") found = yield* patiently("migrate the schema", call(() => migrate(db)))
  if (found._tag === "Newer") return yield* new SchemaTooNew({ filename, version: found.version, supported: SCHEMA_VERSION })
  if (found._tag === "Foreign") {
    return yield* new ForeignDatabase({ filename, applicationId: found.applicationId, objects: found.objects })
  }
  yield* patiently(
    "configure",
    call(() =>
      // Per connection. Foreign keys explicitly: Node turns them on by default, other runtimes may not.
      db.exec(
        `PRAGMA synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"};
         PRAGMA foreign_keys = ON;
         PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES};`
      )
    )
  )

  const database = yield* patiently("prepare statements", call(() => new Database(db)))
  const writer = new GroupCommit(database)
  // Runs before the database closes (finalizers run in reverse): appends still queued fail.
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      for (const append of writer.close()) append.done({ error: new Error("the store is closed") })
    })
  )

  // The hot path: one callback per append, no span of its own (the producer has its span), and no
  // combinator around it: what a failure leads to is what the callback resumes with.
  const enqueue = <E>(envelope: Envelope, failed: (error: unknown) => Effect.Effect<Appended, E>): Effect.Effect<Appended, E> =>
    Effect.callback<Appended, E>((resume) => {
      const queued = writer.enqueue({
        envelope,
        done: (outcome) => resume("id" in outcome ? Effect.succeed({ id: outcome.id, dropped: NONE_DROPPED }) : failed(outcome.error))
      })
      if (!queued) resume(failed(new Error("the store is closed")))
    })

  const append = (envelope: Envelope): Effect.Effect<Appended, BufferStoreError> =>
    enqueue(envelope, (error) =>
      isBusy(error)
        ? waitForLockStored("append", enqueue(envelope, Effect.fail))
        : Effect.fail(storeError("append", error)))

  const take = Effect.fn("SqliteBufferStore.take")((destination: string, max: number) =>
    patientlyStored("take", call((): ReadonlyArray<Stored> => database.take(destination, max)))
  )

  const acknowledge = Effect.fn("SqliteBufferStore.acknowledge")((ids: ReadonlyArray<EnvelopeId>) =>
    patientlyStored("acknowledge", call((): Removed => database.acknowledge(ids)))
  )

  const deadLetter = Effect.fn("SqliteBufferStore.deadLetter")(function*(ids: ReadonlyArray<EnvelopeId>, reason: string) {
    const now = yield* Clock.currentTimeMillis
    return yield* patientlyStored("dead-letter", call((): Removed => database.deadLetter(ids, reason, now)))
  })

  const deadLetters = Effect.fn("SqliteBufferStore.deadLetters")((destination?: string) =>
    patientlyStored("read dead letters", call((): ReadonlyArray<DeadLetter> => database.deadLetters(destination)))
  )

  const store = BufferStore.of({
    append,
    take,
    acknowledge,
    destinations: patientlyStored("list destinations", call(() => database.destinations())),
    depth: (destination) => patientlyStored("measure depth", call(() => database.depth(destination))),
    deadLetter,
    deadLetters
  })

  const sqlite = SqliteBufferStore.of({
    filename,
    schemaVersion: SCHEMA_VERSION,
    statistics: Effect.sync(() => ({ appends: database.appends, commits: database.commits }))
  })

  const bounded = yield* withCapacity(store, options.capacity)
  return Context.make(BufferStore, bounded).pipe(Context.add(SqliteBufferStore, sqlite))
})

/**
 * A durable `BufferStore` in a SQLite file, on the built-in `node:sqlite` (Node 24, Deno): WAL,
 * `synchronous=FULL` by default, concurrent appends committed together (group commit), several
 * destinations in one file, dead letters in a table of their own. Also provides `SqliteBufferStore`.
 * The file is closed with the layer's scope.
 *
 * Fails with `SchemaTooNew` for a file written by a newer version, `ForeignDatabase` for a SQLite
 * file that is not a buffer, `DatabaseLocked` when another connection holds the lock needed to
 * create or migrate the schema for longer than `busyTimeout`, `BufferStoreError` when the file
 * cannot be opened, and `Config.ConfigError` for invalid options.
 */
export const layerSqlite = (
  options: SqliteStoreOptions
): Layer.Layer<
  BufferStore | SqliteBufferStore,
  DatabaseLocked | SchemaTooNew | ForeignDatabase | BufferStoreError | Config.ConfigError
> =>
  Layer.effectContext(
    Schema.decodeUnknownEffect(SqliteStoreOptionsSchema)(options, { errors: "all" }).pipe(
      Effect.mapError((error) => new Config.ConfigError(error)),
      // Before the file is opened, so that bad options leave no file behind.
      Effect.andThen(options.capacity === undefined ? Effect.void : validateCapacity(options.capacity)),
      Effect.flatMap(() => make(options))
    )
  )

/**
 * `layerSqlite` with its options from configuration, each given as a `Config` (`Config.succeed` for
 * a fixed value; absent options take their defaults), the capacity with `capacityConfig`:
 * `layerSqliteConfig({ filename: Config.String("BUFFER_FILE"), capacity: capacityConfig("BUFFER") })`.
 */
export const layerSqliteConfig = (
  options: Config.Wrap<SqliteStoreOptions>
): Layer.Layer<
  BufferStore | SqliteBufferStore,
  DatabaseLocked | SchemaTooNew | ForeignDatabase | BufferStoreError | Config.ConfigError
> => Layer.unwrap(Effect.map(Config.unwrap(options), layerSqlite))
