import {
  ConnectionUnavailable,
  isMqError,
  type Message,
  MqConnection,
  type MqError,
  MsgType,
  type OutgoingMessage,
  parseConnectionName,
  ReasonCode,
  Report
} from "@resilient-mq/core"
import { Cause, Clock, Deferred, Duration, Effect, Exit, PubSub, Stream, SubscriptionRef } from "effect"
import { BlankReplyToQueueManager, type QueueManagerRef, ReplyOrphaned, ReplyTimeout } from "../Errors.ts"
import {
  ReplyAffinity,
  type ReplyAffinityEvent,
  type ReplyAffinityOptions,
  type RequestError,
  type RequestOptions
} from "../ReplyAffinity.ts"
import { makeChecker } from "./checker.ts"
import { hex, newIdentifier } from "./identifiers.ts"
import { makeMetrics } from "./metrics.ts"
import { validateOptions } from "./options.ts"
import { makeRegistry, type Outstanding, requestInfo } from "./registry.ts"
import { makeReplyQueues } from "./replyQueues.ts"
import { makeStrays } from "./strays.ts"

// A put that failed with these may have been made by another queue manager than the one the request
// names: the MQ client's reconnect interrupted it (2549), or the connection broke under it (2009).
const interrupted = (error: unknown): error is MqError =>
  isMqError(error) &&
  (error.reason === ReasonCode.CALL_INTERRUPTED || error.reason === ReasonCode.CONNECTION_BROKEN)

const withReplyToQueueManager = (message: OutgoingMessage, queueManager: string): OutgoingMessage => ({
  ...message,
  descriptor: { ...message.descriptor, replyToQMgr: queueManager }
})

// The report options of a request: MQ's correlation options as the requester's mode says, the
// application's other options as they are.
const reportOf = (report: number | undefined, correlation: "message-id" | "correlation-id"): number =>
  ((report ?? 0) & ~(Report.PASS_CORREL_ID | Report.PASS_MSG_ID)) |
  (correlation === "correlation-id" ? Report.PASS_CORREL_ID : Report.COPY_MSG_ID_TO_CORREL_ID)

export const makeReplyAffinity = Effect.fnUntraced(function*(input: ReplyAffinityOptions) {
  const mq = yield* MqConnection
  const options = yield* validateOptions(input, mq.reconnect)
  const policy = options.policy ?? "fail"
  const correlation = options.correlation ?? "message-id"
  const defaultTimeout = Duration.fromInputUnsafe(options.timeout ?? "30 seconds")
  const checkInterval = options.checkInterval === false
    ? Duration.zero
    : Duration.fromInputUnsafe(options.checkInterval ?? "5 seconds")
  // A blank reply-to queue manager is a question only when the connection may land on several.
  const connectName = mq.connect.queueManager?.trim() ?? ""
  const spread = connectName.startsWith("*")
    ? connectName
    : mq.connect.connectionName !== undefined && parseConnectionName(mq.connect.connectionName).length > 1
    ? mq.connect.connectionName
    : undefined

  const events = yield* PubSub.unbounded<ReplyAffinityEvent>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(events))
  const publish = (event: ReplyAffinityEvent) => PubSub.publish(events, event)
  const metrics = makeMetrics()
  const outstanding = yield* SubscriptionRef.make(0)
  const registry = makeRegistry(outstanding, metrics)
  const strays = makeStrays({ mq, options, metrics, publish })

  const putRequest = (entry: Outstanding, message: OutgoingMessage) =>
    mq.put1({ type: "queue", name: entry.queue }, message)

  const fail = (entry: Outstanding, error: RequestError) =>
    Effect.andThen(registry.end(entry.key), Deferred.fail(entry.reply, error))

  const orphan = (entry: Outstanding, sentThrough: QueueManagerRef, now: QueueManagerRef, cause?: unknown) =>
    Effect.gen(function*() {
      yield* metrics.orphaned(sentThrough.name, 1)
      yield* publish({ _tag: "Orphaned", request: requestInfo(entry), sentThrough, now })
      const reason = cause ?? entry.interruptedBy
      yield* fail(
        entry,
        new ReplyOrphaned({
          queue: entry.queue,
          correlId: entry.correlId,
          sentThrough,
          now,
          ...(reason === undefined ? {} : { cause: reason })
        })
      )
    })

  // Put again through the queue manager the connection is on, naming it as the reply-to queue
  // manager when the requester chose the first one. The MsgId and CorrelId stay: a responder that
  // sees both copies can tell them for the same request.
  const resend = (entry: Outstanding, from: QueueManagerRef, to: QueueManagerRef) =>
    Effect.gen(function*() {
      const message = entry.ownsReplyToQueueManager ? withReplyToQueueManager(entry.message, to.name) : entry.message
      const put = yield* Effect.exit(putRequest(entry, message))
      if (Exit.isFailure(put)) return yield* orphan(entry, from, to, Cause.squash(put.cause))
      entry.message = message
      entry.sentThrough = to
      entry.interruptedBy = undefined
      yield* metrics.resent(from.name, 1)
      yield* publish({ _tag: "Resent", request: requestInfo(entry), from, to })
    })

  // `pin` keeps the connection where it is, so a move can only be the MQ client's own: as `fail`.
  const orphaned = (entry: Outstanding, now: QueueManagerRef): Effect.Effect<void> => {
    const sentThrough = entry.sentThrough
    if (sentThrough === undefined) return Effect.void
    return policy === "resend" ? resend(entry, sentThrough, now) : orphan(entry, sentThrough, now)
  }

  const manager = yield* mq.open({ type: "queue-manager" }, { inquire: true })
  const checker = yield* makeChecker({ mq, manager, registry, orphaned, publish })

  const onReply = (queue: string, message: Message): Effect.Effect<void> =>
    Effect.gen(function*() {
      const key = hex(message.descriptor.correlId)
      const entry = yield* registry.take(key)
      if (entry === undefined) {
        return yield* strays({ reason: registry.ended(key) ? "late" : "unknown", queue, message })
      }
      const now = yield* Clock.currentTimeMillis
      yield* metrics.roundTrip(entry.queue, (now - entry.startedAt) / 1000)
      yield* Deferred.succeed(entry.reply, message)
    })

  const replyQueues = yield* makeReplyQueues({ mq, onReply })
  const replyQueue = yield* (options.replyQueue === undefined
    ? replyQueues.open(
      {
        type: "queue",
        name: options.replyModel ?? "SYSTEM.DEFAULT.MODEL.QUEUE",
        dynamicQueueName: options.dynamicQueueName ?? "AMQ.*"
      },
      { input: "exclusive" }
    )
    : replyQueues.open({ type: "queue", name: options.replyQueue }, { input: "shared" }))

  // A put cut off with 2549 or 2009 may have been made through another queue manager: ask where the
  // connection is. Moved: the request is handled like any other left behind (its reply goes to the
  // queue manager it names). Not moved: whether it was put is unknown, which is the caller's to resolve.
  const whereItWent = (entry: Outstanding, through: QueueManagerRef, error: MqError) =>
    Effect.gen(function*() {
      const seen = yield* Effect.orElseSucceed(checker.inquire, () => through)
      if (seen.qmid === through.qmid) return yield* Effect.fail(error)
      entry.interruptedBy = error
      yield* checker.stamp(entry, through)
    })

  const send = (entry: Outstanding, through: QueueManagerRef) =>
    putRequest(entry, entry.message).pipe(
      Effect.matchEffect({
        // A reconnect during the put is taken in before the request is recorded as sent.
        onSuccess: () => Effect.andThen(checker.now, checker.stamp(entry, through)),
        onFailure: (error): Effect.Effect<void, RequestError> =>
          interrupted(error) ? whereItWent(entry, through, error) : Effect.fail(error)
      })
    )

  const request = Effect.fn("ReplyAffinity.request")(function*(
    queue: string,
    message: OutgoingMessage,
    requestOptions?: RequestOptions
  ): Effect.fn.Return<Message, RequestError> {
    const timeout = requestOptions?.timeout === undefined
      ? defaultTimeout
      : Duration.fromInputUnsafe(requestOptions.timeout)
    const correlId = newIdentifier()
    const key = hex(correlId)
    let entry: Outstanding | undefined
    const exchange = Effect.gen(function*() {
      const asked = requestOptions?.replyTo?.queue
      const replyToQueue = asked === undefined || asked === replyQueue ? replyQueue : yield* replyQueues.named(asked)
      const through = yield* checker.now
      const given = requestOptions?.replyTo?.queueManager
      const replyToQMgr = given ?? through.name
      const descriptor = {
        ...message.descriptor,
        msgType: message.descriptor?.msgType ?? MsgType.REQUEST,
        report: reportOf(message.descriptor?.report, correlation),
        replyToQ: replyToQueue,
        replyToQMgr,
        ...(correlation === "message-id" ? { msgId: correlId } : { correlId })
      }
      const pending: Outstanding = {
        key,
        correlId,
        queue,
        message: { ...message, descriptor },
        replyToQueue,
        ownsReplyToQueueManager: given === undefined,
        startedAt: yield* Clock.currentTimeMillis,
        sentThrough: undefined,
        interruptedBy: undefined,
        reply: Deferred.makeUnsafe<Message, RequestError>()
      }
      if (replyToQMgr.trim() === "" && spread !== undefined) {
        if (options.strict === true) {
          return yield* new BlankReplyToQueueManager({ queue, replyToQueue, connection: spread })
        }
        yield* publish({ _tag: "BlankReplyToQueueManager", request: requestInfo(pending), connection: spread })
      }
      entry = pending
      // Known before the put: a reply may come before the put returns.
      yield* registry.add(pending)
      yield* send(pending, through)
      return yield* Deferred.await(pending.reply)
    })
    return yield* exchange.pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.andThen(
            metrics.timedOut(queue, 1),
            Effect.fail(
              new ReplyTimeout({
                queue,
                correlId,
                timeout,
                ...(entry?.sentThrough === undefined ? {} : { sentThrough: entry.sentThrough })
              })
            )
          )
      }),
      Effect.ensuring(registry.end(key))
    )
  })

  // Requests cannot get replies on a connection gone for good: they fail with it at once.
  const failAll = (error: ConnectionUnavailable) =>
    Effect.forEach(registry.waiting(), (entry) => fail(entry, error), { discard: true })

  yield* Effect.forkScoped(Stream.runForEach(mq.events, (event) => {
    switch (event._tag) {
      case "Reconnected":
        return checker.reconnected({ name: event.queueManager, qmid: event.qmid })
      case "ReconnectFailed":
        return failAll(new ConnectionUnavailable({ state: "failed", cause: event.reason }))
      default:
        return Effect.void
    }
  }))
  // Subscribed before the layer is in use, so that no reconnect goes unheard.
  yield* Effect.yieldNow

  if (Duration.isGreaterThan(checkInterval, Duration.zero)) {
    yield* Effect.forkScoped(
      Effect.sleep(checkInterval).pipe(
        Effect.andThen(Effect.suspend(() =>
          registry.size() === 0
            ? Effect.void
            : checker.inquire.pipe(
              Effect.catch((error) => Effect.logWarning(`the queue manager's QMID could not be inquired: ${error.message}`))
            )
        )),
        Effect.forever
      )
    )
  }

  return ReplyAffinity.of({ request, events: Stream.fromPubSub(events), outstanding, replyQueue })
})
