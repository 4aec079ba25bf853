import type {
  CallError,
  GetOptions,
  Message,
  MessageDescriptor,
  MqConnection,
  MqObject,
  ObjectDescriptor,
  OutgoingMessage,
  PutOptions
} from "@resilient-mq/core"
import type { RetryPolicy } from "@resilient-mq/retry"
import { Config, Context, type Duration, Effect, Layer, Option, Schema, type Stream } from "effect"
import type {
  BatchTooLarge,
  OutcomeUnknown,
  OutsideSyncpoint,
  PoisonMessage,
  ReconnectIncompatible,
  UnitBackedOut
} from "./Errors.ts"
import { makeGuard } from "./internal/guard.ts"

/** Put options inside a unit: the guard puts under syncpoint, so `syncpoint` is not the caller's. */
export type TransactionPutOptions = Omit<PutOptions, "syncpoint">

/** Get options inside a unit: a destructive get is under syncpoint; a browse is not work and stays as is. */
export type TransactionGetOptions = Omit<GetOptions, "syncpoint">

/** What a call inside a unit can fail with. */
export type TransactionCallError = CallError | OutsideSyncpoint | ReconnectIncompatible

/**
 * The unit's handle on the connection: every put and get through it is under the unit's syncpoint.
 * The same calls through the `MqConnection` in the unit's context are checked too: there a call
 * outside syncpoint, a commit or a backout is a defect, since that service cannot carry the typed
 * error.
 */
export interface Transaction {
  /** The unit's identifier (24 bytes in hexadecimal), the same for every attempt: its ledger marker's CorrelId. */
  readonly unitId: string
  /** 1 for the first run, 2 for the first rerun... */
  readonly attempt: number
  readonly put: (
    queue: MqObject,
    message: OutgoingMessage,
    options?: TransactionPutOptions
  ) => Effect.Effect<MessageDescriptor, TransactionCallError>
  readonly put1: (
    object: ObjectDescriptor,
    message: OutgoingMessage,
    options?: TransactionPutOptions
  ) => Effect.Effect<MessageDescriptor, TransactionCallError>
  /**
   * A get under syncpoint (or a browse). A message whose backout count reached the backout threshold
   * fails it with `PoisonMessage`: the guard then moves the message aside and runs the unit again.
   */
  readonly get: (
    queue: MqObject,
    options?: TransactionGetOptions
  ) => Effect.Effect<Option.Option<Message>, TransactionCallError | PoisonMessage>
}

/** How to run one unit. */
export interface RunOptions {
  /**
   * Whether the unit may run again after it was backed out (a lost connection, 2003, a commit
   * resolved as not done, a poison message moved aside). Default `true`; with `false` the run fails
   * with `UnitBackedOut` instead: for a unit with effects outside MQ that must not happen twice.
   */
  readonly rerun?: boolean
}

/** What a run can fail with besides the unit's own errors. */
export type RunError = CallError | OutcomeUnknown | UnitBackedOut | PoisonMessage

/** What the guard did, as it happened. Unit ids are the `Transaction.unitId`s. */
export type TransactionEvent =
  | { readonly _tag: "Committed"; readonly unitId: string; readonly attempt: number }
  | { readonly _tag: "BackedOut"; readonly unitId: string; readonly attempt: number; readonly reason: string }
  /** The unit runs again after `delay`: this is its `attempt`. */
  | {
    readonly _tag: "Rerun"
    readonly unitId: string
    readonly attempt: number
    readonly delay: Duration.Duration
    readonly reason: string
  }
  /** A commit of unknown outcome resolved by the unit's marker on the ledger: found (committed) or not. */
  | { readonly _tag: "OutcomeResolved"; readonly unitId: string; readonly outcome: "committed" | "backed-out" }
  /** A commit of unknown outcome that could not be resolved: the run fails with `OutcomeUnknown`. */
  | { readonly _tag: "OutcomeUnresolved"; readonly unitId: string; readonly reason: string }
  /** A poison message moved, in a unit of its own, to the backout queue or (with a dead-letter header) the dead-letter queue. */
  | {
    readonly _tag: "PoisonMessageMoved"
    readonly queue: string
    readonly msgId: string
    readonly backoutCount: number
    readonly threshold: number
    readonly destination: string
    readonly deadLetterHeader: boolean
  }

/** Options of the transaction guard. */
export interface TransactionGuardOptions {
  /**
   * A local queue on the queue manager where each unit puts a marker (CorrelId = unit id) under its
   * own syncpoint, so that a commit of unknown outcome is resolved by looking for it. Default: none,
   * and such a commit fails the run with `OutcomeUnknown`.
   */
  readonly ledgerQueue?: string
  /**
   * A message got under syncpoint whose backout count reaches this is moved aside. Default: the
   * queue's BOTHRESH; 0 never moves messages.
   */
  readonly backoutThreshold?: number
}

const TransactionGuardOptionsSchema = Schema.Struct({
  ledgerQueue: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(48))),
  backoutThreshold: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
})

/** Checks the guard's options, failing with a `ConfigError` that names each option in error. */
export const validateOptions = (
  options: TransactionGuardOptions
): Effect.Effect<TransactionGuardOptions, Config.ConfigError> =>
  Schema.decodeUnknownEffect(TransactionGuardOptionsSchema)(options, { errors: "all" }).pipe(
    Effect.as(options),
    Effect.mapError((error) => new Config.ConfigError(error))
  )

/**
 * The guard's metrics, to read them in process (`Metric.value`):
 * `resilient_mq_transaction_commits_total`, `..._backouts_total`, `..._reruns_total`,
 * `..._outcomes_total` (attribute `outcome`: `committed`, `backed-out`, `unresolved`) and
 * `..._poison_messages_total` (attribute `queue`).
 */
export { metrics } from "./internal/metrics.ts"

/**
 * Runs effects as units of work on the `MqConnection` in context: every put and get under syncpoint,
 * committed when the unit succeeds and backed out when it fails or is interrupted. A unit backed out
 * by MQ (a lost connection, 2003) runs again from the start, under the retry policy; a commit of
 * unknown outcome (2549, 2009) is resolved through the ledger queue, never guessed; a poison message
 * is moved aside instead of coming back forever. Units run one at a time: one connection has one unit
 * of work.
 */
export class TransactionGuard extends Context.Service<TransactionGuard, {
  /**
   * Runs `unit` as one unit of work and returns its value once committed. The unit's own failure is
   * returned as it is after the backout (a transient one, 2053 queue full say, after reruns under the
   * policy's transient backoff). Inside the unit, the `MqConnection` in context is the guarded one.
   */
  readonly run: <A, E, R>(
    unit: (tx: Transaction) => Effect.Effect<A, E, R>,
    options?: RunOptions
  ) => Effect.Effect<A, E | RunError, Exclude<R, MqConnection>>
  /**
   * Puts the messages atomically, as one unit: all of them or none. A batch larger than the queue
   * manager's syncpoint limit fails with `BatchTooLarge`, nothing put.
   */
  readonly putBatch: (
    queue: MqObject,
    messages: ReadonlyArray<OutgoingMessage>,
    options?: TransactionPutOptions
  ) => Effect.Effect<ReadonlyArray<MessageDescriptor>, TransactionCallError | RunError | BatchTooLarge>
  readonly events: Stream.Stream<TransactionEvent>
}>()("@resilient-mq/transaction/TransactionGuard") {}

/**
 * The guard on the `MqConnection` and `RetryPolicy` in context. Options are validated when the layer
 * is built, and the ledger queue is opened then (an unknown ledger queue fails the layer). Give the
 * guard a connection of its own: another user of syncpoint on it would share its units of work.
 */
export const layer = (
  options: TransactionGuardOptions = {}
): Layer.Layer<TransactionGuard, Config.ConfigError | CallError, MqConnection | RetryPolicy> =>
  Layer.effect(TransactionGuard, Effect.flatMap(validateOptions(options), makeGuard))

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.option(config).pipe(Config.map(Option.getOrUndefined))

/** `layer` with its options read from configuration under `path`: `ledgerQueue` and `backoutThreshold`. */
export const layerConfig = (
  path?: string
): Layer.Layer<TransactionGuard, Config.ConfigError | CallError, MqConnection | RetryPolicy> => {
  const config = Config.all({
    ledgerQueue: optional(Config.String("ledgerQueue")),
    backoutThreshold: optional(Config.Int("backoutThreshold"))
  })
  return Layer.unwrap(Effect.map(path === undefined ? config : Config.nested(config, path), ({ ledgerQueue, backoutThreshold }) =>
    layer({
      ...(ledgerQueue === undefined ? {} : { ledgerQueue }),
      ...(backoutThreshold === undefined ? {} : { backoutThreshold })
    })))
}
