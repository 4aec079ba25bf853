import { type CallError, type MqConnection, Persistence, type QueueManagerIdentity } from "@resilient-mq/core"
import { Effect, Option } from "effect"
import { inquireQueueManager } from "./inquire.ts"

/** A unit's marker on the ledger: its CorrelId is the unit id. */
export interface Marker {
  readonly unitId: string
  readonly correlId: Uint8Array
}

/** Whether the ledger says the commit happened, or why it cannot say. */
type Verdict =
  | { readonly _tag: "Committed" }
  | { readonly _tag: "BackedOut" }
  | { readonly _tag: "Unresolved"; readonly why: string; readonly cause?: unknown }

/**
 * The ledger queue: each unit puts its marker there under its own syncpoint, so the marker is
 * committed exactly when the unit is. A commit of unknown outcome is then resolved by browsing for
 * the marker, and markers are removed once their unit is settled, so the queue stays near empty.
 */
export const makeLedger = Effect.fnUntraced(function*(mq: MqConnection["Service"], queue: string) {
  const ledger = yield* mq.open({ type: "queue", name: queue }, { input: "shared", output: true, browse: true })
  // Which queue manager the connection is on now, asked of the queue manager itself: a reconnect the
  // MQ client made on its own does not change what the connection last connected to.
  const currentQmid = inquireQueueManager(mq, ["QMgrIdentifier", "QMgrName"])

  const mark = (marker: Marker): Effect.Effect<void, CallError> =>
    Effect.asVoid(mq.put(ledger, {
      body: `unit ${marker.unitId}`,
      // Persistent: the marker must outlive a restart of the queue manager that committed it.
      descriptor: { correlId: marker.correlId, persistence: Persistence.PERSISTENT, format: "MQSTR" }
    }, { syncpoint: true }))

  /** Removes a settled unit's marker, outside syncpoint (a repeat after a break finds none: no harm). */
  const trim = (marker: Marker): Effect.Effect<void, CallError> =>
    Effect.asVoid(mq.get(ledger, { match: { correlId: marker.correlId }, syncpoint: false }))

  const elsewhere = (ranOn: QueueManagerIdentity, now: { readonly QMgrIdentifier: string; readonly QMgrName: string }) =>
    now.QMgrIdentifier === ranOn.qmid
      ? undefined
      : `the connection is now on ${now.QMgrName} (QMID ${now.QMgrIdentifier}), not on ${ranOn.name} (QMID ${ranOn.qmid}) where the unit ran and whose ledger holds the answer`

  /**
   * Looks for the marker of a unit whose commit was cut off (the cut-off connection's unit is gone
   * with it). The answer counts only if the connection was on the unit's queue manager before and after
   * the look: another queue manager's ledger knows nothing of the unit.
   */
  const resolve = (marker: Marker, ranOn: QueueManagerIdentity): Effect.Effect<Verdict> =>
    Effect.gen(function*() {
      const before = elsewhere(ranOn, yield* currentQmid)
      if (before !== undefined) return { _tag: "Unresolved", why: before } as const
      const found = yield* mq.get(ledger, { browse: "first", match: { correlId: marker.correlId } })
      const after = elsewhere(ranOn, yield* currentQmid)
      if (after !== undefined) return { _tag: "Unresolved", why: after } as const
      return Option.isSome(found) ? { _tag: "Committed" } as const : { _tag: "BackedOut" } as const
    }).pipe(
      Effect.catch((cause) =>
        Effect.succeed<Verdict>({ _tag: "Unresolved", why: `the ledger queue ${queue} could not be read`, cause })
      )
    )

  return { queue, mark, trim, resolve }
})
