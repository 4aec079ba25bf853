import {
  type CallError,
  type Message,
  MqConnection,
  MsgType,
  type OutgoingMessage,
  type PutDescriptor,
  Report
} from "@resilient-mq/core"
import { type Duration, Effect, Stream } from "effect"

/** Options of `serve`. */
export interface ResponderOptions {
  /** How long each get waits for a request before it looks again. Default `"1 second"`. */
  readonly wait?: Duration.Input
}

/**
 * The reply's descriptor for a request, as MQ's report options ask (MQ-BEHAVIOUR: MQRO_*): its
 * CorrelId is the request's CorrelId with `PASS_CORREL_ID`, else the request's MsgId (the default);
 * its MsgId is the request's with `PASS_MSG_ID`, else new. MsgType is REPLY and persistence the
 * request's, unless the reply says otherwise; the correlation is not the reply's to change.
 */
export const replyDescriptor = (request: Message, reply: OutgoingMessage): PutDescriptor => {
  const d = request.descriptor
  const { msgId: _msgId, correlId: _correlId, ...chosen } = reply.descriptor ?? {}
  return {
    msgType: MsgType.REPLY,
    persistence: d.persistence,
    ...chosen,
    correlId: (d.report & Report.PASS_CORREL_ID) !== 0 ? d.correlId : d.msgId,
    ...((d.report & Report.PASS_MSG_ID) !== 0 ? { msgId: d.msgId } : {})
  }
}

/**
 * Serves requests from `queue` on the `MqConnection` in context until interrupted: each request is
 * got under syncpoint and handed to `handler`, whose reply is put under the same syncpoint to the
 * request's ReplyToQ on its ReplyToQMgr, with the correlation its report options ask for; then the
 * unit of work is committed. A request without a ReplyToQ gets no reply (the handler still runs).
 *
 * When the unit is lost to MQ (a break, 2003, a commit with an unknown outcome) the request comes
 * again, so a handler must be idempotent or tell a request it has seen (by MsgId): so must it be for
 * the `resend` policy of requesters. A handler's failure, or a reply the queue manager refuses for
 * good (an unknown reply-to queue manager, 2087), backs the unit out and ends `serve` with that error.
 *
 * The unit of work is the connection's: give a responder a connection of its own.
 */
export const serve = <E, R>(
  queue: string,
  handler: (request: Message) => Effect.Effect<OutgoingMessage, E, R>,
  options?: ResponderOptions
): Effect.Effect<void, E | CallError, MqConnection | R> =>
  Effect.scoped(Effect.gen(function*() {
    const mq = yield* MqConnection
    const requests = yield* mq.open({ type: "queue", name: queue }, { input: "shared" })
    yield* mq.consumeWith(requests, (request) =>
      Effect.gen(function*() {
        const reply = yield* handler(request)
        const to = request.descriptor.replyToQ.trim()
        if (to === "") return
        yield* mq.put1(
          { type: "queue", name: to, queueManager: request.descriptor.replyToQMgr },
          { ...reply, descriptor: replyDescriptor(request, reply) },
          { syncpoint: true }
        )
      }), options?.wait === undefined ? {} : { wait: options.wait }).pipe(Stream.runDrain)
  }))
