import { Format, type Message } from "@resilient-mq/core"

/**
 * The dead-letter header (MQDLH, version 1) in front of a message on a dead-letter queue: why it is
 * there, where it was going, and the encoding, character set and format of the data behind it.
 * Strings carry no trailing blanks.
 */
export interface DeadLetterHeader {
  /** The reason code: the guard uses 2362, MQRC_BACKOUT_THRESHOLD_REACHED. */
  readonly reason: number
  readonly destQName: string
  readonly destQMgrName: string
  /** Encoding, character set and format of the message data after the header. */
  readonly encoding: number
  readonly codedCharSetId: number
  readonly format: string
  /** Who put it on the dead-letter queue, and when (GMT, `YYYYMMDD` and `HHMMSSTH`). */
  readonly putApplType: number
  readonly putApplName: string
  readonly putDate: string
  readonly putTime: string
}

/** `MQDLH_LENGTH_1`. */
export const DEAD_LETTER_HEADER_LENGTH = 172

/** `MQENC_NATIVE` on Linux and Windows (x86 and ARM): integers little-endian. */
export const ENCODING_NATIVE = 546

// MQENC_INTEGER_MASK and MQENC_INTEGER_REVERSED: whether the header's integers are little-endian.
const littleEndian = (encoding: number): boolean => (encoding & 0x0f) === 2

// Offsets of the MQDLH fields (cmqc.h).
const layout = {
  strucId: [0, 4],
  version: [4, 4],
  reason: [8, 4],
  destQName: [12, 48],
  destQMgrName: [60, 48],
  encoding: [108, 4],
  codedCharSetId: [112, 4],
  format: [116, 8],
  putApplType: [124, 4],
  putApplName: [128, 28],
  putDate: [156, 8],
  putTime: [164, 8]
} as const

type TextField = "destQName" | "destQMgrName" | "format" | "putApplName" | "putDate" | "putTime"
type IntField = "reason" | "encoding" | "codedCharSetId" | "putApplType"

const textFields: ReadonlyArray<TextField> = ["destQName", "destQMgrName", "format", "putApplName", "putDate", "putTime"]
const intFields: ReadonlyArray<IntField> = ["reason", "encoding", "codedCharSetId", "putApplType"]

/** The header as bytes, its integers in `encoding` and its strings blank-padded (they are ASCII names). */
export const encodeDeadLetterHeader = (header: DeadLetterHeader, encoding: number = ENCODING_NATIVE): Uint8Array => {
  const bytes = new Uint8Array(DEAD_LETTER_HEADER_LENGTH).fill(0x20)
  const view = new DataView(bytes.buffer)
  const little = littleEndian(encoding)
  const text = (offset: number, length: number, value: string) => {
    for (let i = 0; i < length; i++) bytes[offset + i] = i < value.length ? value.charCodeAt(i) & 0xff : 0x20
  }
  text(layout.strucId[0], layout.strucId[1], "DLH ")
  view.setInt32(layout.version[0], 1, little)
  for (const field of intFields) view.setInt32(layout[field][0], header[field], little)
  for (const field of textFields) text(layout[field][0], layout[field][1], header[field])
  return bytes
}

/**
 * Reads the dead-letter header of a message from a dead-letter queue (its format is `MQDEAD`) and
 * returns it with the original message data; `undefined` when the message has no such header.
 */
export const decodeDeadLetterHeader = (
  message: Message
): { readonly header: DeadLetterHeader; readonly body: Uint8Array } | undefined => {
  const bytes = message.body
  if (message.descriptor.format !== Format.DEAD_LETTER_HEADER || bytes.length < DEAD_LETTER_HEADER_LENGTH) return undefined
  const text = (offset: number, length: number) =>
    String.fromCharCode(...bytes.subarray(offset, offset + length)).replace(/[ \0]+$/, "")
  if (text(layout.strucId[0], layout.strucId[1]) !== "DLH") return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const little = littleEndian(message.descriptor.encoding)
  const int = (field: IntField) => view.getInt32(layout[field][0], little)
  const str = (field: TextField) => text(layout[field][0], layout[field][1])
  return {
    header: {
      reason: int("reason"),
      destQName: str("destQName"),
      destQMgrName: str("destQMgrName"),
      encoding: int("encoding"),
      codedCharSetId: int("codedCharSetId"),
      format: str("format"),
      putApplType: int("putApplType"),
      putApplName: str("putApplName"),
      putDate: str("putDate"),
      putTime: str("putTime")
    },
    body: bytes.subarray(DEAD_LETTER_HEADER_LENGTH)
  }
}
