import type { AttributeName, Attributes, CallError, MqConnection } from "@resilient-mq/core"
import { Effect } from "effect"

/** Attributes of a queue, through a handle opened for the inquiry and closed after it. */
export const inquireQueue = <const A extends AttributeName>(
  mq: MqConnection["Service"],
  queue: string,
  attributes: ReadonlyArray<A>
): Effect.Effect<Attributes<A>, CallError> =>
  Effect.scoped(
    Effect.flatMap(mq.open({ type: "queue", name: queue }, { inquire: true }), (object) => mq.inquire(object, attributes))
  )

/** Attributes of the queue manager the connection is on. */
export const inquireQueueManager = <const A extends AttributeName>(
  mq: MqConnection["Service"],
  attributes: ReadonlyArray<A>
): Effect.Effect<Attributes<A>, CallError> =>
  Effect.scoped(
    Effect.flatMap(mq.open({ type: "queue-manager" }, { inquire: true }), (object) => mq.inquire(object, attributes))
  )
