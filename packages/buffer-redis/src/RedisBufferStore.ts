import {
  type Appended,
  BufferStore,
  BufferStoreError,
  type CapacityOptions,
  type DeadLetter,
  type Depth,
  type Envelope,
  type EnvelopeId,
  type Removed,
  type Stored,
  withCapacity
} from "@resilient-mq/buffer"
import { DurationInput, type FailureClass, RetryPolicy } from "@resilient-mq/retry"
import { Clock, Config, Context, Duration, Effect, Exit, Latch, Layer, Schema } from "effect"
import * as Redis from "effect/persistence/Redis"
import { decodeDeadLetter, decodeEnvelope, encodeEnvelope, type Entry, type Fields } from "./internal/codec.ts"
import * as Scripts from "./internal/scripts.ts"

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /**
   * The start of every key of the store (`<prefix>:q:<destination>`, ...). Every instance that
   * shares the buffer uses the same prefix; two buffers in one Redis use two. Default
   * `"resilient-mq:buffer"`.
   */
  readonly prefix?: string | undefined
  /**
   * How long a destination's drain lease lasts without renewal: how soon another instance takes
   * over the draining of a destination after its holder died. The holder renews it every third of
   * this while it drains. Default 15 seconds; at least 100 milliseconds.
   */
  readonly lease?: Duration.Input | undefined
  /** How long one call to Redis may take before it counts as failed (and is retried). Default 5 seconds. */
  readonly timeout?: Duration.Input | undefined
  /**
   * The capacity, enforced through `withCapacity` of `@resilient-mq/buffer`; its accounts are kept
   * by each instance (see the README). Default: 10,000 messages, no byte limit, `reject`;
   * `{ messages: Infinity }` leaves Redis's `maxmemory` as the only limit.
   */
  readonly capacity?: CapacityOptions | undefined
}

const atLeast = (millis: number) =>
  DurationInput.check(
    Schema.makeFilter((d) => Duration.toMillis(Duration.fromInputUnsafe(d)) >= millis || `must be at least ${millis} milliseconds`)
  )

const RedisStoreOptionsSchema = Schema.Struct({
  prefix: Schema.optional(Schema.NonEmptyString),
  lease: Schema.optional(atLeast(100)),
  timeout: Schema.optional(atLeast(1)),
  // Checked by `withCapacity`.
  capacity: Schema.optional(Schema.Unknown)
})

/** What Redis said of its persistence when the store opened (`CONFIG GET`); absent where it refused. */
export interface ServerPersistence {
  /** `yes`: every write is logged in the append-only file. */
  readonly appendonly?: string
  /** `always`, `everysec` or `no`: when the append-only file is fsynced (see the README). */
  readonly appendfsync?: string
  readonly maxmemoryPolicy?: string
}

/** The Redis store's own face, besides the `BufferStore` it provides. */
export class RedisBufferStore extends Context.Service<RedisBufferStore, {
  readonly prefix: string
  /** This instance's token: the value of the lease keys it holds. */
  readonly instance: string
  readonly persistence: ServerPersistence
  /** Destinations whose drain lease this instance holds. */
  readonly leases: Effect.Effect<ReadonlyArray<string>>
}>()("@resilient-mq/buffer-redis/RedisBufferStore") {}

/** Redis failed or did not answer in time: the retry policy tries again (its `errorClass` says so). */
class RedisUnavailable extends Schema.TaggedError<RedisUnavailable>()("RedisUnavailable", {
  cause: Schema.Defect()
}) {
  readonly errorClass: FailureClass = "transient"
}

/** Redis refused a call for a reason that repeating it cannot mend (a wrong type under the prefix, a script error). */
class RedisRefused extends Schema.TaggedError<RedisRefused>()("RedisRefused", {
  cause: Schema.Defect()
}) {
  readonly errorClass: FailureClass = "permanent"
}

// Error replies that say the call itself is wrong; all others (a lost connection, `LOADING`, `BUSY`,
// `OOM`, `READONLY` after a failover, no answer in time) may pass.
const refusal = /^(ERR|WRONGTYPE|NOSCRIPT|NOPERM|NOAUTH|WRONGPASS)\b/

const storeError = (operation: string, cause: unknown) => new BufferStoreError({ store: "redis", operation, cause })

const nothingRemoved: Removed = { messages: 0, bytes: 0 }
// This store never drops: overflow is `withCapacity`'s business.
const NONE_DROPPED: ReadonlyArray<Stored> = []
// A mutating script's reply outlives every retry of it: a retry after that could do its work twice.
const REPLY_LIFETIME_MS = 120_000
// Appends waiting while a batch is written go together in the next one, up to these bounds (a
// larger envelope goes alone): one script, one round trip and one fsync for all of them.
const BATCH_ENVELOPES = 256
const BATCH_BYTES = 4 * 1024 * 1024

/** `<id>:<destination>`, the id being the envelope's stream entry `<id>-0`. */
const idPattern = /^(\d{1,15}):([\s\S]*)$/

interface Pending {
  readonly destination: string
  readonly fields: Fields
  readonly resume: (effect: Effect.Effect<Appended, BufferStoreError>) => void
}

const make = Effect.fnUntraced(function*(options: RedisStoreOptions) {
  const redis = yield* Redis.Redis
  const policy = yield* RetryPolicy
  const prefix = options.prefix ?? "resilient-mq:buffer"
  const leaseMillis = Duration.toMillis(Duration.fromInputUnsafe(options.lease ?? "15 seconds"))
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "5 seconds")
  const context = yield* Effect.context<never>()
  const runFork = Effect.runForkWith(context)

  const keys = {
    seq: `${prefix}:seq`,
    destinations: `${prefix}:destinations`,
    dead: `${prefix}:dead`,
    streams: `${prefix}:q:`,
    stream: (destination: string) => `${prefix}:q:${destination}`,
    lease: (destination: string) => `${prefix}:lease:${destination}`,
    reply: (token: string) => `${prefix}:reply:${token}`
  }

  const instance = crypto.randomUUID()
  let calls = 0
  // Names one mutating call, the same for all its retries.
  const token = () => `${instance}:${(calls++).toString(36)}`

  // One attempt, bounded in time, its failure classified for the retry policy.
  const attempt = <A>(call: Effect.Effect<A, Redis.RedisError>): Effect.Effect<A, RedisUnavailable | RedisRefused> =>
    call.pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(new RedisUnavailable({ cause: new Error(`Redis did not answer within ${Duration.format(timeout)}`) }))
      }),
      // The client's error, not `RedisError`, which only wraps it and says nothing itself.
      Effect.mapError((error) =>
        error instanceof Redis.RedisError
          ? error.cause instanceof Error && refusal.test(error.cause.message)
            ? new RedisRefused({ cause: error.cause })
            : new RedisUnavailable({ cause: error.cause })
          : error
      )
    )

  // Every call is safe to repeat: reads and leases are idempotent, and mutating scripts find their
  // own earlier reply by token. So every call is retried under the policy's transient backoff.
  const call = <A>(operation: string, effect: Effect.Effect<A, Redis.RedisError>): Effect.Effect<A, BufferStoreError> =>
    policy.retry(attempt(effect)).pipe(Effect.mapError((error) => storeError(operation, error.cause)))

  const persistence = yield* readPersistence(redis, attempt)
  if (persistence.maxmemoryPolicy?.startsWith("allkeys-")) {
    return yield* storeError(
      "open",
      new Error(
        `Redis evicts any key when it runs out of memory (maxmemory-policy ${persistence.maxmemoryPolicy}): buffered messages ` +
          "would be lost without a word; set maxmemory-policy to noeviction"
      )
    )
  }
  if (persistence.maxmemoryPolicy !== undefined && persistence.maxmemoryPolicy !== "noeviction") {
    yield* Effect.logWarning(
      `Redis may evict keys with an expiry (maxmemory-policy ${persistence.maxmemoryPolicy}): a drain lease evicted early ` +
        "lets a second instance drain a destination, and a retried call may be done twice; noeviction is safest"
    )
  }
  if (persistence.appendonly === "no") {
    yield* Effect.logWarning("Redis keeps no append-only file (appendonly no): a crash of Redis loses buffered messages")
  }

  // --- Appends: group commit ---

  const pending: Array<Pending> = []
  let writing = false
  let closed = false
  // Open while no batch is being written: closing waits for it.
  const idle = Latch.makeUnsafe(true)

  const appendScript = redis.eval(Scripts.append)

  const nextBatch = (): ReadonlyArray<Pending> => {
    let count = 0
    let bytes = 0
    while (count < pending.length && count < BATCH_ENVELOPES) {
      const next = pending[count]!.fields.bodyBytes
      if (count > 0 && bytes + next > BATCH_BYTES) break
      bytes += next
      count++
    }
    return pending.splice(0, count)
  }

  const writeBatch = (batch: ReadonlyArray<Pending>) => {
    // The batch's destinations, each with its number (from 1) and the body bytes it gains.
    const streams = new Map<string, { readonly number: number; bytes: number }>()
    const envelopes: Array<string | number> = []
    for (const { destination, fields } of batch) {
      let stream = streams.get(destination)
      if (stream === undefined) {
        stream = { number: streams.size + 1, bytes: 0 }
        streams.set(destination, stream)
      }
      stream.bytes += fields.bodyBytes
      envelopes.push(stream.number, fields.head, fields.body)
    }
    const streamKeys: Array<string> = []
    const args: Array<string | number> = [REPLY_LIFETIME_MS, streams.size]
    for (const [destination, { bytes }] of streams) {
      streamKeys.push(keys.stream(destination))
      args.push(destination, bytes)
    }
    return call("append", appendScript([keys.seq, keys.destinations, keys.reply(token()), ...streamKeys], [...args, ...envelopes]))
  }

  // Writes batches until nothing waits, one at a time. Run on a fiber of its own, started by the
  // append that found it idle; appends made meanwhile queue for the next batch. (Two batches in
  // flight were measured no faster: they split the concurrent appends into smaller batches.)
  const writeAll = Effect.gen(function*() {
    while (pending.length > 0) {
      const batch = nextBatch()
      const exit = yield* Effect.exit(writeBatch(batch))
      if (Exit.isSuccess(exit)) {
        const first = Number(exit.value)
        batch.forEach((p, i) => p.resume(Effect.succeed({ id: `${first + i}:${p.destination}`, dropped: NONE_DROPPED })))
      } else {
        for (const p of batch) p.resume(Effect.failCause(exit.cause))
      }
    }
    writing = false
    Latch.openUnsafe(idle)
  })

  // The hot path: one callback per append, no fiber of its own (the producer has its span).
  const append = (envelope: Envelope): Effect.Effect<Appended, BufferStoreError> =>
    Effect.callback<Appended, BufferStoreError>((resume) => {
      if (closed) {
        resume(Effect.fail(storeError("append", new Error("the store is closed"))))
        return
      }
      pending.push({ destination: envelope.destination, fields: encodeEnvelope(envelope), resume })
      if (!writing) {
        writing = true
        Latch.closeUnsafe(idle)
        runFork(writeAll)
      }
    })

  // --- Leases ---

  // Destinations whose lease this instance holds, with when it last used each (take, acknowledge,
  // dead letter): a lease unused for a whole lease period is given up, since its drainer stopped.
  const held = new Map<string, number>()
  const touch = (destination: string) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      if (held.has(destination)) held.set(destination, now)
    })

  const renewScript = redis.eval(Scripts.renew)
  const releaseScript = redis.eval(Scripts.release)
  const releaseLease = (destination: string) =>
    Effect.ignore(attempt(releaseScript([keys.lease(destination)], [instance])))

  const tendLeases = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    for (const [destination, lastUsed] of held) {
      if (now - lastUsed >= leaseMillis) {
        yield* releaseLease(destination)
        // Unless a take got it back meanwhile (its lease then lasts until it is idle again).
        if (held.get(destination) === lastUsed) held.delete(destination)
        continue
      }
      // A failed renewal is not reported: the lease then runs out, and the next take says so.
      const renewed = yield* Effect.orElseSucceed(attempt(renewScript([keys.lease(destination)], [instance, leaseMillis])), () => 1)
      if (renewed === 0) held.delete(destination)
    }
  })
  yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(Duration.millis(leaseMillis / 3)), tendLeases)))

  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      closed = true
      // Appends already queued are written (or fail) before the client closes.
      yield* Latch.await(idle)
      for (const destination of held.keys()) yield* releaseLease(destination)
      held.clear()
    })
  )

  // --- Reads and removals ---

  const takeScript = redis.eval(Scripts.take)
  const take = Effect.fn("RedisBufferStore.take")(function*(destination: string, max: number) {
    if (max < 1) return []
    const entries = yield* call("take", takeScript([keys.lease(destination), keys.stream(destination)], [instance, leaseMillis, Math.floor(max)]))
    const now = yield* Clock.currentTimeMillis
    if (entries === null || entries.length === 0) {
      // Held by another instance, or nothing left (and the lease given up).
      held.delete(destination)
      return []
    }
    held.set(destination, now)
    return yield* decodeEntries(destination, keys.stream(destination), entries)
  })

  const removeScript = redis.eval(Scripts.remove)
  const removeAll = Effect.fnUntraced(function*(operation: string, ids: ReadonlyArray<EnvelopeId>, mode: "ack" | "dead", reason: string) {
    const streamKeys: Array<string> = []
    const args: Array<string | number> = []
    for (const id of ids) {
      const match = idPattern.exec(id)
      // Not an id of this store: it holds nothing by that id.
      if (match === null) continue
      const [, seq = "", destination = ""] = match
      streamKeys.push(keys.stream(destination))
      args.push(destination, `${seq}-0`, id)
      yield* touch(destination)
    }
    if (streamKeys.length === 0) return nothingRemoved
    const deadLetteredAt = yield* Clock.currentTimeMillis
    const reply = yield* call(
      operation,
      removeScript(
        [keys.destinations, keys.reply(token()), keys.dead, ...streamKeys],
        [REPLY_LIFETIME_MS, mode, reason, deadLetteredAt, ...args]
      )
    )
    const [messages = 0, bytes = 0] = reply.split(" ").map(Number)
    return { messages, bytes } satisfies Removed
  })

  const acknowledge = Effect.fn("RedisBufferStore.acknowledge")((ids: ReadonlyArray<EnvelopeId>) =>
    removeAll("acknowledge", ids, "ack", "")
  )

  const deadLetter = Effect.fn("RedisBufferStore.deadLetter")((ids: ReadonlyArray<EnvelopeId>, reason: string) =>
    removeAll("dead-letter", ids, "dead", reason)
  )

  const depthScript = redis.eval(Scripts.depth)
  const depth = (destination?: string): Effect.Effect<Depth, BufferStoreError> =>
    Effect.map(
      call(
        "measure depth",
        depthScript([keys.destinations], destination === undefined ? [keys.streams, "all"] : [keys.streams, "one", destination])
      ),
      ([messages, bytes, oldest]) => ({ messages, bytes, oldestAcceptedAt: oldest === null ? undefined : Number(oldest) })
    )

  const destinations = call("list destinations", redis.send<ReadonlyArray<string>>("HKEYS", keys.destinations))

  const deadLetters = Effect.fn("RedisBufferStore.deadLetters")(function*(destination?: string) {
    const entries = yield* call("read dead letters", redis.send<ReadonlyArray<Entry>>("XRANGE", keys.dead, "-", "+"))
    const letters: Array<DeadLetter> = []
    for (const [entryId, fields] of entries) {
      const letter = decodeDeadLetter(fields)
      if (letter === undefined) return yield* malformed("read dead letters", keys.dead, entryId)
      if (destination === undefined || letter.destination === destination) letters.push(letter)
    }
    return letters
  })

  const store = BufferStore.of({ append, take, acknowledge, destinations, depth, deadLetter, deadLetters })
  const own = RedisBufferStore.of({ prefix, instance, persistence, leases: Effect.sync(() => [...held.keys()]) })
  const bounded = yield* withCapacity(store, options.capacity)
  return Context.make(BufferStore, bounded).pipe(Context.add(RedisBufferStore, own))
})

const malformed = (operation: string, key: string, entryId: string) =>
  Effect.fail(storeError(operation, new Error(`the entry ${entryId} of ${key} is not one this store wrote: is another program using the prefix?`)))

const decodeEntries = (destination: string, key: string, entries: ReadonlyArray<Entry>) =>
  Effect.suspend(() => {
    const stored: Array<Stored> = []
    for (const [entryId, f] of entries) {
      // `<id>-0` is the envelope `<id>:<destination>`; fields `h b` in that order.
      const envelope = decodeEnvelope(`${entryId.slice(0, -2)}:${destination}`, destination, f[1], f[3])
      if (envelope === undefined) return malformed("take", key, entryId)
      stored.push(envelope)
    }
    return Effect.succeed(stored)
  })

// `CONFIG GET` answers `[name, value]`, or `{ name: value }` from clients that shape its reply.
const ConfigPair = Schema.Tuple([Schema.String, Schema.String])
const isConfigPair = Schema.is(ConfigPair)
const decodeConfigReply = Schema.decodeUnknownEffect(Schema.Union([ConfigPair, Schema.Record(Schema.String, Schema.String)]))

// Best effort: managed Redis services often refuse `CONFIG`.
const readPersistence = Effect.fnUntraced(function*(
  redis: Redis.Redis["Service"],
  attempt: <A>(call: Effect.Effect<A, Redis.RedisError>) => Effect.Effect<A, unknown>
): Effect.fn.Return<ServerPersistence> {
  const read = (parameter: string) =>
    attempt(redis.send("CONFIG", "GET", parameter)).pipe(
      Effect.flatMap(decodeConfigReply),
      Effect.map((reply): string | undefined => isConfigPair(reply) ? reply[1] : reply[parameter]),
      Effect.orElseSucceed(() => undefined)
    )
  const appendonly = yield* read("appendonly")
  const appendfsync = yield* read("appendfsync")
  const maxmemoryPolicy = yield* read("maxmemory-policy")
  return {
    ...(appendonly === undefined ? {} : { appendonly }),
    ...(appendfsync === undefined ? {} : { appendfsync }),
    ...(maxmemoryPolicy === undefined ? {} : { maxmemoryPolicy })
  }
})

/**
 * A `BufferStore` on Redis, shared by every instance that uses the same `prefix`: a stream per
 * destination, appends grouped into one Lua script per round trip, atomic takes (with the
 * destination's drain lease), acknowledgements and dead letters, every call retried under the
 * `RetryPolicy`'s transient backoff. Also provides `RedisBufferStore`. Needs Effect's `Redis`
 * service (`NodeRedis.layer` of `@effect/platform-node`) and a `RetryPolicy`.
 */
export const layerRedis = (
  options: RedisStoreOptions = {}
): Layer.Layer<BufferStore | RedisBufferStore, BufferStoreError | Config.ConfigError, Redis.Redis | RetryPolicy> =>
  Layer.effectContext(
    Schema.decodeUnknownEffect(RedisStoreOptionsSchema)(options, { errors: "all" }).pipe(
      Effect.mapError((error) => new Config.ConfigError(error)),
      Effect.flatMap(() => make(options))
    )
  )

/**
 * `layerRedis` with its options from configuration, each given as a `Config` (absent options take
 * their defaults): `layerRedisConfig({ prefix: Config.String("BUFFER_PREFIX"), lease: Config.Duration("BUFFER_LEASE") })`.
 */
export const layerRedisConfig = (
  options: Config.Wrap<RedisStoreOptions>
): Layer.Layer<BufferStore | RedisBufferStore, BufferStoreError | Config.ConfigError, Redis.Redis | RetryPolicy> =>
  Layer.unwrap(Effect.map(Config.unwrap(options), layerRedis))
