import { Duration, Schema } from "effect"

/**
 * A reconnect loop stopped at once because the failure is permanent (credentials rejected, TLS
 * misconfigured, unknown channel): the message says what to fix.
 */
export class ReconnectAborted extends Schema.TaggedError<ReconnectAborted>()("ReconnectAborted", {
  reason: Schema.optional(Schema.Int),
  advice: Schema.String,
  attempts: Schema.Int,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `reconnecting stopped after ${this.attempts} attempt(s): ${this.advice}`
  }
}

/** Reconnecting gave up: the overall deadline passed or the attempts ran out. */
export class ReconnectTimedOut extends Schema.TaggedError<ReconnectTimedOut>()("ReconnectTimedOut", {
  attempts: Schema.Int,
  elapsed: Schema.Duration,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `reconnecting gave up after ${this.attempts} attempt(s) in ${Duration.format(this.elapsed)}`
  }
}

/**
 * The circuit is open after too many consecutive connection failures: calls fail at once, without
 * touching the queue manager, until a probe after `retryAfter` succeeds.
 */
export class CircuitOpen extends Schema.TaggedError<CircuitOpen>()("CircuitOpen", {
  key: Schema.String,
  retryAfter: Schema.Duration
}) {
  override get message(): string {
    return `the circuit for ${this.key} is open: calls fail fast for ${Duration.format(this.retryAfter)}`
  }
}
