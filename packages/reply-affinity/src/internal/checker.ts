import type { CallError, ConnectionUnavailable, MqConnection, MqObject } from "@resilient-mq/core"
import { Effect, Semaphore } from "effect"
import type { QueueManagerRef } from "../Errors.ts"
import type { ReplyAffinityEvent } from "../ReplyAffinity.ts"
import type { Outstanding, Registry } from "./registry.ts"

interface Dependencies {
  readonly mq: MqConnection["Service"]
  /** The queue-manager object, open for inquiries. */
  readonly manager: MqObject
  readonly registry: Registry
  /** What the policy does with a request whose reply goes to another queue manager than `now`. */
  readonly orphaned: (entry: Outstanding, now: QueueManagerRef) => Effect.Effect<void>
  readonly publish: (event: ReplyAffinityEvent) => Effect.Effect<unknown>
}

const refOf = (identity: { readonly name: string; readonly qmid: string }): QueueManagerRef => ({
  name: identity.name,
  qmid: identity.qmid
})

/**
 * Knows which queue manager replies come to now, and hands the policy every waiting request that was
 * sent through another. Two sources tell it where the connection is: the connection's reconnects
 * (its `Reconnected` events, or its identity when a request finds it changed first), and inquiries
 * of the queue manager's QMID, which alone see a move made by the MQ client's own reconnect. Changes
 * are taken in one at a time, so that each request is handled once per move.
 */
export const makeChecker = Effect.fnUntraced(function*(deps: Dependencies) {
  const { mq, manager, registry, orphaned, publish } = deps
  const lock = yield* Semaphore.make(1)
  const initial = refOf(yield* mq.queueManager)
  // Where replies come now, as far as is known.
  let current = initial
  // The queue manager the connection last said it reached (a move by the MQ client does not change it).
  let reported = initial

  const locked = <A, E>(effect: Effect.Effect<A, E>) => Semaphore.withPermits(lock, 1)(effect)

  // The connection is on `to`: each request sent through another queue manager goes to the policy.
  const settle = (to: QueueManagerRef, detectedBy: "reconnect" | "inquiry") =>
    Effect.gen(function*() {
      const from = current
      current = to
      if (from.qmid !== to.qmid) yield* publish({ _tag: "QueueManagerChanged", from, to, detectedBy })
      for (const entry of registry.waiting()) {
        if (entry.sentThrough !== undefined && entry.sentThrough.qmid !== to.qmid) yield* orphaned(entry, to)
      }
    })

  /** The connection reconnected to `to` (the same queue manager or another). */
  const reconnected = (to: QueueManagerRef): Effect.Effect<void> =>
    locked(Effect.suspend(() => {
      reported = to
      return settle(to, "reconnect")
    }))

  /** Where replies come now, after taking in a reconnect that no event has told yet. */
  const now: Effect.Effect<QueueManagerRef, ConnectionUnavailable> = Effect.flatMap(
    mq.queueManager,
    (identity) =>
      identity.qmid === reported.qmid
        ? Effect.sync(() => current)
        : Effect.as(reconnected(refOf(identity)), refOf(identity))
  )

  /** Asks the queue manager for its name and QMID (MQINQ), and takes in a move nothing else told. */
  const inquire: Effect.Effect<QueueManagerRef, CallError> = Effect.gen(function*() {
    const values = yield* mq.inquire(manager, ["QMgrName", "QMgrIdentifier"])
    const seen: QueueManagerRef = { name: values.QMgrName, qmid: values.QMgrIdentifier }
    // A reconnect during the inquiry is a reconnect, not a silent move: it is taken in first.
    yield* now
    yield* locked(Effect.suspend(() => (seen.qmid === current.qmid ? Effect.void : settle(seen, "inquiry"))))
    return seen
  })

  /** The request went through `through`: handed to the policy at once if the connection is elsewhere by now. */
  const stamp = (entry: Outstanding, through: QueueManagerRef): Effect.Effect<void> =>
    locked(Effect.suspend(() => {
      entry.sentThrough = through
      return through.qmid === current.qmid ? Effect.void : orphaned(entry, current)
    }))

  return { now, inquire, reconnected, stamp }
})
