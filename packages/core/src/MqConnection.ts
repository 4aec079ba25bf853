import { type ReconnectAborted, type ReconnectTimedOut, RetryPolicy } from "@resilient-mq/retry"
import {
  Config,
  Context,
  Duration,
  Effect,
  Layer,
  Option,
  PubSub,
  Schema,
  type Scope,
  Stream,
  SubscriptionRef
} from "effect"
import type { AttributeName, Attributes, SettableAttribute } from "./Attribute.ts"
import { type ConnectOptions, validateConnectOptions } from "./ConnectOptions.ts"
import type { GetOptions } from "./GetOptions.ts"
import { makeConnection } from "./internal/connection/connection.ts"
import type { MessageDescriptor } from "./MessageDescriptor.ts"
import { describeCause, type MqError } from "./MqError.ts"
import { type Message, Mqi, type OutgoingMessage, type QueueManagerIdentity, type SubscribeOptions } from "./Mqi.ts"
import type { CloseOptions, ObjectDescriptor, OpenOptions } from "./OpenOptions.ts"
import type { PutOptions } from "./PutOptions.ts"

/**
 * `any`: reconnect to whichever queue manager of the group answers; `same`: only to the queue
 * manager first connected to (its QMID is compared after every reconnect); `disabled`: a lost
 * connection stays lost.
 */
export type ReconnectMode = "any" | "same" | "disabled"

/** Options of a resilient connection. */
export interface MqConnectionOptions {
  /** How to reach the queue manager; a connection list is tried in order, then round-robin. */
  readonly connect: ConnectOptions
  /** Default `any`. */
  readonly reconnect?: ReconnectMode
  /**
   * After this long without a call, a cheap inquiry checks that the connection is still there, so a
   * dead connection is noticed before the next call. Default `"10 seconds"`; `false` for none.
   */
  readonly heartbeat?: Duration.Input | false
}

/** An object opened through the connection; it stays usable across reconnects. */
export interface MqObject {
  readonly _tag: "MqObject"
  readonly id: number
  /** The name it resolved to when first opened (a dynamic queue's generated name, a topic string). */
  readonly name: string
  readonly descriptor: ObjectDescriptor
  readonly options: OpenOptions
}

/** A subscription made through the connection; it is resumed (durable) or made again after a reconnect. */
export interface MqSubscription {
  readonly _tag: "MqSubscription"
  readonly id: number
  readonly options: Omit<SubscribeOptions, "destination">
  /** The queue publications arrive on. */
  readonly destination: MqObject
}

/** Where the connection stands. */
export type ConnectionState =
  | { readonly _tag: "Connecting" }
  | { readonly _tag: "Connected"; readonly queueManager: QueueManagerIdentity }
  | { readonly _tag: "Reconnecting"; readonly since: number; readonly attempt: number }
  | { readonly _tag: "Failed"; readonly error: ConnectionFailure }
  | { readonly _tag: "Closed" }

/** What the connection went through, as it happened. */
export type ConnectionEvent =
  | { readonly _tag: "Connected"; readonly queueManager: QueueManagerIdentity }
  | { readonly _tag: "ConnectionLost"; readonly reason: MqError }
  | { readonly _tag: "Reconnecting"; readonly attempt: number; readonly delay: Duration.Duration }
  | {
    readonly _tag: "Reconnected"
    readonly queueManager: string
    readonly qmid: string
    readonly sameQueueManager: boolean
    readonly downtime: Duration.Duration
  }
  | { readonly _tag: "ReconnectFailed"; readonly reason: ConnectionFailure }
  /** A browse cursor starts again from the first message: the reconnect lost its position. */
  | { readonly _tag: "BrowseCursorReset"; readonly object: string }

/** A reconnect reached another queue manager than the first while the mode is `same` (MQ's 2546). */
export class ReconnectQmidMismatch extends Schema.TaggedError<ReconnectQmidMismatch>()("ReconnectQmidMismatch", {
  expected: Schema.String,
  actual: Schema.String,
  queueManager: Schema.String
}) {
  override get message(): string {
    return `reconnected to queue manager ${this.queueManager} with QMID ${this.actual}, not ${this.expected}: reconnect mode "same" refuses it (MQRC_RECONNECT_QMID_MISMATCH, 2546)`
  }
}

/** Why the connection gave up for good. */
export type ConnectionFailure = ReconnectAborted | ReconnectTimedOut | ReconnectQmidMismatch | MqError

/** The connection is gone for good (reconnecting failed, or it was closed): the call was not made. */
export class ConnectionUnavailable extends Schema.TaggedError<ConnectionUnavailable>()("ConnectionUnavailable", {
  state: Schema.Literals(["failed", "closed"]),
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return this.state === "closed"
      ? "the connection is closed"
      : `the connection failed for good: ${describeCause(this.cause)}`
  }
}

/** What a call through the connection can fail with. */
export type CallError = MqError | ConnectionUnavailable

/**
 * A resilient connection to IBM MQ over any `Mqi`: it connects under the retry policy, notices a lost
 * connection (failed calls, an idle heartbeat, consumers), reconnects under the policy, reopens what
 * was open, resumes subscriptions and consumers, and says what happens as events.
 *
 * Calls made while it reconnects wait for it. A call whose outcome may already have happened (a put
 * or commit cut off by the break) fails with its `outcome-unknown` `MqError` instead of being made
 * twice; a call inside a unit of work that the break backed out fails with 2003 (`backed-out`), and
 * so does every syncpoint call until the unit is ended by `backout` (or `commit`, which reports 2003).
 */
export class MqConnection extends Context.Service<MqConnection, {
  /** How it reaches the queue manager, as validated when the layer was built. */
  readonly connect: ConnectOptions
  /** Where it may reconnect to (the layer's `reconnect` option, `any` when not given). */
  readonly reconnect: ReconnectMode
  readonly state: SubscriptionRef.SubscriptionRef<ConnectionState>
  readonly events: Stream.Stream<ConnectionEvent>
  /** The queue manager currently connected to (waits while reconnecting). */
  readonly queueManager: Effect.Effect<QueueManagerIdentity, ConnectionUnavailable>
  readonly open: (object: ObjectDescriptor, options: OpenOptions) => Effect.Effect<MqObject, CallError, Scope.Scope>
  readonly close: (object: MqObject, options?: CloseOptions) => Effect.Effect<void, CallError>
  readonly put: (object: MqObject, message: OutgoingMessage, options?: PutOptions) => Effect.Effect<MessageDescriptor, CallError>
  readonly put1: (
    object: ObjectDescriptor,
    message: OutgoingMessage,
    options?: PutOptions
  ) => Effect.Effect<MessageDescriptor, CallError>
  readonly get: (object: MqObject, options?: GetOptions) => Effect.Effect<Option.Option<Message>, CallError>
  /** Messages as they arrive, across reconnects (outside syncpoint; see `consumeWith`). */
  readonly consume: (object: MqObject, options?: GetOptions) => Stream.Stream<Message, CallError>
  /**
   * Each message got under syncpoint and handed to `handler`; committed only after the handler
   * succeeded, backed out when it fails. The handler may put and get through the connection under
   * syncpoint: its work commits with the message. When the unit is lost to MQ (a break, 2003, a
   * commit whose outcome is unknown, a transient refusal) the message comes again and the stream goes
   * on; any other failure of the handler fails the stream after the backout.
   */
  readonly consumeWith: <A, E, R>(
    object: MqObject,
    handler: (message: Message) => Effect.Effect<A, E, R>,
    options?: { readonly wait?: Duration.Input }
  ) => Stream.Stream<A, E | CallError, R>
  readonly commit: Effect.Effect<void, CallError>
  readonly backout: Effect.Effect<void, CallError>
  /** A managed subscription (the queue manager provides its queue); durable ones are resumed by name. */
  readonly subscribe: (
    options: Omit<SubscribeOptions, "destination">
  ) => Effect.Effect<MqSubscription, CallError, Scope.Scope>
  readonly unsubscribe: (subscription: MqSubscription, options?: CloseOptions) => Effect.Effect<void, CallError>
  readonly inquire: <const A extends AttributeName>(
    object: MqObject,
    attributes: ReadonlyArray<A>
  ) => Effect.Effect<Attributes<A>, CallError>
  readonly set: (
    object: MqObject,
    attributes: Partial<{ readonly [K in SettableAttribute]: Attributes<K>[K] }>
  ) => Effect.Effect<void, CallError>
}>()("@resilient-mq/core/MqConnection") {}

/**
 * A resilient connection on the `Mqi` and `RetryPolicy` in context. Options are validated when the
 * layer is built; the first connect is made under the policy too (a standby or not-yet-started
 * queue manager is tried again), so the layer fails only if the policy gives up.
 */
export const layer = (
  options: MqConnectionOptions
): Layer.Layer<MqConnection, Config.ConfigError | ConnectionFailure, Mqi | RetryPolicy> =>
  Layer.effect(
    MqConnection,
    Effect.gen(function*() {
      const connect = yield* validateConnectOptions(options.connect)
      const mqi = yield* Mqi
      const policy = yield* RetryPolicy
      const events = yield* PubSub.unbounded<ConnectionEvent>()
      const state = yield* SubscriptionRef.make<ConnectionState>({ _tag: "Connecting" })
      return yield* makeConnection({
        mqi,
        policy,
        events,
        state,
        connect,
        mode: options.reconnect ?? "any",
        heartbeat: options.heartbeat === false ? undefined : Duration.fromInputUnsafe(options.heartbeat ?? "10 seconds")
      })
    })
  )
