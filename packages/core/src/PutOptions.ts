import { MQPMO } from "./MqiConstants.ts"

/**
 * How to put a message (MQPMO_*). Without `syncpoint` the put is outside any unit of work, as on
 * distributed queue managers. `failIfQuiescing` defaults to true; `bits` are OR-ed in raw.
 */
export interface PutOptions {
  readonly syncpoint?: boolean
  readonly newMsgId?: boolean
  readonly newCorrelId?: boolean
  readonly context?: "default" | "none" | "pass-identity" | "pass-all" | "set-identity" | "set-all"
  readonly logicalOrder?: boolean
  readonly retain?: boolean
  readonly warnIfNoSubscribers?: boolean
  readonly failIfQuiescing?: boolean
  readonly bits?: number
}

const contextBits = {
  "default": MQPMO.DEFAULT_CONTEXT,
  "none": MQPMO.NO_CONTEXT,
  "pass-identity": MQPMO.PASS_IDENTITY_CONTEXT,
  "pass-all": MQPMO.PASS_ALL_CONTEXT,
  "set-identity": MQPMO.SET_IDENTITY_CONTEXT,
  "set-all": MQPMO.SET_ALL_CONTEXT
} as const

/** The MQPMO_* bits of put options. */
export const putOptionBits = (options: PutOptions): number =>
  (options.syncpoint === true ? MQPMO.SYNCPOINT : options.syncpoint === false ? MQPMO.NO_SYNCPOINT : 0) |
  (options.newMsgId ? MQPMO.NEW_MSG_ID : 0) |
  (options.newCorrelId ? MQPMO.NEW_CORREL_ID : 0) |
  (options.context === undefined ? 0 : contextBits[options.context]) |
  (options.logicalOrder ? MQPMO.LOGICAL_ORDER : 0) |
  (options.retain ? MQPMO.RETAIN : 0) |
  (options.warnIfNoSubscribers ? MQPMO.WARN_IF_NO_SUBS_MATCHED : 0) |
  (options.failIfQuiescing === false ? 0 : MQPMO.FAIL_IF_QUIESCING) |
  (options.bits ?? 0)
