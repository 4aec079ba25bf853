import type { MessageDescriptor } from "@resilient-mq/core"
import type { Reader, Writer } from "./Codec.ts"

/** An MQMD version 2 as the C ABI lays it out on x86-64 Linux (cmqc.h `struct tagMQMD`). */
export const MQMD_LENGTH = 364

/** Every field of an MQMD, with any persistence (a request may carry AS_Q_DEF, or a wrong value). */
export type DescriptorFields = Omit<MessageDescriptor, "persistence"> & { readonly persistence: number }

/** A descriptor as it arrives: its fields, and the structure's id and version. */
export type WireDescriptor = DescriptorFields & {
  readonly strucId: string
  readonly version: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const BLANK = 0x20

// MQCHAR fields are blank-padded; trailing blanks and NULs are not part of the value.
const writeChars = (w: Writer, value: string, length: number): void => {
  const field = new Uint8Array(length).fill(BLANK)
  field.set(encoder.encode(value).subarray(0, length))
  w.raw(field)
}

const readChars = (r: Reader, length: number): string => {
  const field = r.raw(length)
  let end = length
  while (end > 0 && (field[end - 1] === BLANK || field[end - 1] === 0)) end--
  return decoder.decode(field.subarray(0, end))
}

const writeBytes = (w: Writer, value: Uint8Array, length: number): void => {
  const field = new Uint8Array(length)
  field.set(value.subarray(0, length))
  w.raw(field)
}

export const writeDescriptor = (w: Writer, d: DescriptorFields): void => {
  writeChars(w, "MD", 4)
  w.i32(2)
  w.i32(d.report).i32(d.msgType).i32(d.expiry).i32(d.feedback).i32(d.encoding).i32(d.codedCharSetId)
  writeChars(w, d.format, 8)
  w.i32(d.priority).i32(d.persistence)
  writeBytes(w, d.msgId, 24)
  writeBytes(w, d.correlId, 24)
  w.i32(d.backoutCount)
  writeChars(w, d.replyToQ, 48)
  writeChars(w, d.replyToQMgr, 48)
  writeChars(w, d.userIdentifier, 12)
  writeBytes(w, d.accountingToken, 32)
  writeChars(w, d.applIdentityData, 32)
  w.i32(d.putApplType)
  writeChars(w, d.putApplName, 28)
  writeChars(w, d.putDate, 8)
  writeChars(w, d.putTime, 8)
  writeChars(w, d.applOriginData, 4)
  writeBytes(w, d.groupId, 24)
  w.i32(d.msgSeqNumber).i32(d.offset).i32(d.msgFlags).i32(d.originalLength)
}

export const readDescriptor = (r: Reader): WireDescriptor => ({
  strucId: readChars(r, 4),
  version: r.i32(),
  report: r.i32(),
  msgType: r.i32(),
  expiry: r.i32(),
  feedback: r.i32(),
  encoding: r.i32(),
  codedCharSetId: r.i32(),
  format: readChars(r, 8),
  priority: r.i32(),
  persistence: r.i32(),
  msgId: r.raw(24),
  correlId: r.raw(24),
  backoutCount: r.i32(),
  replyToQ: readChars(r, 48),
  replyToQMgr: readChars(r, 48),
  userIdentifier: readChars(r, 12),
  accountingToken: r.raw(32),
  applIdentityData: readChars(r, 32),
  putApplType: r.i32(),
  putApplName: readChars(r, 28),
  putDate: readChars(r, 8),
  putTime: readChars(r, 8),
  applOriginData: readChars(r, 4),
  groupId: r.raw(24),
  msgSeqNumber: r.i32(),
  offset: r.i32(),
  msgFlags: r.i32(),
  originalLength: r.i32()
})
