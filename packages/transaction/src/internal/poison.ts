import {
  type CallError,
  EXPIRY_UNLIMITED,
  Format,
  isMqError,
  isNoIdentifier,
  type Message,
  type MessageDescriptor,
  type MqConnection,
  type MqObject,
  type OutgoingMessage,
  type PutDescriptor
} from "@resilient-mq/core"
import { Clock, Effect, Option } from "effect"
import { platform } from "node:process"
import { encodeDeadLetterHeader, ENCODING_NATIVE } from "../DeadLetterHeader.ts"
import { PoisonMessage } from "../Errors.ts"
import type { TransactionEvent } from "../TransactionGuard.ts"
import { hex } from "./format.ts"
import { inquireQueue, inquireQueueManager } from "./inquire.ts"
import type { Metrics } from "./metrics.ts"

/** A message got in a unit whose backout count reached the threshold. */
export interface Poison {
  readonly queue: MqObject
  readonly message: Message
  readonly threshold: number
}

interface QueueAttributes {
  /** BOTHRESH; 0 for none. */
  readonly threshold: number
  /** BOQNAME; blank for none. */
  readonly backoutQueue: string
}

/** `MQRC_BACKOUT_THRESHOLD_REACHED`: the dead-letter reason of a message moved for its backout count. */
const BACKOUT_THRESHOLD_REACHED = 2362

/** `MQAT_WINDOWS_NT` or `MQAT_UNIX`: the application type the MQ client library reports for this platform. */
const applicationType = platform === "win32" ? 11 : 6

const pad = (n: number) => String(n).padStart(2, "0")

/** `YYYYMMDD` and `HHMMSSTH` in GMT, as MQ writes dates and times. */
const putDateTime = (millis: number) => {
  const d = new Date(millis)
  return {
    putDate: `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`,
    putTime: `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${pad(Math.floor(d.getUTCMilliseconds() / 10))}`
  }
}

// What a moved message keeps of its descriptor: its identifiers and what its consumers act on. Context
// fields are the guard's (it puts with default context); the group fields are not carried.
const carried = (d: MessageDescriptor): PutDescriptor => ({
  ...(isNoIdentifier(d.msgId) ? {} : { msgId: d.msgId }),
  correlId: d.correlId,
  persistence: d.persistence,
  priority: d.priority,
  // A get returns the expiry left; a message got before it expired has some left, or none set (-1).
  expiry: d.expiry > 0 ? d.expiry : EXPIRY_UNLIMITED,
  format: d.format,
  encoding: d.encoding,
  codedCharSetId: d.codedCharSetId,
  msgType: d.msgType,
  report: d.report,
  feedback: d.feedback,
  replyToQ: d.replyToQ,
  replyToQMgr: d.replyToQMgr
})

export const poisonError = (poison: Poison, cause?: unknown): PoisonMessage =>
  new PoisonMessage({
    queue: poison.queue.name,
    msgId: hex(poison.message.descriptor.msgId),
    backoutCount: poison.message.descriptor.backoutCount,
    threshold: poison.threshold,
    ...(cause === undefined ? {} : { cause })
  })

/**
 * Poison messages: which messages got in a unit have been backed out too often (BOTHRESH, or the
 * configured threshold), and moving one, in a unit of its own, to its queue's backout queue (BOQNAME)
 * or else to the queue manager's dead-letter queue behind a dead-letter header.
 */
export const makePoison = (deps: {
  readonly mq: MqConnection["Service"]
  readonly threshold: number | undefined
  readonly publish: (event: TransactionEvent) => Effect.Effect<unknown>
  readonly metrics: Metrics
}) => {
  const { mq, publish, metrics } = deps
  // Read once per queue: backout thresholds and queues are administered, not changed under load.
  const known = new Map<string, QueueAttributes>()

  const attributesOf = (queue: MqObject): Effect.Effect<QueueAttributes, CallError> =>
    Effect.suspend(() => {
      const cached = known.get(queue.name)
      if (cached !== undefined) return Effect.succeed(cached)
      return inquireQueue(mq, queue.name, ["BackoutThreshold", "BackoutRequeueQName"]).pipe(
        Effect.map((a): QueueAttributes => ({ threshold: a.BackoutThreshold, backoutQueue: a.BackoutRequeueQName })),
        // A queue that cannot say (an alias, no inquire authority) has no threshold or backout queue of its own.
        Effect.catchIf(
          (error) => isMqError(error) && error.errorClass === "permanent",
          (error) =>
            Effect.as(
              Effect.logWarning(`the backout threshold and queue of ${queue.name} cannot be read (${error.message}): none assumed`),
              { threshold: 0, backoutQueue: "" }
            )
        ),
        Effect.tap((attributes) => Effect.sync(() => known.set(queue.name, attributes)))
      )
    })

  /** The poison a message got from `queue` is, if its backout count reached the threshold. */
  const check = (queue: MqObject, message: Message): Effect.Effect<Poison | undefined, CallError> => {
    const count = message.descriptor.backoutCount
    // A message never backed out reaches no threshold: no inquiry on the usual path.
    if (count === 0) return Effect.succeed(undefined)
    const threshold = deps.threshold !== undefined
      ? Effect.succeed(deps.threshold)
      : Effect.map(attributesOf(queue), (a) => a.threshold)
    return Effect.map(threshold, (t) => t > 0 && count >= t ? { queue, message, threshold: t } : undefined)
  }

  // The queue manager's dead-letter queue, and what its header needs to know.
  const deadLetterQueue = (poison: Poison) =>
    Effect.flatMap(
      inquireQueueManager(mq, ["DeadLetterQName", "QMgrName", "CodedCharSetId"]),
      (a) =>
        a.DeadLetterQName === ""
          ? Effect.fail(poisonError(
            poison,
            new Error(`${poison.queue.name} has no backout queue (BOQNAME) and the queue manager no dead-letter queue (DEADQ)`)
          ))
          : Effect.succeed({ queue: a.DeadLetterQName, queueManager: a.QMgrName, codedCharSetId: a.CodedCharSetId })
    )

  const behindHeader = (
    message: Message,
    from: string,
    deadLetter: { readonly queueManager: string; readonly codedCharSetId: number },
    now: number
  ): OutgoingMessage => {
    const d = message.descriptor
    const header = encodeDeadLetterHeader({
      reason: BACKOUT_THRESHOLD_REACHED,
      destQName: from,
      destQMgrName: deadLetter.queueManager,
      encoding: d.encoding,
      codedCharSetId: d.codedCharSetId,
      format: d.format,
      putApplType: applicationType,
      putApplName: "resilient-mq/transaction",
      ...putDateTime(now)
    })
    const body = new Uint8Array(header.length + message.body.length)
    body.set(header)
    body.set(message.body, header.length)
    return {
      body,
      // The descriptor now describes the header; the header describes the message behind it.
      descriptor: {
        ...carried(d),
        format: Format.DEAD_LETTER_HEADER,
        encoding: ENCODING_NATIVE,
        codedCharSetId: deadLetter.codedCharSetId
      },
      properties: message.properties
    }
  }

  /**
   * Moves a poison message in a unit of its own, after the unit that got it was backed out: gets it
   * again by its identifiers (`gone` when another consumer took it meanwhile), puts it on the backout
   * queue or, behind a dead-letter header, on the dead-letter queue, and commits. On failure the
   * move is backed out: the message is still on its queue, or (when the commit's outcome is unknown)
   * already moved; either way the next get decides again.
   */
  const move = (poison: Poison): Effect.Effect<"moved" | "gone", CallError | PoisonMessage> =>
    Effect.gen(function*() {
      const from = poison.queue.name
      const { backoutQueue } = yield* attributesOf(poison.queue)
      const deadLetter = backoutQueue === "" ? yield* deadLetterQueue(poison) : undefined
      const d = poison.message.descriptor
      const again = yield* mq.get(poison.queue, { syncpoint: true, match: { msgId: d.msgId, correlId: d.correlId } })
      if (Option.isNone(again)) return "gone" as const
      const destination = deadLetter?.queue ?? backoutQueue
      const message = deadLetter === undefined
        ? { body: again.value.body, descriptor: carried(again.value.descriptor), properties: again.value.properties }
        : behindHeader(again.value, from, deadLetter, yield* Clock.currentTimeMillis)
      yield* mq.put1({ type: "queue", name: destination }, message, { syncpoint: true })
      yield* mq.commit
      yield* metrics.poisonMoved(from)
      yield* publish({
        _tag: "PoisonMessageMoved",
        queue: from,
        msgId: hex(d.msgId),
        backoutCount: d.backoutCount,
        threshold: poison.threshold,
        destination,
        deadLetterHeader: deadLetter !== undefined
      })
      return "moved" as const
    }).pipe(Effect.onError(() => Effect.ignore(mq.backout)))

  return { check, move }
}
