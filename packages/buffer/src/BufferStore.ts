import type { Properties, PutDescriptor, PutOptions } from "@resilient-mq/core"
import { Context, type Effect, Schema } from "effect"

/**
 * The put options a buffered message keeps, to be put later as the application asked. Not the ones
 * the buffered producer decides: it puts under its own syncpoint (`syncpoint`), with the `MsgId` it
 * assigned (`newMsgId`), and reconnects (`logicalOrder` is incompatible with reconnect: 2547); raw
 * `bits` could contradict all three.
 */
export type SendOptions = Omit<PutOptions, "syncpoint" | "newMsgId" | "logicalOrder" | "bits">

/**
 * A message accepted for a destination while it could not be put: everything needed to put it later
 * exactly as the application asked, with the `MsgId` it was given when first accepted (so that a
 * duplicate after an unknown outcome carries the original id).
 */
export interface Envelope {
  /** The queue the message is for. */
  readonly destination: string
  readonly body: Uint8Array
  /** The descriptor fields the application set; `msgId` below overrides any MsgId in it. */
  readonly descriptor: PutDescriptor
  readonly properties: Properties
  /** The put options the application gave; absent: none. */
  readonly options?: SendOptions
  /** 24 bytes, assigned when the message was first accepted. */
  readonly msgId: Uint8Array
  /** When the message was first accepted, in milliseconds since the epoch. */
  readonly acceptedAt: number
}

/** A store's own identifier of an appended envelope; opaque to everyone else. */
export type EnvelopeId = string

/** An envelope as a store keeps it. */
export interface Stored extends Envelope {
  readonly id: EnvelopeId
}

/** An envelope set aside for good, with why. */
export interface DeadLetter extends Stored {
  readonly reason: string
  readonly deadLetteredAt: number
}

/** How much a store holds (not counting dead letters). `bytes` counts message bodies. */
export interface Depth {
  readonly messages: number
  readonly bytes: number
  /** `acceptedAt` of the oldest envelope held, if any. */
  readonly oldestAcceptedAt: number | undefined
}

/**
 * What an acknowledge or a dead-letter took out of the depth. Ids the store did not hold (unknown,
 * already acknowledged or dead-lettered) count for nothing, and an id given twice counts once, so
 * that callers can keep exact accounts without remembering every id.
 */
export interface Removed {
  readonly messages: number
  readonly bytes: number
}

/** The result of an append. */
export interface Appended {
  readonly id: EnvelopeId
  /** Envelopes the `drop-oldest` overflow policy removed to make room, oldest first. */
  readonly dropped: ReadonlyArray<Stored>
}

/** A store failed to read or write its medium. */
export class BufferStoreError extends Schema.TaggedError<BufferStoreError>()("BufferStoreError", {
  store: Schema.String,
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    const why = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `the ${this.store} buffer store could not ${this.operation}: ${why}`
  }
}

/** The buffer is at its capacity and its overflow policy does not make room. */
export class BufferFull extends Schema.TaggedError<BufferFull>()("BufferFull", {
  destination: Schema.String,
  messages: Schema.Int,
  bytes: Schema.Int,
  capacity: Schema.Struct({ messages: Schema.Number, bytes: Schema.Number })
}) {
  override get message(): string {
    return `the buffer is full (${this.messages}/${this.capacity.messages} messages, ${this.bytes}/${this.capacity.bytes} bytes): a message for ${this.destination} was refused`
  }
}

/**
 * Durable store-and-forward storage. An append that returned is on stable storage (for a durable
 * store) and is handed back by `take`, in append order per destination, until it is acknowledged or
 * dead-lettered. Stores are drivers: one file each, all passing `@resilient-mq/buffer/testing`'s suite.
 */
export class BufferStore extends Context.Service<BufferStore, {
  readonly append: (envelope: Envelope) => Effect.Effect<Appended, BufferFull | BufferStoreError>
  /** The oldest unacknowledged envelopes of a destination, in append order, at most `max`. */
  readonly take: (destination: string, max: number) => Effect.Effect<ReadonlyArray<Stored>, BufferStoreError>
  /** Forgets envelopes for good: the queue manager has them. Unknown ids are ignored. */
  readonly acknowledge: (ids: ReadonlyArray<EnvelopeId>) => Effect.Effect<Removed, BufferStoreError>
  /** Destinations that have unacknowledged envelopes. */
  readonly destinations: Effect.Effect<ReadonlyArray<string>, BufferStoreError>
  /** What the store holds, in all or for one destination. */
  readonly depth: (destination?: string) => Effect.Effect<Depth, BufferStoreError>
  /** Sets envelopes aside for good (the queue manager refuses them), with the reason. */
  readonly deadLetter: (ids: ReadonlyArray<EnvelopeId>, reason: string) => Effect.Effect<Removed, BufferStoreError>
  readonly deadLetters: (destination?: string) => Effect.Effect<ReadonlyArray<DeadLetter>, BufferStoreError>
}>()("@resilient-mq/buffer/BufferStore") {}
