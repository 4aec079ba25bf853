import { Schema } from "effect"

/** `MQPER_*`: whether a message survives a queue manager restart. */
export const Persistence = {
  NOT_PERSISTENT: 0,
  PERSISTENT: 1,
  AS_Q_DEF: 2
} as const

/** `MQMT_*`: the kind of message. */
export const MsgType = {
  REQUEST: 1,
  REPLY: 2,
  REPORT: 4,
  DATAGRAM: 8
} as const

/**
 * `MQRO_*` report options that say how a reply is correlated: by default (`COPY_MSG_ID_TO_CORREL_ID`
 * and `NEW_MSG_ID`, both 0) the reply's CorrelId is the request's MsgId and its MsgId is new;
 * `PASS_CORREL_ID` asks for the request's CorrelId instead, `PASS_MSG_ID` for its MsgId.
 */
export const Report = {
  NEW_MSG_ID: 0x0,
  COPY_MSG_ID_TO_CORREL_ID: 0x0,
  PASS_CORREL_ID: 0x40,
  PASS_MSG_ID: 0x80
} as const

/** `MQEI_UNLIMITED`: a message that never expires. Expiry is in tenths of a second, as in MQ. */
export const EXPIRY_UNLIMITED = -1

/** `MQPRI_PRIORITY_AS_Q_DEF`: the queue's default priority. */
export const PRIORITY_AS_Q_DEF = -1

/** Formats (`MQFMT_*`), without MQ's trailing blanks, as descriptors carry every string field. */
export const Format = {
  NONE: "",
  STRING: "MQSTR",
  DEAD_LETTER_HEADER: "MQDEAD",
  RF_HEADER_2: "MQHRF2"
} as const

const fixedBytes = (length: number) =>
  Schema.Uint8Array.check(
    Schema.makeFilter((bytes) => bytes.length === length || `expected exactly ${length} bytes, got ${bytes.length}`)
  )

const maxChars = (length: number) => Schema.String.check(Schema.isMaxLength(length))

/** A 24-byte message, correlation or group identifier. */
export const Identifier = fixedBytes(24)

/** `MQMI_NONE`/`MQCI_NONE`: 24 zero bytes, "no identifier" (and "match any" on a get). */
export const IDENTIFIER_NONE: Uint8Array = new Uint8Array(24)

/** Whether an identifier is all zero bytes. */
export const isNoIdentifier = (id: Uint8Array): boolean => {
  // A loop, not `every`: it runs on every put that carries an identifier.
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false
  return true
}

/**
 * The message descriptor (MQMD version 2) as a get returns it and a put resolves it.
 * Names follow MQ's fields; units are MQ's (expiry in tenths of a second, dates in GMT). String
 * fields carry no trailing blanks (MQ pads them to their fixed length; adapters remove the padding).
 */
export const MessageDescriptor = Schema.Struct({
  report: Schema.Int,
  msgType: Schema.Int,
  expiry: Schema.Int,
  feedback: Schema.Int,
  encoding: Schema.Int,
  codedCharSetId: Schema.Int,
  format: maxChars(8),
  priority: Schema.Int,
  persistence: Schema.Literals([Persistence.NOT_PERSISTENT, Persistence.PERSISTENT]),
  msgId: Identifier,
  correlId: Identifier,
  backoutCount: Schema.Int,
  replyToQ: maxChars(48),
  replyToQMgr: maxChars(48),
  // Identity context
  userIdentifier: maxChars(12),
  accountingToken: fixedBytes(32),
  applIdentityData: maxChars(32),
  // Origin context
  putApplType: Schema.Int,
  putApplName: maxChars(28),
  putDate: maxChars(8),
  putTime: maxChars(8),
  applOriginData: maxChars(4),
  // Version 2: groups and segments
  groupId: Identifier,
  msgSeqNumber: Schema.Int,
  offset: Schema.Int,
  msgFlags: Schema.Int,
  originalLength: Schema.Int
})

export type MessageDescriptor = typeof MessageDescriptor.Type

/**
 * What an application may set on a put: every field is optional and takes MQ's default when absent
 * (persistence and priority as the queue defines them, no expiry, no identifiers: the queue manager
 * generates the MsgId).
 */
export const PutDescriptor = Schema.Struct({
  report: Schema.optionalKey(Schema.Int),
  msgType: Schema.optionalKey(Schema.Int),
  expiry: Schema.optionalKey(
    Schema.Int.check(
      Schema.makeFilter((n) => n === EXPIRY_UNLIMITED || n > 0 || "expected a positive number of tenths of a second, or -1 for unlimited")
    )
  ),
  feedback: Schema.optionalKey(Schema.Int),
  encoding: Schema.optionalKey(Schema.Int),
  codedCharSetId: Schema.optionalKey(Schema.Int),
  format: Schema.optionalKey(maxChars(8)),
  priority: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(PRIORITY_AS_Q_DEF))),
  persistence: Schema.optionalKey(
    Schema.Literals([Persistence.NOT_PERSISTENT, Persistence.PERSISTENT, Persistence.AS_Q_DEF])
  ),
  msgId: Schema.optionalKey(Identifier),
  correlId: Schema.optionalKey(Identifier),
  replyToQ: Schema.optionalKey(maxChars(48)),
  replyToQMgr: Schema.optionalKey(maxChars(48)),
  userIdentifier: Schema.optionalKey(maxChars(12)),
  accountingToken: Schema.optionalKey(fixedBytes(32)),
  applIdentityData: Schema.optionalKey(maxChars(32)),
  putApplType: Schema.optionalKey(Schema.Int),
  putApplName: Schema.optionalKey(maxChars(28)),
  putDate: Schema.optionalKey(maxChars(8)),
  putTime: Schema.optionalKey(maxChars(8)),
  applOriginData: Schema.optionalKey(maxChars(4)),
  groupId: Schema.optionalKey(Identifier),
  msgSeqNumber: Schema.optionalKey(Schema.Int),
  offset: Schema.optionalKey(Schema.Int),
  msgFlags: Schema.optionalKey(Schema.Int)
})

export type PutDescriptor = typeof PutDescriptor.Type

/** A message property value, as the MQI types them. */
export type PropertyValue = string | number | bigint | boolean | Uint8Array | null

/** Message properties by name (`usr.` names may be given without the prefix, as MQ allows). */
export type Properties = Readonly<Record<string, PropertyValue>>
