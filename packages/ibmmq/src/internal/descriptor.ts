import {
  type GetOptions,
  type MessageDescriptor,
  Persistence,
  type PutDescriptor
} from "@resilient-mq/core"
import type { MQMD } from "ibmmq"
import { Buffer } from "node:buffer"
import type { Binding } from "./binding.ts"

/**
 * A fixed-length MQ string without its padding. The binding trims MQMD strings itself but leaves
 * NULs, and returns an all-blank field of the other structures as a single blank.
 */
export const mqText = (s: string | null | undefined): string => (s ?? "").replace(/[ \0]+$/, "")

/** Bytes as the Buffer the binding requires, without copying. */
export const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

// Report and MsgFlags come back as numbers when they went in as numbers, which they always do here;
// the binding's types also allow arrays of bits.
const bits = (value: number | ReadonlyArray<number>): number =>
  typeof value === "number" ? value : value.reduce((all, bit) => all | bit, 0)

/** An MQMD for a put: MQ's defaults (the binding's) where the descriptor says nothing. */
export const toMqmd = (mq: Binding, d: PutDescriptor = {}): MQMD => {
  const md = new mq.MQMD()
  if (d.report !== undefined) md.Report = d.report
  if (d.msgType !== undefined) md.MsgType = d.msgType
  if (d.expiry !== undefined) md.Expiry = d.expiry
  if (d.feedback !== undefined) md.Feedback = d.feedback
  if (d.encoding !== undefined) md.Encoding = d.encoding
  if (d.codedCharSetId !== undefined) md.CodedCharSetId = d.codedCharSetId
  // The binding types Format as MQ's own names, or bytes for any other: an application's format is bytes.
  if (d.format !== undefined) md.Format = Buffer.from(d.format, "latin1")
  if (d.priority !== undefined) md.Priority = d.priority
  if (d.persistence !== undefined) md.Persistence = d.persistence
  if (d.msgId !== undefined) md.MsgId = Buffer.from(d.msgId)
  if (d.correlId !== undefined) md.CorrelId = Buffer.from(d.correlId)
  if (d.replyToQ !== undefined) md.ReplyToQ = d.replyToQ
  if (d.replyToQMgr !== undefined) md.ReplyToQMgr = d.replyToQMgr
  if (d.userIdentifier !== undefined) md.UserIdentifier = d.userIdentifier
  if (d.accountingToken !== undefined) md.AccountingToken = Buffer.from(d.accountingToken)
  if (d.applIdentityData !== undefined) md.ApplIdentityData = d.applIdentityData
  if (d.putApplType !== undefined) md.PutApplType = d.putApplType
  if (d.putApplName !== undefined) md.PutApplName = d.putApplName
  if (d.putDate !== undefined) md.PutDate = d.putDate
  if (d.putTime !== undefined) md.PutTime = d.putTime
  if (d.applOriginData !== undefined) md.ApplOriginData = d.applOriginData
  if (d.groupId !== undefined) md.GroupId = Buffer.from(d.groupId)
  if (d.msgSeqNumber !== undefined) md.MsgSeqNumber = d.msgSeqNumber
  if (d.offset !== undefined) md.Offset = d.offset
  if (d.msgFlags !== undefined) md.MsgFlags = d.msgFlags
  return md
}

/** An MQMD for a get: the identifiers to match, everything else at MQ's defaults. */
export const matchMqmd = (mq: Binding, match: GetOptions["match"]): MQMD =>
  toMqmd(mq, {
    ...(match?.msgId === undefined ? {} : { msgId: match.msgId }),
    ...(match?.correlId === undefined ? {} : { correlId: match.correlId }),
    ...(match?.groupId === undefined ? {} : { groupId: match.groupId })
  })

/** The descriptor of a message as a put resolved it or a get returned it (identifiers copied). */
export const fromMqmd = (md: MQMD): MessageDescriptor => ({
  report: bits(md.Report),
  msgType: md.MsgType,
  expiry: md.Expiry,
  feedback: md.Feedback,
  encoding: md.Encoding,
  codedCharSetId: md.CodedCharSetId,
  format: mqText(typeof md.Format === "string" ? md.Format : md.Format.toString("latin1")),
  priority: md.Priority,
  // MQ resolves PERSISTENCE_AS_Q_DEF on put, so a descriptor it returns is one or the other.
  persistence: md.Persistence === Persistence.PERSISTENT ? Persistence.PERSISTENT : Persistence.NOT_PERSISTENT,
  msgId: new Uint8Array(md.MsgId),
  correlId: new Uint8Array(md.CorrelId),
  backoutCount: md.BackoutCount,
  replyToQ: mqText(md.ReplyToQ),
  replyToQMgr: mqText(md.ReplyToQMgr),
  userIdentifier: mqText(md.UserIdentifier),
  accountingToken: new Uint8Array(md.AccountingToken),
  applIdentityData: mqText(md.ApplIdentityData),
  putApplType: md.PutApplType,
  putApplName: mqText(md.PutApplName),
  putDate: mqText(md.PutDate),
  putTime: mqText(md.PutTime),
  applOriginData: mqText(md.ApplOriginData),
  groupId: new Uint8Array(md.GroupId),
  msgSeqNumber: md.MsgSeqNumber,
  offset: md.Offset,
  msgFlags: bits(md.MsgFlags),
  originalLength: md.OriginalLength
})
