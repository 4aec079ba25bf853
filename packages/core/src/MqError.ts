import type { FailureClass } from "@resilient-mq/retry"
import { Predicate, Schema } from "effect"
import { CompletionCode, ReasonCode, reasonName } from "./ReasonCode.ts"

/**
 * The MQI verbs, as MQ names them in its messages and traces.
 */
export const Verbs = [
  "MQCONNX",
  "MQDISC",
  "MQOPEN",
  "MQCLOSE",
  "MQPUT",
  "MQPUT1",
  "MQGET",
  "MQCB",
  "MQCTL",
  "MQBEGIN",
  "MQCMIT",
  "MQBACK",
  "MQSUB",
  "MQSUBRQ",
  "MQINQ",
  "MQSET",
  "MQSTAT",
  "MQCRTMH",
  "MQDLTMH",
  "MQSETMP",
  "MQINQMP",
  "MQDLTMP"
] as const

export type Verb = typeof Verbs[number]

/**
 * What a caller must do about a failed call: the failure classes of `@resilient-mq/retry`, whose
 * policies take every retry decision from them.
 *
 * - `connection`: the connection is gone or the queue manager cannot be reached: reconnect.
 * - `outcome-unknown`: the call may have completed (2549, and 2009/2162/2203 on put, put1 and commit):
 *   resolve before repeating it.
 * - `backed-out`: the unit of work was backed out (2003): run it again.
 * - `transient`: resource pressure or a temporary administrative state: retry later.
 * - `permanent`: configuration, authority or a program error: never retried, reported at once.
 */
export type ErrorClass = FailureClass

// A client call that was in flight when the connection ended may have been carried out by the queue
// manager (IBM: 2009, 2162 and 2203 on a client); for these verbs that means the work may be done.
const effectfulVerbs: ReadonlySet<Verb> = new Set(["MQPUT", "MQPUT1", "MQCMIT"])
const inFlightLost: ReadonlySet<number> = new Set([
  ReasonCode.CONNECTION_BROKEN,
  ReasonCode.Q_MGR_STOPPING,
  ReasonCode.CONNECTION_STOPPING
])

const connectionReasons: ReadonlySet<number> = new Set([
  ReasonCode.CONNECTION_BROKEN,
  ReasonCode.MAX_CONNS_LIMIT_REACHED,
  ReasonCode.Q_MGR_NOT_AVAILABLE,
  ReasonCode.Q_MGR_QUIESCING,
  ReasonCode.Q_MGR_STOPPING,
  ReasonCode.CONNECTION_QUIESCING,
  ReasonCode.CONNECTION_STOPPING,
  ReasonCode.CHANNEL_NOT_AVAILABLE,
  ReasonCode.HOST_NOT_AVAILABLE,
  ReasonCode.STANDBY_Q_MGR,
  ReasonCode.RECONNECTING,
  ReasonCode.RECONNECT_FAILED,
  ReasonCode.RECONNECT_TIMED_OUT,
  ReasonCode.Q_MGR_RECONNECT_REQUESTED
])

const transientReasons: ReadonlySet<number> = new Set([
  ReasonCode.GET_INHIBITED,
  ReasonCode.SYNCPOINT_LIMIT_REACHED,
  ReasonCode.OBJECT_IN_USE,
  ReasonCode.PUT_INHIBITED,
  ReasonCode.Q_FULL,
  ReasonCode.STORAGE_NOT_AVAILABLE,
  ReasonCode.RESOURCE_PROBLEM,
  ReasonCode.STORAGE_MEDIUM_FULL
])

/**
 * Classifies a reason code returned by a verb. Codes not listed as connection, transient,
 * backed-out or outcome-unknown are permanent: an unknown failure is reported, never retried.
 */
export const classify = (verb: Verb, reason: number): ErrorClass => {
  if (reason === ReasonCode.CALL_INTERRUPTED) return "outcome-unknown"
  if (inFlightLost.has(reason) && effectfulVerbs.has(verb)) return "outcome-unknown"
  if (reason === ReasonCode.BACKED_OUT) return "backed-out"
  if (connectionReasons.has(reason)) return "connection"
  if (transientReasons.has(reason)) return "transient"
  return "permanent"
}

/**
 * A failed MQI call: the verb, MQ's completion and reason codes, and the object involved.
 * Its message reads like MQ's own: `MQPUT on DEV.QUEUE.1: MQRC_Q_FULL (2053)`.
 */
export class MqError extends Schema.TaggedError<MqError>()("MqError", {
  verb: Schema.Literals(Verbs),
  completionCode: Schema.Literals([CompletionCode.WARNING, CompletionCode.FAILED]),
  reason: Schema.Int,
  object: Schema.optional(Schema.String),
  queueManager: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  /** The MQ name of the reason, such as `MQRC_Q_FULL`. */
  get reasonName(): string {
    return reasonName(this.reason)
  }

  /** What a caller must do about this error. */
  get errorClass(): ErrorClass {
    return classify(this.verb, this.reason)
  }

  override get message(): string {
    const on = this.object === undefined || this.object === "" ? "" : ` on ${this.object}`
    return `${this.verb}${on}: ${this.reasonName} (${this.reason})`
  }
}

/**
 * Builds an `MqError` with completion code FAILED unless given.
 */
export const mqError = (
  verb: Verb,
  reason: number,
  details?: {
    readonly object?: string | undefined
    readonly queueManager?: string | undefined
    readonly completionCode?: typeof CompletionCode.WARNING | typeof CompletionCode.FAILED
    readonly cause?: unknown
  }
): MqError =>
  new MqError({
    verb,
    reason,
    completionCode: details?.completionCode ?? CompletionCode.FAILED,
    ...(details?.object === undefined ? {} : { object: details.object }),
    ...(details?.queueManager === undefined ? {} : { queueManager: details.queueManager }),
    ...(details?.cause === undefined ? {} : { cause: details.cause })
  })

export const isMqError: (u: unknown) => u is MqError = Schema.is(MqError)

/**
 * What a cause says, for an error's message: its own message when it has one. Never throws: an
 * object without a prototype (as a cause may be once serialized) has no string form.
 */
export const describeCause = (cause: unknown): string => {
  if (Predicate.hasProperty(cause, "message") && typeof cause.message === "string") return cause.message
  try {
    return String(cause)
  } catch {
    return "an error without a message"
  }
}
