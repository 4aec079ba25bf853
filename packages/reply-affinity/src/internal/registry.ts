import type { Message, MqError, OutgoingMessage } from "@resilient-mq/core"
import { type Deferred, Effect, SubscriptionRef } from "effect"
import type { QueueManagerRef } from "../Errors.ts"
import type { RequestError, RequestInfo } from "../ReplyAffinity.ts"
import type { Metrics } from "./metrics.ts"

/** A request waiting for its reply. */
export interface Outstanding {
  /** The hex of the CorrelId its reply carries. */
  readonly key: string
  readonly correlId: Uint8Array
  readonly queue: string
  /** The request as put; a resend puts it with another reply-to queue manager. */
  message: OutgoingMessage
  readonly replyToQueue: string
  /** Whether the requester chose the reply-to queue manager (the one sent through), so a resend names the new one. */
  readonly ownsReplyToQueueManager: boolean
  readonly startedAt: number
  /** Where it was sent, and where its reply goes; absent while its put is in flight. */
  sentThrough: QueueManagerRef | undefined
  /** The failure of its put (2549, 2009) that made the checker look where the connection is. */
  interruptedBy: MqError | undefined
  readonly reply: Deferred.Deferred<Message, RequestError>
}

export const requestInfo = (entry: Outstanding): RequestInfo => ({
  queue: entry.queue,
  correlId: entry.correlId,
  replyToQueue: entry.replyToQueue,
  replyToQueueManager: entry.message.descriptor?.replyToQMgr ?? ""
})

// How many ended requests are remembered, so that a reply coming after its request ended is `late`
// rather than `unknown`: enough for minutes of traffic, bounded so that memory stays flat.
const REMEMBERED = 10_000

/** The requests waiting for replies, by the hex of their CorrelId, and those that ended lately. */
export const makeRegistry = (outstanding: SubscriptionRef.SubscriptionRef<number>, metrics: Metrics) => {
  const waiting = new Map<string, Outstanding>()
  // Insertion-ordered: the oldest is forgotten first.
  const ended = new Set<string>()

  const count = Effect.suspend(() =>
    Effect.andThen(SubscriptionRef.set(outstanding, waiting.size), metrics.outstanding(waiting.size))
  )

  const forget = (key: string): boolean => {
    if (!waiting.delete(key)) return false
    ended.add(key)
    if (ended.size > REMEMBERED) ended.delete(ended.values().next().value as string)
    return true
  }

  return {
    add: (entry: Outstanding) =>
      Effect.suspend(() => {
        waiting.set(entry.key, entry)
        return count
      }),
    /** The request a reply answers, which waits no more; `undefined` when none waits for it. */
    take: (key: string): Effect.Effect<Outstanding | undefined> =>
      Effect.suspend(() => {
        const entry = waiting.get(key)
        return entry !== undefined && forget(key) ? Effect.as(count, entry) : Effect.succeed(undefined)
      }),
    /** The request ended, replied or not: a reply for it from now on is late. */
    end: (key: string): Effect.Effect<void> => Effect.suspend(() => (forget(key) ? count : Effect.void)),
    /** Whether a request with this key waited and ended, lately enough to be remembered. */
    ended: (key: string): boolean => ended.has(key),
    /** The requests waiting now (a copy: handling them may end some). */
    waiting: (): ReadonlyArray<Outstanding> => [...waiting.values()],
    size: (): number => waiting.size
  }
}

export type Registry = ReturnType<typeof makeRegistry>
