import {
  type CallError,
  type Message,
  MqConnection,
  MsgType,
  type ObjectDescriptor,
  type OutgoingMessage,
  type PutDescriptor,
  Report
} from "@resilient-mq/core"
// Types only: the transaction package is an optional peer dependency.
import type { RunError, TransactionGuard } from "@resilient-mq/transaction"
import { type Duration, Effect, Stream } from "effect"
import { serveGuarded } from "./internal/guardedResponder.ts"

/** Options of `serve`. */
export interface ResponderOptions {
  /**
   * How long each get waits for a request before it looks again (and, under a guard, how long it
   * pauses after a request it could not answer). Default `"1 second"`.
   */
  readonly wait?: Duration.Input
}

/** Options of `serve` under a transaction guard. */
export interface GuardedResponderOptions extends ResponderOptions {
  /** The guard that runs each request as a unit of work; built on the `MqConnection` `serve` runs on. */
  readonly guard: TransactionGuard["Service"]
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

/** The handler's reply, put through `put1` to the request's ReplyToQ on its ReplyToQMgr; none without a ReplyToQ. */
const answer = <E, R, E2>(
  request: Message,
  handler: (request: Message) => Effect.Effect<OutgoingMessage, E, R>,
  put1: (object: ObjectDescriptor, message: OutgoingMessage) => Effect.Effect<unknown, E2>
): Effect.Effect<void, E | E2, R> =>
  Effect.flatMap(handler(request), (reply) => {
    const to = request.descriptor.replyToQ.trim()
    return to === "" ? Effect.void : Effect.asVoid(put1(
      { type: "queue", name: to, queueManager: request.descriptor.replyToQMgr },
      { ...reply, descriptor: replyDescriptor(request, reply) }
    ))
  })

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
 * With `guard` (a `TransactionGuard` of `@resilient-mq/transaction`, built on the same connection),
 * each request is one guarded unit: a unit lost to MQ runs again, a commit of unknown outcome is
 * resolved through the guard's ledger, and a request backed out as often as the backout threshold is
 * moved aside by the guard. A handler's failure, or a reply refused for good, then backs the request
 * out without ending `serve`: it comes again (after `wait`), until the guard moves it aside. Inside
 * the unit the handler's `MqConnection` is the guarded one: its puts and gets join the unit.
 *
 * The unit of work is the connection's: give a responder a connection of its own.
 */
export function serve<E, R>(
  queue: string,
  handler: (request: Message) => Effect.Effect<OutgoingMessage, E, R>,
  options?: ResponderOptions & { readonly guard?: undefined }
): Effect.Effect<void, E | CallError, MqConnection | R>
export function serve<E, R>(
  queue: string,
  handler: (request: Message) => Effect.Effect<OutgoingMessage, E, R>,
  options: GuardedResponderOptions
): Effect.Effect<void, E | RunError, MqConnection | R>
export function serve<E, R>(
  queue: string,
  handler: (request: Message) => Effect.Effect<OutgoingMessage, E, R>,
  options?: ResponderOptions & { readonly guard?: TransactionGuard["Service"] | undefined }
): Effect.Effect<void, E | RunError, MqConnection | R> {
  const wait = options?.wait ?? "1 second"
  if (options?.guard !== undefined) {
    return serveGuarded(options.guard, queue, (tx, request) => answer(request, handler, tx.put1), wait)
  }
  return Effect.scoped(Effect.gen(function*() {
    const mq = yield* MqConnection
    const requests = yield* mq.open({ type: "queue", name: queue }, { input: "shared" })
    yield* mq.consumeWith(
      requests,
      (request) => answer(request, handler, (object, message) => mq.put1(object, message, { syncpoint: true })),
      { wait }
    ).pipe(Stream.runDrain)
  }))
}
