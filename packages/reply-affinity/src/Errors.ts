import { Duration, Schema } from "effect"
import { hex } from "./internal/identifiers.ts"

/** A queue manager as a request met it: its name, and its QMID, which no other queue manager shares. */
export const QueueManagerRef = Schema.Struct({ name: Schema.String, qmid: Schema.String })

export type QueueManagerRef = typeof QueueManagerRef.Type

const causeText = (cause: unknown): string =>
  cause === undefined ? "" : `; ${cause instanceof Error ? cause.message : String(cause)}`

/**
 * The request's reply will go to the queue manager the request named, which is not the one the
 * connection is on now (a reconnect moved it, with or without an event): under the `fail` policy the
 * request fails at once instead of waiting for its timeout; under `resend`, when sending it again
 * failed (`cause`).
 */
export class ReplyOrphaned extends Schema.TaggedError<ReplyOrphaned>()("ReplyOrphaned", {
  /** The queue the request was put on. */
  queue: Schema.String,
  /** What the reply's CorrelId would have been. */
  correlId: Schema.Uint8Array,
  /** The queue manager the request was sent through, where its reply goes. */
  sentThrough: QueueManagerRef,
  /** The queue manager the connection is on now, where replies are received. */
  now: QueueManagerRef,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `the reply to the request on ${this.queue} (CorrelId ${hex(this.correlId)}) goes to queue manager ` +
      `${this.sentThrough.name} (QMID ${this.sentThrough.qmid}), but the connection is now on ${this.now.name} ` +
      `(QMID ${this.now.qmid}), where it will not arrive${causeText(this.cause)}`
  }
}

/** No reply came within the request's timeout. A reply that comes later is a stray reply (`late`). */
export class ReplyTimeout extends Schema.TaggedError<ReplyTimeout>()("ReplyTimeout", {
  queue: Schema.String,
  correlId: Schema.Uint8Array,
  timeout: Schema.Duration,
  /** The queue manager the request went through, when its put had completed. */
  sentThrough: Schema.optional(QueueManagerRef)
}) {
  override get message(): string {
    const through = this.sentThrough === undefined ? "" : ` through ${this.sentThrough.name}`
    return `no reply within ${Duration.format(this.timeout)} to the request on ${this.queue}${through} ` +
      `(CorrelId ${hex(this.correlId)})`
  }
}

/**
 * A request named no reply-to queue manager while the connection goes through a queue-manager group
 * (`*GROUP`) or a connection list: the queue manager that takes the put fills in its own name, so the
 * reply's destination depends on where the connection happens to be. Reported in `strict` mode, before
 * anything is put (otherwise a `BlankReplyToQueueManager` event).
 */
export class BlankReplyToQueueManager extends Schema.TaggedError<BlankReplyToQueueManager>()("BlankReplyToQueueManager", {
  queue: Schema.String,
  replyToQueue: Schema.String,
  /** The group name or connection list the connection uses. */
  connection: Schema.String
}) {
  override get message(): string {
    return `the request on ${this.queue} names reply-to queue ${this.replyToQueue} but no reply-to queue manager, ` +
      `while the connection goes through ${this.connection}: name the queue manager the reply must go to`
  }
}
