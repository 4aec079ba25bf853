import type { MqConnection, OutgoingMessage } from "@resilient-mq/core"
import { Cause, Effect, Exit } from "effect"
import type { ReplyAffinityEvent, ReplyAffinityOptions, StrayReply } from "../ReplyAffinity.ts"
import { hex } from "./identifiers.ts"
import type { Metrics } from "./metrics.ts"

interface Dependencies {
  readonly mq: MqConnection["Service"]
  readonly options: ReplyAffinityOptions
  readonly metrics: Metrics
  readonly publish: (event: ReplyAffinityEvent) => Effect.Effect<unknown>
}

/** The property a stray reply put on the stray queue carries: why it is stray. */
export const STRAY_PROPERTY = "resilient.stray"

// The reply as it came, with what a put may set of its descriptor (the context is the queue manager's).
const strayMessage = (stray: StrayReply): OutgoingMessage => {
  const d = stray.message.descriptor
  return {
    body: stray.message.body,
    descriptor: {
      msgType: d.msgType,
      format: d.format,
      encoding: d.encoding,
      codedCharSetId: d.codedCharSetId,
      priority: d.priority,
      persistence: d.persistence,
      expiry: d.expiry,
      feedback: d.feedback,
      msgId: d.msgId,
      correlId: d.correlId,
      replyToQ: d.replyToQ,
      replyToQMgr: d.replyToQMgr
    },
    properties: { ...stray.message.properties, [STRAY_PROPERTY]: stray.reason }
  }
}

/**
 * Where stray replies go: to the application's handler, or onto the stray queue, or into the log as a
 * warning when neither is configured; in every case a `StrayReply` event says so. A stray reply is
 * never dropped without a word: one the stray queue refuses is logged as an error, whole.
 */
export const makeStrays = (deps: Dependencies) => {
  const { mq, options, metrics, publish } = deps
  const describe = (stray: StrayReply) =>
    `a ${stray.reason} reply on ${stray.queue} (CorrelId ${hex(stray.message.descriptor.correlId)})`

  const toQueue = (stray: StrayReply, queue: string) =>
    Effect.gen(function*() {
      const put = yield* Effect.exit(mq.put1({ type: "queue", name: queue }, strayMessage(stray)))
      if (Exit.isSuccess(put)) return yield* publish({ _tag: "StrayReply", stray, strayQueue: queue })
      yield* Effect.logError(`${describe(stray)} could not be put on ${queue}; its body follows`, Cause.squash(put.cause), stray.message.body)
      yield* publish({ _tag: "StrayReply", stray })
    })

  return (stray: StrayReply): Effect.Effect<void> =>
    Effect.gen(function*() {
      yield* metrics.stray(stray.reason, 1)
      if (options.onStray !== undefined) {
        yield* options.onStray(stray).pipe(
          Effect.catchCause((cause) => Effect.logError(`the stray reply handler failed on ${describe(stray)}`, cause))
        )
        yield* publish({ _tag: "StrayReply", stray })
      } else if (options.strayQueue !== undefined) {
        yield* toQueue(stray, options.strayQueue)
      } else {
        yield* Effect.logWarning(`${describe(stray)}: no request waits for it`)
        yield* publish({ _tag: "StrayReply", stray })
      }
    })
}
