import type { MessageDescriptor, MqConnection, MqError, OutgoingMessage } from "@resilient-mq/core"
import type { Duration, Stream, SubscriptionRef } from "effect"
import { Config, Context, Effect, Layer, Schema } from "effect"
import type { BufferFull, BufferStore, BufferStoreError, EnvelopeId, SendOptions, Stored } from "./BufferStore.ts"
import { defined, NotNegativeDuration, optional, under, validate } from "./internal/options.ts"
import { makeProducer } from "./internal/producer.ts"

/** What became of a message handed to `send`: put on the queue, or kept in the buffer for later. */
export type SendResult =
  /** The queue manager has it: the descriptor as it resolved it. */
  | { readonly _tag: "Sent"; readonly descriptor: MessageDescriptor }
  /** It is in the buffer under `id`; the drainer will put it with this `MsgId`. */
  | { readonly _tag: "Buffered"; readonly id: EnvelopeId; readonly msgId: Uint8Array }

/** What the producer and its drainer did, as it happened. */
export type BufferEvent =
  | { readonly _tag: "Buffered"; readonly destination: string; readonly id: EnvelopeId; readonly msgId: Uint8Array }
  /** A batch was committed on the queue manager and acknowledged in the store. */
  | { readonly _tag: "Drained"; readonly destination: string; readonly count: number }
  /** The `drop-oldest` overflow policy removed it to make room: it will not be sent. */
  | { readonly _tag: "Dropped"; readonly envelope: Stored }
  /**
   * The queue manager refused it for good; it is in the store's dead letters, or, when `queue` is
   * set, on that dead-letter queue.
   */
  | { readonly _tag: "DeadLettered"; readonly envelope: Stored; readonly reason: string; readonly queue?: string }
  /** Nothing is buffered for the destination any more: sends to it go directly again. */
  | { readonly _tag: "BacklogCleared"; readonly destination: string }

/** Options of the buffered producer. */
export interface BufferedProducerOptions {
  /** How many buffered messages the drainer puts per unit of work. Default 64. */
  readonly batchSize?: number
  /**
   * A queue on the queue manager for messages it refuses for good (2030, 2085, 2035...), put with the
   * property `resilient.reason`. Default: none, they go to the store's dead letters (so do those the
   * dead-letter queue refuses too).
   */
  readonly deadLetterQueue?: string
  /**
   * How long the drainer leaves a destination alone after a failure other than a lost connection
   * (2053 queue full, a store error). Default `"1 second"`.
   */
  readonly retryDelay?: Duration.Input
}

const BufferedProducerOptionsSchema = Schema.Struct({
  batchSize: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  deadLetterQueue: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(48))),
  retryDelay: Schema.optionalKey(NotNegativeDuration)
})

/** Checks producer options, failing with a `ConfigError` that names each option in error. */
export const validateProducerOptions: (
  options: BufferedProducerOptions
) => Effect.Effect<BufferedProducerOptions, Config.ConfigError> = validate(BufferedProducerOptionsSchema)

/**
 * The producer's metrics, to read them in process (`Metric.value`). Those by destination carry it as
 * the `destination` attribute: `resilient_mq_buffer_depth` (gauge), `resilient_mq_buffer_appended_total`,
 * `..._drained_total`, `..._dropped_total`, `..._dead_lettered_total`; and
 * `resilient_mq_buffer_oldest_age_seconds` (gauge, sampled every second).
 */
export { metrics } from "./internal/metrics.ts"

/** What `send` can fail with: the message was neither sent nor buffered. */
export type SendError = BufferFull | BufferStoreError | MqError

/**
 * Puts messages directly while the connection is up and nothing older is buffered for the
 * destination; otherwise appends them to the `BufferStore` and answers `Buffered`. Its drainer
 * forwards what is buffered, in order per destination, in units of work, acknowledging a batch in
 * the store only after its commit.
 */
export class BufferedProducer extends Context.Service<BufferedProducer, {
  /**
   * Sends a message: `Sent` when the queue manager took it, `Buffered` when it is in the store. The
   * message gets a 24-byte `MsgId` now unless it has one, and keeps it however often it is put. A
   * put that failed with a connection error or an unknown outcome is buffered with that `MsgId`; a
   * refusal (`permanent`: 2030, 2085, 2035; `transient`: 2053 queue full) fails the send.
   */
  readonly send: (
    destination: string,
    message: OutgoingMessage,
    options?: SendOptions
  ) => Effect.Effect<SendResult, SendError>
  readonly events: Stream.Stream<BufferEvent>
  /** How many messages this producer has buffered and not yet drained, dropped or dead-lettered. */
  readonly backlog: SubscriptionRef.SubscriptionRef<number>
}>()("@resilient-mq/buffer/BufferedProducer") {}

/**
 * The buffered producer and its drainer on the `MqConnection` and `BufferStore` in context. The
 * drainer runs while the layer's scope is open and commits units of work on that connection: give
 * the producer a connection of its own if the application uses syncpoint on it too.
 */
export const layer = (
  options: BufferedProducerOptions = {}
): Layer.Layer<BufferedProducer, Config.ConfigError | BufferStoreError, MqConnection | BufferStore> =>
  Layer.effect(BufferedProducer, Effect.flatMap(validateProducerOptions(options), makeProducer))

/**
 * `layer` with its options read from configuration under `path`: `batchSize`, `deadLetterQueue` and
 * `retryDelay` (absent keys take the defaults).
 */
export const layerConfig = (
  path?: string
): Layer.Layer<BufferedProducer, Config.ConfigError | BufferStoreError, MqConnection | BufferStore> =>
  Layer.unwrap(Effect.map(
    under(
      Config.all({
        batchSize: optional(Config.Int("batchSize")),
        deadLetterQueue: optional(Config.String("deadLetterQueue")),
        retryDelay: optional(Config.Duration("retryDelay"))
      }),
      path
    ),
    (options) => layer(defined<BufferedProducerOptions>(options))
  ))
