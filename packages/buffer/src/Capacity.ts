import { Clock, Config, Deferred, Duration, Effect, Schema, Semaphore } from "effect"
import { BufferFull, type BufferStore, type BufferStoreError, type Envelope, type Removed, type Stored } from "./BufferStore.ts"
import { defined, NotNegativeDuration, Limit, optional, under, validate } from "./internal/options.ts"

/**
 * What an append does when the buffer is full: `reject` it with `BufferFull`; `drop-oldest`: remove
 * the oldest envelope of the same destination (else the oldest of all) to make room, and report it
 * in `Appended.dropped`; `{ block }`: wait up to that long for acknowledgements to make room, then
 * `BufferFull`.
 */
export type Overflow = "reject" | "drop-oldest" | { readonly block: Duration.Input }

/** The capacity of a buffer, counted in envelopes and in body bytes (dead letters not counted). */
export interface CapacityOptions {
  /** Default 10,000. */
  readonly messages?: number
  /** Default `Infinity`. */
  readonly bytes?: number
  /** Default `reject`. */
  readonly overflow?: Overflow
}

const CapacityOptionsSchema = Schema.Struct({
  messages: Schema.optionalKey(Limit),
  bytes: Schema.optionalKey(Limit),
  overflow: Schema.optionalKey(Schema.Union([Schema.Literals(["reject", "drop-oldest"]), Schema.Struct({ block: NotNegativeDuration })]))
})

/** Checks capacity options, failing with a `ConfigError` that names each option in error. */
export const validateCapacity: (options: CapacityOptions) => Effect.Effect<CapacityOptions, Config.ConfigError> =
  validate(CapacityOptionsSchema)

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * Capacity options from configuration, under `path`: `messages`, `bytes`, `overflow` (`reject`,
 * `drop-oldest` or `block`) and `blockFor` (how long `block` waits; default: until there is room).
 * Absent keys take the defaults. With `ConfigProvider.fromEnv()` and the path `BUFFER`:
 * `BUFFER_messages=50000`, `BUFFER_overflow=block`, `BUFFER_blockFor="5 seconds"`.
 */
export const capacityConfig = (path?: string): Config.Config<CapacityOptions> =>
  under(
    Config.all({
      messages: optional(Config.Number("messages")),
      bytes: optional(Config.Number("bytes")),
      overflow: optional(Config.Literals(["reject", "drop-oldest", "block"], "overflow")),
      blockFor: optional(Config.Duration("blockFor"))
    }),
    path
  ).pipe(Config.map(({ blockFor, bytes, messages, overflow }) =>
    defined<CapacityOptions>({
      messages,
      bytes,
      overflow: overflow === "block" ? { block: blockFor ?? Duration.infinity } : overflow
    })
  ))

const removedOf = (envelopes: ReadonlyArray<Envelope>): Removed => ({
  messages: envelopes.length,
  bytes: envelopes.reduce((sum, e) => sum + e.body.length, 0)
})

/**
 * A store that enforces a capacity on any other, so that drivers need not. The accounts are kept in
 * memory, starting from the store's depth (data already there counts), and follow every append,
 * acknowledgement and dead letter. Room is taken in the accounts before the store is called, so
 * concurrent appends reach the store concurrently (a driver's group commit still sees them together)
 * and can never overfill it together.
 */
export const withCapacity = Effect.fnUntraced(function*(
  store: BufferStore["Service"],
  options: CapacityOptions = {}
): Effect.fn.Return<BufferStore["Service"], Config.ConfigError | BufferStoreError> {
  yield* validateCapacity(options)
  const capacity = { messages: options.messages ?? 10_000, bytes: options.bytes ?? Number.POSITIVE_INFINITY }
  // Nothing to enforce: the store as it is, without accounts on its hot path.
  if (capacity.messages === Number.POSITIVE_INFINITY && capacity.bytes === Number.POSITIVE_INFINITY) return store
  const overflow = options.overflow ?? "reject"
  const initial = yield* store.depth()
  let messages = initial.messages
  let bytes = initial.bytes
  // Made when someone waits for the accounts to change (room freed, an append landed), completed and
  // dropped at the next change. Waiters take it before looking, so no change in between is missed.
  let changed: Deferred.Deferred<void> | undefined
  const nextChange = () => (changed ??= Deferred.makeUnsafe<void>())
  // One drop-oldest at a time, so that two full appends do not both drop for the same place.
  const dropping = yield* Semaphore.make(1)

  // The accounts are plain variables changed by synchronous functions: no other fiber can run
  // between a check and its update, which is what keeps concurrent appends from overfilling.
  const notify = () => {
    const waiting = changed
    changed = undefined
    if (waiting !== undefined) Deferred.doneUnsafe(waiting, Effect.void)
  }
  const giveBack = (removed: Removed) => {
    if (removed.messages === 0 && removed.bytes === 0) return
    messages -= removed.messages
    bytes -= removed.bytes
    notify()
  }
  const reserve = (size: number) => {
    if (messages + 1 > capacity.messages || bytes + size > capacity.bytes) return false
    messages += 1
    bytes += size
    return true
  }

  const full = (destination: string) =>
    Effect.suspend(() => Effect.fail(new BufferFull({ destination, messages, bytes, capacity })))

  const oldestOf = (destination: string) => Effect.map(store.take(destination, 1), (taken) => taken[0])

  const oldest = (destination: string) =>
    Effect.gen(function*() {
      const own = yield* oldestOf(destination)
      if (own !== undefined) return own
      let found: Stored | undefined
      for (const other of yield* store.destinations) {
        const candidate = yield* oldestOf(other)
        if (candidate !== undefined && (found === undefined || candidate.acceptedAt < found.acceptedAt)) found = candidate
      }
      return found
    })

  // Only waiting is interruptible (`restore`): room taken is always either used by an append or given back.
  const dropOldest = (envelope: Envelope, size: number, restore: Restore) =>
    Effect.andThen(
      restore(dropping.take(1)),
      Effect.gen(function*() {
        const dropped: Array<Stored> = []
        for (;;) {
          const waiting = nextChange()
          if (reserve(size)) return dropped
          const victim = yield* oldest(envelope.destination)
          if (victim === undefined) {
            // All the room is held by appends in flight: once they land they can be dropped. Not
            // interruptible: what was dropped so far must reach the caller.
            yield* Deferred.await(waiting)
            continue
          }
          const removed = yield* store.acknowledge([victim.id])
          giveBack(removed)
          // Nothing removed: someone acknowledged it meanwhile (the drainer sent it): not dropped.
          if (removed.messages > 0) dropped.push(victim)
        }
      }).pipe(Effect.ensuring(dropping.release(1)))
    )

  const block = (envelope: Envelope, size: number, timeout: Duration.Duration, restore: Restore) =>
    Effect.gen(function*() {
      const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(timeout)
      for (;;) {
        const waiting = nextChange()
        if (reserve(size)) return []
        const left = deadline - (yield* Clock.currentTimeMillis)
        if (left <= 0) return yield* full(envelope.destination)
        yield* restore(Effect.timeoutOption(Deferred.await(waiting), Duration.millis(left)))
      }
    })

  // Room for one more envelope when there was none at first: by the overflow policy. What was dropped for it.
  const makeRoom = (envelope: Envelope, restore: Restore): Effect.Effect<ReadonlyArray<Stored>, BufferFull | BufferStoreError> => {
    const size = envelope.body.length
    // A body larger than the whole capacity never fits: dropping or waiting would not help.
    if (size > capacity.bytes || overflow === "reject") return full(envelope.destination)
    if (overflow === "drop-oldest") return dropOldest(envelope, size, restore)
    return block(envelope, size, Duration.fromInputUnsafe(overflow.block), restore)
  }

  // The store's append, once room is taken: what failed gives the room back.
  const land = (envelope: Envelope, dropped: ReadonlyArray<Stored>) =>
    Effect.matchCauseEffect(store.append(envelope), {
      onFailure: (cause) => {
        giveBack(removedOf([envelope]))
        return Effect.failCause(cause)
      },
      onSuccess: (appended) => {
        giveBack(removedOf(appended.dropped))
        notify()
        return Effect.succeed(
          dropped.length === 0 ? appended : { id: appended.id, dropped: [...dropped, ...appended.dropped] }
        )
      }
    })

  return {
    ...store,
    // Only the waiting for room can be interrupted. Once room is taken the store's append runs to its
    // end: whether an interrupted append landed could not be known, and the accounts would drift.
    append: (envelope) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() =>
          reserve(envelope.body.length)
            ? land(envelope, [])
            : Effect.flatMap(makeRoom(envelope, restore), (dropped) => land(envelope, dropped))
        )
      ),
    acknowledge: (ids) => Effect.tap(store.acknowledge(ids), (removed) => Effect.sync(() => giveBack(removed))),
    deadLetter: (ids, reason) => Effect.tap(store.deadLetter(ids, reason), (removed) => Effect.sync(() => giveBack(removed)))
  }
})
