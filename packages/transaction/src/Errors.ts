import { Schema } from "effect"
import { describeCause } from "@resilient-mq/core"

/**
 * A put or get inside a guarded unit that would not be under syncpoint: it would neither commit nor
 * back out with the unit's other work. Refused before the call is made.
 */
export class OutsideSyncpoint extends Schema.TaggedError<OutsideSyncpoint>()("OutsideSyncpoint", {
  verb: Schema.Literals(["MQPUT", "MQPUT1", "MQGET"]),
  object: Schema.String
}) {
  override get message(): string {
    return `${this.verb} on ${this.object} inside a guarded unit must be under syncpoint: outside it, it would neither commit nor back out with the unit`
  }
}

/**
 * An option that a reconnected connection cannot continue (logical order: MQ answers 2547,
 * MQRC_RECONNECT_INCOMPATIBLE). Refused before the call is made.
 */
export class ReconnectIncompatible extends Schema.TaggedError<ReconnectIncompatible>()("ReconnectIncompatible", {
  verb: Schema.Literals(["MQPUT", "MQPUT1", "MQGET"]),
  object: Schema.String,
  option: Schema.String
}) {
  override get message(): string {
    return `${this.verb} on ${this.object} asks for ${this.option}, which MQ cannot continue on a reconnected connection (MQRC_RECONNECT_INCOMPATIBLE, 2547): the guard runs units again after a reconnect, so it refuses the option`
  }
}

/**
 * The commit of a unit was cut off (2549, or 2009 and the like) and the guard could not tell whether
 * it happened: no ledger queue is configured, the ledger could not be read, or the connection is now
 * on another queue manager than the one the unit ran on. The unit is not run again. Its ledger marker,
 * if it has one, carries `unitId` as its CorrelId.
 */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  unitId: Schema.String,
  why: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `the commit of unit ${this.unitId} may or may not have happened (${describeCause(this.cause)}): ${this.why}; it is not run again`
  }
}

/**
 * A unit was backed out (a lost connection, 2003, a commit resolved as not done, a poison message
 * moved aside) and is not run again: it was run with `rerun: false` (`not-rerun`), or the retry
 * policy gave up (`attempts`, `deadline`). Nothing of it was committed.
 */
export class UnitBackedOut extends Schema.TaggedError<UnitBackedOut>()("UnitBackedOut", {
  unitId: Schema.String,
  attempts: Schema.Int,
  why: Schema.Literals(["not-rerun", "attempts", "deadline", "permanent", "outcome-unknown", "backed-out"]),
  cause: Schema.Defect()
}) {
  override get message(): string {
    return this.why === "not-rerun"
      ? `unit ${this.unitId} was backed out (${describeCause(this.cause)}) and is not run again: it was run with rerun: false`
      : `unit ${this.unitId} was backed out ${this.attempts} time(s) and the retry policy gave up (${this.why}): ${describeCause(this.cause)}`
  }
}

/**
 * A message got under syncpoint whose backout count reached the backout threshold. Inside the unit,
 * its get fails with this error (without `cause`) and the guard moves the message aside, then runs the
 * unit again; the unit need not handle it. A run fails with it (with `cause`) when the message could
 * not be moved.
 */
export class PoisonMessage extends Schema.TaggedError<PoisonMessage>()("PoisonMessage", {
  queue: Schema.String,
  /** The message's MsgId, in hexadecimal. */
  msgId: Schema.String,
  backoutCount: Schema.Int,
  threshold: Schema.Int,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    const reached = `message ${this.msgId} on ${this.queue} was backed out ${this.backoutCount} time(s) (threshold ${this.threshold})`
    return this.cause === undefined
      ? `${reached}: the guard moves it aside and runs the unit again`
      : `${reached} and could not be moved aside: ${describeCause(this.cause)}`
  }
}

/**
 * A batch does not fit in one unit of work: the queue manager's limit of uncommitted messages
 * (MAXUMSGS) is smaller than the batch (and the guard's ledger marker). Nothing of it was put.
 */
export class BatchTooLarge extends Schema.TaggedError<BatchTooLarge>()("BatchTooLarge", {
  queue: Schema.String,
  size: Schema.Int,
  /** MAXUMSGS, when the queue manager answered the inquiry. */
  limit: Schema.optional(Schema.Int),
  cause: Schema.Defect()
}) {
  override get message(): string {
    const limit = this.limit === undefined ? "its limit" : `its limit of ${this.limit}`
    return `a batch of ${this.size} messages for ${this.queue} exceeds the uncommitted messages a unit of work may hold on the queue manager (${limit}, MAXUMSGS; MQRC_SYNCPOINT_LIMIT_REACHED, 2024): nothing was put; send smaller batches`
  }
}
