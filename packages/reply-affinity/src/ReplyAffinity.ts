import type { CallError, Message, MqConnection, OutgoingMessage } from "@resilient-mq/core"
import { type Config, Context, type Duration, Effect, Layer, type Stream, type SubscriptionRef } from "effect"
import type { BlankReplyToQueueManager, QueueManagerRef, ReplyOrphaned, ReplyTimeout } from "./Errors.ts"
import { optionsConfig } from "./internal/options.ts"
import { makeReplyAffinity } from "./internal/requester.ts"

/**
 * What to do with requests still waiting for a reply when the connection turns out to be on another
 * queue manager than the one they were sent through (their replies go there, not here).
 *
 * - `fail`: they fail at once with `ReplyOrphaned`, naming both queue managers.
 * - `resend`: each is put again, unchanged but for its reply-to queue manager, through the queue
 *   manager the connection is on now; a responder may then see it twice (see the README).
 * - `pin`: the connection never moves while requests wait: its reconnect mode must be `same` (the
 *   layer refuses another), so a reconnect either reaches the same queue manager or fails.
 */
export type OrphanPolicy = "fail" | "resend" | "pin"

/**
 * How a reply is matched to its request: `message-id` (MQ's default report option, COPY_MSG_ID_TO_CORREL_ID)
 * gives the request a fresh MsgId that the responder copies to the reply's CorrelId; `correlation-id`
 * gives it a fresh CorrelId and asks the responder to pass it on (MQRO_PASS_CORREL_ID).
 */
export type Correlation = "message-id" | "correlation-id"

/** Options of the requester. Every one has a default; they are checked when the layer is built. */
export interface ReplyAffinityOptions {
  /** A local queue for replies. Default: none, replies come to a temporary dynamic queue (`replyModel`). */
  readonly replyQueue?: string
  /** The model queue of the temporary dynamic reply queue. Default `SYSTEM.DEFAULT.MODEL.QUEUE`. */
  readonly replyModel?: string
  /** The temporary dynamic reply queue's name; a `*` at its end is replaced by MQ. Default `AMQ.*`. */
  readonly dynamicQueueName?: string
  /** Default `fail`. */
  readonly policy?: OrphanPolicy
  /** Default `message-id`. */
  readonly correlation?: Correlation
  /** How long a request waits for its reply, unless the request says otherwise. Default `"30 seconds"`. */
  readonly timeout?: Duration.Input
  /**
   * How often, while requests wait, the queue manager is asked for its QMID, to notice a move that
   * no event reported (the MQ client's own reconnect). Default `"5 seconds"`; `false` or zero for never.
   */
  readonly checkInterval?: Duration.Input | false
  /** Fail a request that leaves the reply-to queue manager blank in a group, instead of warning. Default `false`. */
  readonly strict?: boolean
  /** A queue that stray replies are put on (with the property `resilient.stray`). Default: none. */
  readonly strayQueue?: string
  /**
   * What to do with a stray reply. Default: none; without it or `strayQueue`, a stray reply is logged
   * as a warning, and, like any, published as a `StrayReply` event.
   */
  readonly onStray?: (stray: StrayReply) => Effect.Effect<void>
}

/** Where a request's reply must go, when not to the requester's reply queue and the queue manager it is sent through. */
export interface ReplyTo {
  /** A local queue that this requester reads replies from (a consumer is started for it on first use). */
  readonly queue?: string
  /** The reply-to queue manager; `""` leaves it blank, for the queue manager that takes the put to fill in. */
  readonly queueManager?: string
}

export interface RequestOptions {
  readonly replyTo?: ReplyTo
  /** Default: the layer's `timeout`. */
  readonly timeout?: Duration.Input
}

/** Why a reply is stray: no request waits for its CorrelId, or the one that did gave up on it. */
export type StrayReason = "unknown" | "late"

/** A reply no request waits for. */
export interface StrayReply {
  readonly reason: StrayReason
  /** The reply queue it arrived on. */
  readonly queue: string
  readonly message: Message
}

/** A request as events describe it. */
export interface RequestInfo {
  readonly queue: string
  readonly correlId: Uint8Array
  readonly replyToQueue: string
  readonly replyToQueueManager: string
}

/** What the requester noticed and did, as it happened. */
export type ReplyAffinityEvent =
  /** The connection is on another queue manager: after a reconnect, or (`inquiry`) with no event at all. */
  | {
    readonly _tag: "QueueManagerChanged"
    readonly from: QueueManagerRef
    readonly to: QueueManagerRef
    readonly detectedBy: "reconnect" | "inquiry"
  }
  /** A request whose reply goes elsewhere failed with `ReplyOrphaned`. */
  | { readonly _tag: "Orphaned"; readonly request: RequestInfo; readonly sentThrough: QueueManagerRef; readonly now: QueueManagerRef }
  /** A request whose reply went elsewhere was put again through `to`. */
  | { readonly _tag: "Resent"; readonly request: RequestInfo; readonly from: QueueManagerRef; readonly to: QueueManagerRef }
  /** A reply no request waits for; `strayQueue` is where it was put, when it was. */
  | { readonly _tag: "StrayReply"; readonly stray: StrayReply; readonly strayQueue?: string }
  /** A request left its reply-to queue manager blank while the connection goes through a group or a list. */
  | { readonly _tag: "BlankReplyToQueueManager"; readonly request: RequestInfo; readonly connection: string }

/** What a request can fail with. */
export type RequestError = ReplyTimeout | ReplyOrphaned | BlankReplyToQueueManager | CallError

/**
 * Request/reply over a `MqConnection`: `request` puts a request naming its reply-to queue and queue
 * manager and a fresh correlation identifier, and returns the reply that carries it. Replies are read
 * by one consumer per reply queue. The checker knows which queue manager (name and QMID) each waiting
 * request was sent through; when the connection turns out to be on another one, from a `Reconnected`
 * event, from an inquiry after a put failed with 2549 or 2009, or from the inquiry every
 * `checkInterval`, the requests whose replies went elsewhere are handled by the policy.
 */
export class ReplyAffinity extends Context.Service<ReplyAffinity, {
  /**
   * Puts `message` on `queue` as a request and waits for its reply. The descriptor's MsgId (or
   * CorrelId), ReplyToQ, ReplyToQMgr and the correlation report options are set by the requester;
   * MsgType is REQUEST unless the message says otherwise.
   */
  readonly request: (
    queue: string,
    message: OutgoingMessage,
    options?: RequestOptions
  ) => Effect.Effect<Message, RequestError>
  readonly events: Stream.Stream<ReplyAffinityEvent>
  /** How many requests wait for their reply. */
  readonly outstanding: SubscriptionRef.SubscriptionRef<number>
  /** The queue replies come to by default (a temporary dynamic queue's generated name). */
  readonly replyQueue: string
}>()("@resilient-mq/reply-affinity/ReplyAffinity") {}

/**
 * The requester's metrics, to read them in process (`Metric.value`): `resilient_mq_reply_affinity_outstanding`
 * (gauge), `..._orphaned_total` and `..._resent_total` (by the `queue_manager` the requests were sent
 * through), `..._stray_total` (by `reason`), `..._timed_out_total` (by `queue`) and
 * `..._round_trip_seconds` (histogram, by `queue`).
 */
export { metrics } from "./internal/metrics.ts"

/**
 * The requester on the `MqConnection` in context. Building it checks the options (a `ConfigError`
 * names each one in error, `policy: "pin"` included when the connection's reconnect mode is not
 * `same`), opens the reply queue and starts its consumer; both live as long as the layer.
 */
export const layer = (
  options: ReplyAffinityOptions = {}
): Layer.Layer<ReplyAffinity, Config.ConfigError | CallError, MqConnection> =>
  Layer.effect(ReplyAffinity, makeReplyAffinity(options))

/**
 * `layer` with its options read from configuration under `path`: `replyQueue`, `replyModel`,
 * `dynamicQueueName`, `policy`, `correlation`, `timeout`, `checkInterval` (zero for never), `strict`
 * and `strayQueue` (absent keys take the defaults).
 */
export const layerConfig = (
  path?: string
): Layer.Layer<ReplyAffinity, Config.ConfigError | CallError, MqConnection> =>
  Layer.unwrap(Effect.map(optionsConfig(path), layer))
