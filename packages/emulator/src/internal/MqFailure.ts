import { type Message, ReasonCode } from "@resilient-mq/core"

/**
 * A call the model refuses with an MQ reason code. The model is synchronous plain TypeScript, so it
 * throws this and the callers (the in-process `Mqi` layer, the network server) turn it into
 * their own form: an `MqError`, or a completion and reason code on the wire.
 */
export class MqFailure {
  constructor(
    readonly reason: number,
    /** The object involved, when it is not the one the call named. */
    readonly object?: string,
    /** MQ reports some outcomes (2003 on commit) as warnings. */
    readonly warning = false
  ) {}
}

// A function declaration, so that TypeScript treats a call as the end of the path.
export function refuse(reason: number, object?: string): never {
  throw new MqFailure(reason, object)
}

/**
 * 2080: the message is longer than the buffer and stays on the queue. MQ still fills in the
 * descriptor and the message's length (and as much of it as fits), which the wire answers with.
 */
export class TruncatedMessageFailed extends MqFailure {
  constructor(readonly message: Message) {
    super(ReasonCode.TRUNCATED_MSG_FAILED)
  }
}
