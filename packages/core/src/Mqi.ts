import { Context, type Effect, type Option, type Scope, type Stream } from "effect"
import type { AttributeName, Attributes, SettableAttribute } from "./Attribute.ts"
import type { ConnectOptions } from "./ConnectOptions.ts"
import type { GetOptions } from "./GetOptions.ts"
import type { MessageDescriptor, Properties, PutDescriptor } from "./MessageDescriptor.ts"
import type { MqError } from "./MqError.ts"
import { MQSO } from "./MqiConstants.ts"
import type { CloseOptions, ObjectDescriptor, OpenOptions } from "./OpenOptions.ts"
import type { PutOptions } from "./PutOptions.ts"

/**
 * A connection handle. Implementations hand out their own; callers only pass them back.
 */
export interface Hconn {
  readonly _tag: "Hconn"
  readonly id: number
}

/**
 * An object handle: an open queue, topic, queue manager, or the destination of a subscription.
 */
export interface Hobj {
  readonly _tag: "Hobj"
  readonly id: number
  readonly hconn: Hconn
  /** The resolved name: a dynamic queue's generated name, a topic's full topic string. */
  readonly name: string
}

/** A subscription handle and the handle of the queue its publications arrive on. */
export interface Subscription {
  readonly _tag: "Subscription"
  readonly id: number
  readonly hconn: Hconn
  /** The queue that publications arrive on: managed by the queue manager, or the one given. */
  readonly destination: Hobj
  /** The full topic string subscribed to. */
  readonly topicString: string
  readonly name?: string
}

/** What to subscribe to, and how (MQSD). */
export interface SubscribeOptions {
  /** The topic string; appended with `/` to the topic object's string when both are given. */
  readonly topicString?: string
  /** An administered topic object. */
  readonly topicObject?: string
  /** The subscription's name: required for durable subscriptions, which are resumed by it. */
  readonly name?: string
  readonly durable?: boolean
  /** Create the subscription, resume an existing one (by name), or either (the default). */
  readonly mode?: "create" | "resume" | "create-or-resume"
  /** Publications go to this queue instead of one the queue manager manages. */
  readonly destination?: Hobj
  readonly newPublicationsOnly?: boolean
  readonly failIfQuiescing?: boolean
  /** Raw `MQSO_*` bits OR-ed in. */
  readonly bits?: number
}

/** The MQSO_* bits of subscribe options: a managed subscription unless a destination is given. */
export const subscribeOptionBits = (options: SubscribeOptions): number => {
  const mode = options.mode ?? "create-or-resume"
  return (mode === "create" ? MQSO.CREATE : mode === "resume" ? MQSO.RESUME : MQSO.CREATE | MQSO.RESUME) |
    (options.durable === true ? MQSO.DURABLE : 0) |
    (options.destination === undefined ? MQSO.MANAGED : 0) |
    (options.newPublicationsOnly === true ? MQSO.NEW_PUBLICATIONS_ONLY : 0) |
    (options.failIfQuiescing === false ? 0 : MQSO.FAIL_IF_QUIESCING) |
    (options.bits ?? 0)
}

/** A message to put: its body and, optionally, descriptor fields and properties. */
export interface OutgoingMessage {
  readonly body: Uint8Array | string
  readonly descriptor?: PutDescriptor
  readonly properties?: Properties
}

/** A message as a get returns it. */
export interface Message {
  readonly body: Uint8Array
  readonly descriptor: MessageDescriptor
  readonly properties: Properties
  /** The full length of the message when the body was truncated (2079), else the body's length. */
  readonly dataLength: number
}

/** The queue manager a connection reached. */
export interface QueueManagerIdentity {
  readonly name: string
  /** The queue manager identifier (QMID): different for every queue manager, even of the same name. */
  readonly qmid: string
}

/**
 * The MQI verbs as one service. Two implementations ship: `@resilient-mq/ibmmq` over the official
 * binding, and `@resilient-mq/emulator`. Conformance: `@resilient-mq/core/testing`.
 *
 * Handles from `connect`, `open` and `subscribe` are released (disconnected, closed) when their
 * scope closes, unless released explicitly before. A get that finds no message answers `None`
 * (MQ's 2033 is not an error).
 */
export class Mqi extends Context.Service<Mqi, {
  readonly connect: (options: ConnectOptions) => Effect.Effect<Hconn, MqError, Scope.Scope>
  readonly disconnect: (hconn: Hconn) => Effect.Effect<void, MqError>
  /** The queue manager's name and QMID, as the connection learnt them when it connected. */
  readonly queueManager: (hconn: Hconn) => Effect.Effect<QueueManagerIdentity, MqError>
  readonly open: (
    hconn: Hconn,
    object: ObjectDescriptor,
    options: OpenOptions
  ) => Effect.Effect<Hobj, MqError, Scope.Scope>
  readonly close: (hobj: Hobj, options?: CloseOptions) => Effect.Effect<void, MqError>
  readonly put: (hobj: Hobj, message: OutgoingMessage, options?: PutOptions) => Effect.Effect<MessageDescriptor, MqError>
  readonly put1: (
    hconn: Hconn,
    object: ObjectDescriptor,
    message: OutgoingMessage,
    options?: PutOptions
  ) => Effect.Effect<MessageDescriptor, MqError>
  readonly get: (hobj: Hobj, options?: GetOptions) => Effect.Effect<Option.Option<Message>, MqError>
  /**
   * Messages as they arrive (an asynchronous consumer, MQCB/MQCTL). The stream fails with the
   * error that stopped the consumer, such as 2009 when the connection breaks, and ends when its
   * handle is closed or its connection disconnected.
   */
  readonly consume: (hobj: Hobj, options?: GetOptions) => Stream.Stream<Message, MqError>
  readonly begin: (hconn: Hconn) => Effect.Effect<void, MqError>
  readonly commit: (hconn: Hconn) => Effect.Effect<void, MqError>
  readonly backout: (hconn: Hconn) => Effect.Effect<void, MqError>
  readonly subscribe: (hconn: Hconn, options: SubscribeOptions) => Effect.Effect<Subscription, MqError, Scope.Scope>
  /** Closes the subscription (and the destination MQSUB opened for it, managed or resumed). */
  readonly unsubscribe: (subscription: Subscription, options?: CloseOptions) => Effect.Effect<void, MqError>
  readonly inquire: <const A extends AttributeName>(
    hobj: Hobj,
    attributes: ReadonlyArray<A>
  ) => Effect.Effect<Attributes<A>, MqError>
  readonly set: (
    hobj: Hobj,
    attributes: Partial<{ readonly [K in SettableAttribute]: Attributes<K>[K] }>
  ) => Effect.Effect<void, MqError>
}>()("@resilient-mq/core/Mqi") {}
