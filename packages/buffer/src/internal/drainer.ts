import { type CallError, isMqError, type MessageDescriptor, type MqError } from "@resilient-mq/core"
import { Cause, Clock, Duration, Effect, Latch, Option } from "effect"
import type { BufferedProducerOptions } from "../BufferedProducer.ts"
import type { BufferStoreError, EnvelopeId, Stored } from "../BufferStore.ts"
import { messageOf, putEnvelope, type Shared } from "./producer.ts"

/**
 * How a batch went: `drained` (committed, then acknowledged), `empty` (nothing to take yet: an append
 * has not landed), `again` (the connection went or the unit was backed out: take it again, once
 * connected), `pause` (the queue is full, the store failed...: leave the destination alone a while).
 */
type Outcome = "drained" | "empty" | "again" | "pause"

/** A message the queue manager refused for good, and where it went (`queue`: the dead-letter queue). */
interface Refused {
  readonly envelope: Stored
  readonly reason: string
  readonly queue?: string
}

interface Placed {
  /** Put on their destination in the unit of work. */
  readonly sent: Array<Stored>
  readonly refused: Array<Refused>
}

/** Bytes of bodies the drainer reads ahead of its puts, about (at least one batch is always read). */
const READ_AHEAD_BYTES = 4 * 1024 * 1024
const MAX_READ_AHEAD_BATCHES = 16

const isRefusal = (error: unknown): error is MqError => isMqError(error) && error.errorClass === "permanent"

// A lost connection, an unknown outcome or a backed-out unit are resolved by putting the batch again
// (the connection waits for its reconnect); anything else waits a while before the next try.
const outcomeOf = (error: CallError | BufferStoreError): Outcome => {
  switch (error._tag) {
    case "MqError":
      return error.errorClass === "transient" || error.errorClass === "permanent" ? "pause" : "again"
    case "ConnectionUnavailable":
      return "again"
    case "BufferStoreError":
      return "pause"
  }
}

/**
 * Forwards what is buffered, one batch per destination in turn, while the connection is `Connected`;
 * sleeps until an append lands, the connection comes back, or a paused destination may be tried again.
 */
export const runDrainer = (shared: Shared, options: BufferedProducerOptions) => {
  const { mq, store, backlog, metrics, publish } = shared
  const batchSize = options.batchSize ?? 64
  const retryDelay = Duration.toMillis(Duration.fromInputUnsafe(options.retryDelay ?? "1 second"))
  const deadLetterQueue = options.deadLetterQueue

  const putInUnit = (envelope: Stored) => putEnvelope(shared, envelope.destination, envelope, messageOf(envelope), true)

  // In the same unit of work as the batch: it is on the dead-letter queue exactly when the batch commits.
  const putOnDeadLetterQueue = (envelope: Stored, queue: string, reason: string) =>
    putEnvelope(shared, queue, envelope, {
      ...messageOf(envelope),
      properties: { ...envelope.properties, "resilient.reason": reason, "resilient.destination": envelope.destination }
    }, true)

  // A message refused for good: onto the dead-letter queue in the same unit, if there is one and it
  // takes it, else into the store's dead letters after the commit.
  const setAside = (envelope: Stored, refusal: MqError, placed: Placed): Effect.Effect<void, CallError> => {
    const reason = refusal.message
    if (deadLetterQueue === undefined) return Effect.sync(() => placed.refused.push({ envelope, reason }))
    return Effect.matchEffect(putOnDeadLetterQueue(envelope, deadLetterQueue, reason), {
      onSuccess: () => Effect.sync(() => placed.refused.push({ envelope, reason, queue: deadLetterQueue })),
      // Refused by the dead-letter queue too: the store's dead letters keep it.
      onFailure: (error) => isRefusal(error) ? Effect.sync(() => placed.refused.push({ envelope, reason })) : Effect.fail(error)
    })
  }

  // Puts the batch in one unit of work. A refusal sets the message aside and the batch goes on;
  // any other failure fails the whole batch (its unit is then backed out). One step effect and one
  // pair of handlers per batch, reused for every message: what a message costs beyond its put is
  // what the drain costs beyond the bare puts.
  const place = (batch: ReadonlyArray<Stored>): Effect.Effect<Placed, CallError> =>
    Effect.suspend(() => {
      const placed: Placed = { sent: [], refused: [] }
      let next = 0
      const step: Effect.Effect<Placed, CallError> = Effect.suspend(() =>
        next < batch.length ? Effect.matchCauseEffect(putInUnit(batch[next]!), handlers) : Effect.succeed(placed)
      )
      // `matchCauseEffect` with one-parameter handlers takes them as they are (`matchEffect` would
      // wrap them in new closures for every message).
      const handlers = {
        onSuccess: (_: MessageDescriptor) => {
          placed.sent.push(batch[next++]!)
          return step
        },
        onFailure: (cause: Cause.Cause<CallError>) => {
          const envelope = batch[next++]!
          const error = Cause.findErrorOption(cause)
          return Option.isSome(error) && isRefusal(error.value)
            ? Effect.andThen(setAside(envelope, error.value, placed), step)
            : Effect.failCause(cause)
        }
      }
      return step
    })

  // After the commit: acknowledged what the queue manager has, dead letters for the rest.
  const settle = (destination: string, placed: Placed) =>
    Effect.gen(function*() {
      const onQueue = placed.refused.filter((r) => r.queue !== undefined)
      const inStore = placed.refused.filter((r) => r.queue === undefined)
      const acknowledged = yield* store.acknowledge([...placed.sent, ...onQueue.map((r) => r.envelope)].map((e) => e.id))
      let removed = acknowledged.messages
      for (const reason of new Set(inStore.map((r) => r.reason))) {
        const ids = inStore.filter((r) => r.reason === reason).map((r) => r.envelope.id)
        removed += (yield* store.deadLetter(ids, reason)).messages
      }
      if (placed.sent.length > 0) {
        yield* metrics.drained(destination, placed.sent.length)
        yield* publish({ _tag: "Drained", destination, count: placed.sent.length })
      }
      for (const refused of placed.refused) {
        yield* metrics.deadLettered(destination, 1)
        yield* publish({ _tag: "DeadLettered", ...refused })
      }
      // Last: emptying the backlog is `BacklogCleared`, which comes after what emptied it.
      yield* backlog.settle(destination, removed)
    })

  /*
   * Committed batches are settled (acknowledged, durably) behind the drainer's back, so that the next
   * batches are put while the store syncs: a settler runs while there is something to settle, and
   * settles all the batches of a destination committed meanwhile with one acknowledgement. The
   * drainer reads ahead (several batches per take, see `READ_AHEAD_BYTES`); a take made while batches are
   * still being settled leaves theirs out (they are still in the store), so that nothing is sent
   * twice, and waits once as many are unsettled as one take reads. A crash between a commit and its
   * acknowledgement repeats the unsettled batches, with the same MsgIds, as before.
   */
  const ahead = new Map<string, Array<Stored>>()
  const unsettled = new Map<string, Set<EnvelopeId>>()
  const pausedUntil = new Map<string, number>()
  let committed: Array<{ readonly destination: string; readonly placed: Placed }> = []
  let settling = false
  const settled = Latch.makeUnsafe(true)

  const settleCommitted: Effect.Effect<void> = Effect.gen(function*() {
    while (committed.length > 0) {
      const group = committed
      committed = []
      const byDestination = new Map<string, Placed>()
      for (const { destination, placed } of group) {
        const merged = byDestination.get(destination)
        if (merged === undefined) byDestination.set(destination, { sent: [...placed.sent], refused: [...placed.refused] })
        else {
          merged.sent.push(...placed.sent)
          merged.refused.push(...placed.refused)
        }
      }
      for (const [destination, placed] of byDestination) {
        yield* settle(destination, placed).pipe(
          Effect.catch((error) =>
            Effect.andThen(
              Effect.logWarning(`acknowledging what was drained to ${destination} failed, it will be sent again: ${error.message}`),
              // Taken again, after a while: what was not acknowledged is still in the store.
              Clock.currentTimeMillis.pipe(Effect.map((now) => pausedUntil.set(destination, now + retryDelay)))
            )
          )
        )
        const pending = unsettled.get(destination)
        for (const envelope of placed.sent) pending?.delete(envelope.id)
        for (const refused of placed.refused) pending?.delete(refused.envelope.id)
        if (pending?.size === 0) unsettled.delete(destination)
      }
      yield* Latch.open(shared.wake)
    }
    settling = false
    yield* Latch.open(settled)
  }).pipe(Effect.uninterruptible)

  const handOver = (destination: string, placed: Placed) =>
    Effect.suspend(() => {
      committed.push({ destination, placed })
      let pending = unsettled.get(destination)
      if (pending === undefined) unsettled.set(destination, pending = new Set())
      for (const envelope of placed.sent) pending.add(envelope.id)
      for (const refused of placed.refused) pending.add(refused.envelope.id)
      if (settling) return Effect.void
      settling = true
      return Effect.andThen(Latch.close(settled), Effect.forkDetach(settleCommitted))
    })

  // The next batch of a destination: from what was read ahead, else a new take without what is
  // still being settled.
  const nextBatch = (destination: string) =>
    Effect.suspend(() => {
      const held = ahead.get(destination)
      if (held !== undefined && held.length > 0) return Effect.succeed(held.slice(0, batchSize))
      // A copy: batches settled while the take runs leave the live set, but the take may have read
      // them before their acknowledgement removed them.
      const pending = unsettled.has(destination) ? new Set(unsettled.get(destination)) : undefined
      const skip = pending?.size ?? 0
      return Effect.flatMap(store.depth(destination), (depth) => {
        // As many as fit in `READ_AHEAD_BYTES` at the average size of what the destination holds now,
        // from one batch (large bodies) to `MAX_READ_AHEAD_BATCHES` (small ones).
        const average = depth.messages === 0 ? 1 : Math.max(1, depth.bytes / depth.messages)
        const readAhead = Math.max(batchSize, Math.min(Math.floor(READ_AHEAD_BYTES / average), batchSize * MAX_READ_AHEAD_BATCHES))
        if (skip >= readAhead) return Effect.succeed([])
        return Effect.map(store.take(destination, readAhead + skip), (all) => {
          const taken = pending === undefined ? [...all] : all.filter((envelope) => !pending.has(envelope.id))
          ahead.set(destination, taken)
          return taken.slice(0, batchSize)
        })
      })
    })

  // The puts may be interrupted (the layer closes): the unit is then backed out. From the commit on,
  // nothing is interrupted, so that a committed batch is also handed over to be acknowledged.
  const drainBatch = (destination: string): Effect.Effect<Outcome> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const batch = yield* restore(nextBatch(destination))
        if (batch.length === 0) return "empty" as const
        const placed = yield* restore(place(batch)).pipe(
          Effect.onError(() => Effect.ignore(mq.backout))
        )
        // A commit whose outcome is unknown may have happened: the batch is put again, and the
        // duplicates, if any, carry the same MsgIds.
        yield* mq.commit
        ahead.get(destination)?.splice(0, batch.length)
        yield* handOver(destination, placed)
        return "drained" as const
      })
    ).pipe(
      Effect.withSpan("BufferedProducer.drain", { attributes: { destination } }),
      Effect.catch((error) => {
        // What was read ahead is read again: after a failure it may be stale (and the batch is redone).
        ahead.delete(destination)
        const outcome = outcomeOf(error)
        return outcome === "pause"
          ? Effect.as(Effect.logWarning(`draining the buffer for ${destination} failed, trying again later: ${error.message}`), outcome)
          : Effect.succeed(outcome)
      })
    )

  return Effect.gen(function*() {
    for (;;) {
      // Closed before looking, so that anything that happens during the pass opens it again.
      yield* Latch.close(shared.wake)
      const now = yield* Clock.currentTimeMillis
      let progressed = false
      if (shared.isConnected()) {
        for (const destination of backlog.destinations()) {
          if ((pausedUntil.get(destination) ?? 0) > now) continue
          const outcome = yield* drainBatch(destination)
          if (outcome === "pause") pausedUntil.set(destination, now + retryDelay)
          else pausedUntil.delete(destination)
          progressed ||= outcome === "drained" || outcome === "again"
        }
      }
      if (progressed) continue
      const resumes = backlog.destinations().map((d) => pausedUntil.get(d) ?? 0).filter((at) => at > now)
      yield* resumes.length === 0
        ? Latch.await(shared.wake)
        : Effect.timeoutOption(Latch.await(shared.wake), Duration.millis(Math.min(...resumes) - now))
    }
  }).pipe(
    // Whatever was committed is acknowledged before the drainer is gone (and the store with it).
    Effect.ensuring(Latch.await(settled)),
    Effect.tapCause((cause) => Effect.logError("the buffer's drainer stopped", cause))
  )
}
