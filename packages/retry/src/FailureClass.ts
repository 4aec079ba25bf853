import { Predicate } from "effect"

/**
 * What a caller must do about a failure.
 *
 * - `connection`: the connection is gone or the queue manager cannot be reached: reconnect, then retry.
 * - `outcome-unknown`: the call may have completed: never retried blindly; the caller resolves it.
 * - `backed-out`: the unit of work was backed out: its owner runs it again.
 * - `transient`: resource pressure or a temporary state: retry after a delay, a bounded number of times.
 * - `permanent`: configuration, authority or a program error: never retried.
 */
export type FailureClass = "connection" | "outcome-unknown" | "backed-out" | "transient" | "permanent"

export const FailureClasses: ReadonlyArray<FailureClass> = [
  "connection",
  "outcome-unknown",
  "backed-out",
  "transient",
  "permanent"
]

/**
 * A failure that knows its class, as `MqError` from `@resilient-mq/core` does, with MQ's reason code
 * when there is one.
 */
export interface Classified {
  readonly errorClass: FailureClass
  readonly reason?: number
}

const isFailureClass = (u: unknown): u is FailureClass => FailureClasses.includes(u as FailureClass)

/** Whether a value carries a failure class (an `MqError` does). */
export const isClassified = (u: unknown): u is Classified =>
  Predicate.hasProperty(u, "errorClass") && isFailureClass(u.errorClass)

/** The class a failure carries; anything that carries none is permanent: unknown failures are reported, not retried. */
export const classOf = (u: unknown): FailureClass => isClassified(u) ? u.errorClass : "permanent"

/** MQ's reason code of a failure, when it has one. */
export const reasonOf = (u: unknown): number | undefined =>
  Predicate.hasProperty(u, "reason") && Predicate.isNumber(u.reason) ? u.reason : undefined

// Reasons that no number of reconnect attempts can mend, with what to fix instead. Retrying them only
// hammers a queue manager that will refuse every time (and may lock the user's account).
const advice: ReadonlyMap<number, string> = new Map([
  [2035, "the queue manager refused the connection as not authorised (2035): check the user and password, the channel's CHLAUTH rules and the user's CONNECT authority"],
  [2393, "TLS could not be initialised (2393): check the cipher spec, the key repository and its stash file"],
  [2539, "the channel definition cannot be used (2539): check that the channel is a server-connection channel and its attributes"],
  [2540, "the queue manager does not know the channel (2540): check the channel name"],
  [2058, "no queue manager of that name answers at that address (2058): check the queue manager name and the connection name"]
])

/** What to fix for a failure that stops reconnecting. */
export const adviceFor = (reason: number | undefined): string =>
  (reason === undefined ? undefined : advice.get(reason)) ??
    `the failure is permanent${reason === undefined ? "" : ` (${reason})`}: reconnecting cannot mend it`
