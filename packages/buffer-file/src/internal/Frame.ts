import type { Writer } from "./bytes.ts"
import { crc32c } from "./crc32c.ts"

/**
 * Every file of the store is a sequence of frames:
 *
 * ```
 * offset 0  magic    u32 LE  0x514d52d5, bytes D5 52 4D 51 ("\xD5RMQ")
 * offset 4  crc      u32 LE  CRC-32C of bytes [8, 12 + length): the length field and the payload
 * offset 8  length   u32 LE  payload bytes, at least 1
 * offset 12 payload  its first byte is the record type
 * ```
 *
 * The magic lets recovery find the next frame after a damaged one; the checksum covers the length
 * so that a damaged length is caught instead of sending the reader astray. The magic's first byte
 * is not ASCII, so text in message bodies rarely starts a false candidate.
 */
const MAGIC = 0x514d52d5
export const MAGIC_FIRST_BYTE = 0xd5
export const HEADER_BYTES = 12

/**
 * The largest payload accepted: MQ's own maximum message length is 100 MiB, so 1 GiB leaves room for
 * properties while keeping every offset and length inside a `u32` (segments are at most 1 GiB too).
 */
export const MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024

/** Fills in the header of the frame `bytes[start, end)`, whose payload was written after `HEADER_BYTES` left free. */
const seal = (bytes: Uint8Array, start: number, end: number): void => {
  setU32(bytes, start, MAGIC)
  setU32(bytes, start + 8, end - start - HEADER_BYTES)
  setU32(bytes, start + 4, crc32c(bytes, start + 8, end))
}

// Header fields are read and written in place, without a `DataView` per frame: `take` checks
// thousands of frames a second.
const u32At = (bytes: Uint8Array, at: number): number =>
  (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0

const setU32 = (bytes: Uint8Array, at: number, value: number): void => {
  bytes[at] = value & 0xff
  bytes[at + 1] = (value >>> 8) & 0xff
  bytes[at + 2] = (value >>> 16) & 0xff
  bytes[at + 3] = value >>> 24
}

/** Writes a frame into `writer`: the header is filled in once `payload` has written the rest. */
export const writeFrame = (writer: Writer, payload: () => void): void => {
  const start = writer.skip(HEADER_BYTES)
  payload()
  const length = writer.length - start - HEADER_BYTES
  if (length > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`a record of ${length} bytes is larger than the largest the store takes (${MAX_PAYLOAD_BYTES})`)
  }
  seal(writer.written(), start, writer.length)
}

/**
 * The payload length of the frame starting at `bytes[at]` if its header is plausible (magic, a length
 * that fits in `available` bytes), else -1. The checksum is checked separately, once the whole
 * frame is at hand.
 */
export const plausibleLength = (bytes: Uint8Array, at: number, available: number): number => {
  if (available < HEADER_BYTES || u32At(bytes, at) !== MAGIC) return -1
  const length = u32At(bytes, at + 8)
  return length >= 1 && length <= MAX_PAYLOAD_BYTES && HEADER_BYTES + length <= available ? length : -1
}

/** Whether the whole frame `bytes[at, at + HEADER_BYTES + length)` carries its checksum. */
export const checksumMatches = (bytes: Uint8Array, at: number, length: number): boolean => {
  return u32At(bytes, at + 4) === crc32c(bytes, at + 8, at + HEADER_BYTES + length)
}
