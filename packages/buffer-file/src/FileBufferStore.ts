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
  withCapacity
} from "@resilient-mq/buffer"
import * as fs from "node:fs"
import * as path from "node:path"
import { Clock, Config, Context, Effect, Layer, Schema, Semaphore } from "effect"
import { MAX_PAYLOAD_BYTES } from "./internal/Frame.ts"
import { acquireLock, releaseLock } from "./internal/Lock.ts"
import { GroupCommit } from "./internal/GroupCommit.ts"
import { Log } from "./internal/Log.ts"

/** Options of the file store. */
export interface FileStoreOptions {
  /** The folder of the store, created (mode 0700) if missing. One process at a time may open it. */
  readonly directory: string
  /**
   * A segment file is closed and the next one started when a write would take it past this size
   * (a record larger than this gets a segment of its own). Default 64 MiB; from 4 KiB to 1 GiB.
   * Segments are deleted whole, so smaller segments give disk space back sooner.
   */
  readonly segmentBytes?: number | undefined
  /**
   * `always` (default): an append, acknowledgement or dead letter returns only once it is on stable
   * storage (`fdatasync`), so it survives a crash of the machine. `never`: it returns once the
   * operating system has it, so it survives a crash of the process but not of the machine.
   */
  readonly fsync?: "always" | "never" | undefined
  /**
   * With `fsync: "always"`, where an append's commit waits for the disk. `false` (default): on the
   * event loop (`fdatasync` called synchronously), which is fastest: a round trip through libuv's
   * thread pool costs about 25 µs per commit here, a quarter of the fsync itself, and group commit
   * gathers just as well since concurrent appends queue while their fibers wait. `true`: on the
   * thread pool, so that the rest of the application keeps running while a slow disk syncs, at
   * that cost per commit. Acknowledgements and dead letters always sync on the thread pool.
   */
  readonly syncOnThreadPool?: boolean | undefined
  /**
   * The capacity, enforced through `withCapacity` of `@resilient-mq/buffer` (the store itself never
   * refuses or drops an append). Default: 10,000 messages, no byte limit, `reject`;
   * `{ messages: Infinity }` leaves the disk as the only limit.
   */
  readonly capacity?: CapacityOptions | undefined
}

const MIB = 1024 * 1024

const FileStoreOptionsSchema = Schema.Struct({
  directory: Schema.NonEmptyString,
  segmentBytes: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 4096, maximum: MAX_PAYLOAD_BYTES }))),
  fsync: Schema.optional(Schema.Literals(["always", "never"])),
  syncOnThreadPool: Schema.optional(Schema.Boolean),
  // Checked by `withCapacity`.
  capacity: Schema.optional(Schema.Unknown)
})

/** Another process (or another layer of this one) has the folder open. */
export class BufferLocked extends Schema.TaggedError<BufferLocked>()("BufferLocked", {
  directory: Schema.String,
  /** The holder's pid, as its lock file says; undefined while the holder is still writing it. */
  pid: Schema.UndefinedOr(Schema.Int)
}) {
  override get message(): string {
    const holder = this.pid === undefined ? "another process" : `process ${this.pid}`
    return `the buffer folder ${this.directory} is in use by ${holder} (lock file ${path.join(this.directory, "LOCK")}); ` +
      "only one process may open a file buffer at a time"
  }
}

/** Something recovery repaired or reported. */
export interface Repair {
  /** The file, relative to the folder. */
  readonly file: string
  readonly offset: number
  readonly bytes: number
  /**
   * `truncated`: a torn tail cut off; `quarantined`: damaged records copied to `quarantine.log` and
   * skipped, the records after them still delivered; `skipped`: a damaged stretch of the
   * acknowledgement or dead-letter log, whose records are lost (acknowledged envelopes in it may be
   * delivered again).
   */
  readonly action: "truncated" | "quarantined" | "skipped"
  readonly reason: string
}

/** What opening the folder found and repaired. */
export interface Recovery {
  /** Segment files found. */
  readonly segments: number
  /** Envelopes found that were neither acknowledged nor dead-lettered. */
  readonly records: number
  /** Torn tails cut off and damaged records quarantined, each also logged as a warning. */
  readonly repairs: ReadonlyArray<Repair>
}

/** Counters since the store was opened. */
export interface Statistics {
  /** Envelopes appended. */
  readonly appends: number
  /** Group commits: each wrote the appends queued at the time with one write and one fsync. */
  readonly commits: number
  /** fsync/fdatasync calls of every kind: segments, logs, the folder. */
  readonly fsyncs: number
  /** Damaged records copied to `quarantine.log` (at opening or when read back). */
  readonly quarantined: number
  /** Segment files on disk. */
  readonly segments: number
  /** Memory held by the in-memory index, in bytes: about 24 per envelope held. */
  readonly indexBytes: number
}

/**
 * The file store's own face, besides the `BufferStore` it provides: its folder, what recovery
 * found, and counters.
 */
export class FileBufferStore extends Context.Service<FileBufferStore, {
  readonly directory: string
  readonly recovery: Recovery
  readonly statistics: Effect.Effect<Statistics>
}>()("@resilient-mq/buffer-file/FileBufferStore") {}

const nothingRemoved: Removed = { messages: 0, bytes: 0 }
// This store never drops: overflow is `withCapacity`'s business.
const NONE_DROPPED: ReadonlyArray<Stored> = []

const storeError = (operation: string, cause: unknown) => new BufferStoreError({ store: "file", operation, cause })

const fdatasync = (fd: number, operation: string): Effect.Effect<void, BufferStoreError> =>
  Effect.callback<void, BufferStoreError>((resume) => {
    // On the thread pool: an acknowledgement or dead letter covers a whole batch of the drainer, so
    // the round trip is not worth blocking the event loop for (see `syncOnThreadPool` for appends).
    fs.fdatasync(fd, (error) => resume(error === null ? Effect.void : Effect.fail(storeError(operation, error))))
  })

const make = Effect.fnUntraced(function*(options: FileStoreOptions) {
  const directory = path.resolve(options.directory)
  const sync = (options.fsync ?? "always") === "always"
  const clock = yield* Clock.Clock
  const lockFile = path.join(directory, "LOCK")

  yield* Effect.acquireRelease(
    Effect.try({
      try: () => {
        fs.mkdirSync(directory, { recursive: true, mode: 0o700 })
        return acquireLock(lockFile, process.pid)
      },
      catch: (cause) => storeError(`lock ${directory}`, cause)
    }).pipe(
      Effect.flatMap((outcome) =>
        outcome._tag === "Held" ? Effect.fail(new BufferLocked({ directory, pid: outcome.pid })) : Effect.void
      )
    ),
    () =>
      Effect.try({ try: () => releaseLock(lockFile, process.pid), catch: (cause) => storeError("unlock", cause) }).pipe(
        Effect.catch((error) => Effect.logWarning(`could not remove the lock file ${lockFile}`, error))
      )
  )

  const log = new Log(directory, options.segmentBytes ?? 64 * MIB, sync, () => clock.currentTimeMillisUnsafe())
  const { segments, records, repairs } = yield* Effect.acquireRelease(
    Effect.try({
      try: () => {
        try {
          return log.recover()
        } catch (error) {
          log.close()
          throw error
        }
      },
      catch: (cause) => storeError(`open ${directory}`, cause)
    }),
    () => Effect.sync(() => log.close())
  )
  for (const repair of repairs) {
    yield* Effect.logWarning(
      repair.action === "truncated"
        ? `cut off a torn record at the end of ${repair.file} at offset ${repair.offset} (${repair.bytes} bytes)`
        : repair.action === "quarantined"
        ? `quarantined damaged records in ${repair.file} at offset ${repair.offset} (${repair.bytes} bytes: ${repair.reason}); the records after them are delivered`
        : `skipped damaged records in ${repair.file} at offset ${repair.offset} (${repair.bytes} bytes: ${repair.reason})`
    ).pipe(Effect.annotateLogs({ directory, file: repair.file, offset: repair.offset, action: repair.action }))
  }

  let closed = false
  const attempt = <A>(operation: string, f: () => A): Effect.Effect<A, BufferStoreError> =>
    Effect.try({
      try: () => {
        if (closed) throw new Error("the store is closed")
        return f()
      },
      catch: (cause) => storeError(operation, cause)
    })

  const writer = new GroupCommit(log, !sync ? "none" : options.syncOnThreadPool === true ? "thread-pool" : "inline")
  const mutations = yield* Semaphore.make(1)

  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      closed = true
      // The commit in progress finishes; appends still queued fail instead of waiting forever.
      yield* Effect.callback<void>((resume) =>
        writer.close((left) => {
          for (const append of left) append.done({ error: new Error("the store is closed") })
          resume(Effect.void)
        })
      )
      // Waits for an acknowledgement or dead letter in progress before the files close.
      yield* mutations.withPermits(1)(Effect.void)
    })
  )

  // The hot path: one callback per append, no fiber or span of its own (the producer has its span).
  const append = (envelope: Envelope): Effect.Effect<Appended, BufferStoreError> =>
    Effect.callback<Appended, BufferStoreError>((resume) => {
      const queued = writer.enqueue({
        envelope,
        done: (outcome) =>
          resume("id" in outcome ? Effect.succeed({ id: outcome.id, dropped: NONE_DROPPED }) : Effect.fail(storeError("append", outcome.error)))
      })
      if (!queued) resume(Effect.fail(storeError("append", new Error("the store is closed"))))
    })

  const take = Effect.fn("FileBufferStore.take")((destination: string, max: number) =>
    attempt("take", (): ReadonlyArray<Stored> => log.take(destination, max))
  )

  const acknowledge = Effect.fn("FileBufferStore.acknowledge")((ids: ReadonlyArray<EnvelopeId>) =>
    mutations.withPermits(1)(Effect.gen(function*() {
      const refs = yield* attempt("acknowledge", () => log.resolve(ids))
      if (refs.length === 0) return nothingRemoved
      yield* attempt("acknowledge", () => log.writeAcknowledged(refs))
      if (sync) {
        yield* fdatasync(log.acksFd, "acknowledge")
        log.noteFsync()
      }
      return yield* attempt("acknowledge", () => log.removeAll(refs))
    }))
  )

  const deadLetter = Effect.fn("FileBufferStore.deadLetter")((ids: ReadonlyArray<EnvelopeId>, reason: string) =>
    mutations.withPermits(1)(Effect.gen(function*() {
      const refs = yield* attempt("dead-letter", () => log.resolve(ids))
      if (refs.length === 0) return nothingRemoved
      const now = yield* Clock.currentTimeMillis
      const written = yield* attempt("dead-letter", () => log.writeDeadLetters(refs, reason, now))
      if (written.length === 0) return nothingRemoved
      if (sync) {
        yield* fdatasync(log.deadLettersFd, "dead-letter")
        log.noteFsync()
      }
      return yield* attempt("dead-letter", () => log.removeAll(written))
    }))
  )

  const deadLetters = Effect.fn("FileBufferStore.deadLetters")((destination?: string) =>
    mutations.withPermits(1)(attempt("read dead letters", (): ReadonlyArray<DeadLetter> => log.deadLetters(destination)))
  )

  const store = BufferStore.of({
    append,
    take,
    acknowledge,
    destinations: attempt("list destinations", (): ReadonlyArray<string> => log.destinationNames()),
    depth: (destination?: string) => attempt("measure depth", () => log.depth(destination)),
    deadLetter,
    deadLetters
  })

  const file = FileBufferStore.of({
    directory,
    recovery: { segments, records, repairs },
    statistics: Effect.sync(() => ({ ...log.counters, segments: log.segments.size, indexBytes: log.indexBytes() }))
  })

  const bounded = yield* withCapacity(store, options.capacity)
  return Context.make(BufferStore, bounded).pipe(Context.add(FileBufferStore, file))
})

/**
 * A durable `BufferStore` in a folder: an append-only segment log with checksums and group commit
 * (concurrent appends share one write and one fsync), an acknowledgement log, and dead letters and
 * damaged records kept in their own files. Also provides `FileBufferStore`. The folder is locked
 * while the layer is alive: a second opener fails with `BufferLocked`.
 */
export const layerFile = (
  options: FileStoreOptions
): Layer.Layer<BufferStore | FileBufferStore, BufferLocked | BufferStoreError | Config.ConfigError> =>
  Layer.effectContext(
    Schema.decodeUnknownEffect(FileStoreOptionsSchema)(options, { errors: "all" }).pipe(
      Effect.mapError((error) => new Config.ConfigError(error)),
      Effect.flatMap(() => make(options))
    )
  )

/**
 * `layerFile` with its options from configuration, each given as a `Config` (`Config.succeed` for a
 * fixed value; absent options take their defaults):
 * `layerFileConfig({ directory: Config.String("BUFFER_DIRECTORY"), fsync: Config.Literals(["always", "never"], "BUFFER_FSYNC") })`.
 */
export const layerFileConfig = (
  options: Config.Wrap<FileStoreOptions>
): Layer.Layer<BufferStore | FileBufferStore, BufferLocked | BufferStoreError | Config.ConfigError> =>
  Layer.unwrap(Effect.map(Config.unwrap(options), layerFile))
