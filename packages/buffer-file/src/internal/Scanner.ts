import * as fs from "node:fs"
import { checksumMatches, HEADER_BYTES, MAGIC_FIRST_BYTE, plausibleLength } from "./Frame.ts"

const WINDOW_BYTES = 1024 * 1024

/** Reads a file through one reusable window, so that scanning a segment holds one megabyte, not the segment. */
class FileWindow {
  private buffer = new Uint8Array(WINDOW_BYTES)
  private start = 0
  private filled = 0

  private readonly fd: number
  private readonly size: number

  constructor(fd: number, size: number) {
    this.fd = fd
    this.size = size
  }

  /**
   * `bytes[at, at + length)` of the file as a view whose offset `at` is `view.base`; valid until the
   * next call. Shorter than `length` only at the end of the file.
   */
  read(at: number, length: number): { readonly bytes: Uint8Array; readonly base: number } {
    const wanted = Math.min(length, this.size - at)
    if (at < this.start || at + wanted > this.start + this.filled) {
      if (wanted > this.buffer.length) this.buffer = new Uint8Array(wanted)
      else if (this.buffer.length > WINDOW_BYTES && wanted <= WINDOW_BYTES) this.buffer = new Uint8Array(WINDOW_BYTES)
      this.start = at
      this.filled = readFully(this.fd, this.buffer, Math.min(this.buffer.length, this.size - at), at)
    }
    return { bytes: this.buffer, base: at - this.start }
  }
}

/** Reads `length` bytes at `position` into `buffer[0, length)`, looping over short reads; the count read. */
export const readFully = (fd: number, buffer: Uint8Array, length: number, position: number): number => {
  let done = 0
  while (done < length) {
    const read = fs.readSync(fd, buffer, done, length - done, position + done)
    if (read === 0) break
    done += read
  }
  return done
}

/** What a scan finds, in file order. */
export type ScanItem =
  /** A whole frame with a good checksum: its payload is `bytes[payloadStart, payloadEnd)`, a view valid until the next item. */
  | {
    readonly _tag: "Frame"
    readonly offset: number
    readonly length: number
    readonly bytes: Uint8Array
    readonly payloadStart: number
    readonly payloadEnd: number
  }
  /** Bytes `[offset, end)` that hold no good frame; `end` is the file's size when no good frame follows. */
  | { readonly _tag: "Damaged"; readonly offset: number; readonly end: number }

/**
 * The frames of a file and the damaged stretches between them. After damage it resynchronises on
 * the next position that holds a magic number, a plausible length and a matching checksum.
 */
export function* scan(fd: number, size: number): Generator<ScanItem> {
  const window = new FileWindow(fd, size)
  let position = 0
  while (position < size) {
    const length = frameLengthAt(window, size, position)
    if (length >= 0) {
      const total = HEADER_BYTES + length
      const { bytes, base } = window.read(position, total)
      yield {
        _tag: "Frame",
        offset: position,
        length: total,
        bytes,
        payloadStart: base + HEADER_BYTES,
        payloadEnd: base + total
      }
      position += total
    } else {
      const next = nextFrame(window, size, position + 1)
      yield { _tag: "Damaged", offset: position, end: next }
      position = next
    }
  }
}

/** The payload length of a good frame at `position`, or -1. */
const frameLengthAt = (window: FileWindow, size: number, position: number): number => {
  const header = window.read(position, HEADER_BYTES)
  const length = plausibleLength(header.bytes, header.base, size - position)
  if (length < 0) return -1
  const frame = window.read(position, HEADER_BYTES + length)
  return checksumMatches(frame.bytes, frame.base, length) ? length : -1
}

/** The position of the first good frame at or after `from`, or the file's size. */
const nextFrame = (window: FileWindow, size: number, from: number): number => {
  let position = from
  while (position + HEADER_BYTES <= size) {
    const chunk = window.read(position, WINDOW_BYTES)
    const available = Math.min(WINDOW_BYTES, size - position)
    const found = chunk.bytes.subarray(chunk.base, chunk.base + available).indexOf(MAGIC_FIRST_BYTE)
    if (found < 0) {
      position += available
      continue
    }
    const candidate = position + found
    if (frameLengthAt(window, size, candidate) >= 0) return candidate
    position = candidate + 1
  }
  return size
}
