import { MalformedFrame, Reader, Writer } from "./Codec.ts"

// Frames of PROTOCOL.md: `u32 length` and a payload that starts with `u8 kind` and `u32 id`.

export const FrameKind = { REQUEST: 1, RESPONSE: 2, CANCEL: 3 } as const

/** The ops of PROTOCOL.md: MQI ops below 100, control ops from 100. */
export const Op = {
  CONNECT: 1,
  DISCONNECT: 2,
  OPEN: 3,
  CLOSE: 4,
  PUT: 5,
  PUT1: 6,
  GET: 7,
  BEGIN: 8,
  COMMIT: 9,
  BACKOUT: 10,
  SUBSCRIBE: 11,
  INQUIRE: 12,
  SET: 13,
  SUBSCRIPTION_REQUEST: 14,
  DEFINE_QUEUE: 100,
  DELETE_QUEUE: 101,
  DEFINE_TOPIC: 102,
  BREAK_CONNECTIONS: 103,
  STOP: 104,
  START: 105,
  RESTART: 106,
  FAIL_NEXT: 107,
  DELAY: 108,
  REFUSE_CONNECTIONS: 109,
  CLEAR_FAULTS: 110,
  STATUS: 111,
  BACK_OUT_UNITS_OF_WORK: 112,
  CONNECTIONS: 113,
  ADD_QUEUE_MANAGER: 114,
  SET_GROUP: 115,
  MOVE_CONNECTIONS: 116
} as const

/** The largest payload accepted: MQ's largest message (100 MB) with room for its descriptor. */
export const MAX_PAYLOAD = 128 * 1024 * 1024

/** A frame: the length, then what `write` puts in the payload. */
const frame = (write: (writer: Writer) => void): Uint8Array => {
  const writer = new Writer().u32(0)
  write(writer)
  writer.patchU32(0, writer.size - 4)
  return writer.finish()
}

export const requestFrame = (id: number, op: number, write: (writer: Writer) => void): Uint8Array =>
  frame((w) => write(w.u8(FrameKind.REQUEST).u32(id).u16(op)))

/** A response: `cc`, `rc` and, when given, the encoded results. */
export const responseFrame = (id: number, cc: number, rc: number, results?: Uint8Array): Uint8Array =>
  frame((w) => {
    w.u8(FrameKind.RESPONSE).u32(id).i32(cc).i32(rc)
    if (results !== undefined) w.raw(results)
  })

export const cancelFrame = (id: number): Uint8Array => frame((w) => w.u8(FrameKind.CANCEL).u32(id))

/** A payload's kind and id, and a reader positioned after them. */
export interface Header {
  readonly kind: number
  readonly id: number
  readonly reader: Reader
}

export const readHeader = (payload: Uint8Array): Header => {
  const reader = new Reader(payload)
  return { kind: reader.u8(), id: reader.u32(), reader }
}

/**
 * Cuts a byte stream into frame payloads. A length over `MAX_PAYLOAD` is a `MalformedFrame`: the
 * stream cannot be trusted after it. Chunks are kept as they come and joined once per frame, so a
 * large message arriving in many chunks is copied once.
 */
export class FrameDecoder {
  private chunks: Array<Uint8Array> = []
  private buffered = 0

  push(chunk: Uint8Array): Array<Uint8Array> {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const payloads: Array<Uint8Array> = []
    while (this.buffered >= 4) {
      const length = new DataView(this.peek(4).buffer).getUint32(0, true)
      if (length > MAX_PAYLOAD) throw new MalformedFrame(`a frame of ${length} bytes is over the limit`)
      if (this.buffered < 4 + length) break
      payloads.push(this.take(4 + length).subarray(4))
    }
    return payloads
  }

  /** The first `n` buffered bytes, copied. */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    for (const chunk of this.chunks) {
      if (filled === n) break
      const part = chunk.subarray(0, n - filled)
      out.set(part, filled)
      filled += part.length
    }
    return out
  }

  /** Removes the first `n` buffered bytes and returns a copy of them (the socket may reuse its chunks). */
  private take(n: number): Uint8Array {
    const out = this.peek(n)
    let left = n
    while (left > 0) {
      const first = this.chunks[0]!
      if (first.length <= left) {
        this.chunks.shift()
        left -= first.length
      } else {
        this.chunks[0] = first.subarray(left)
        left = 0
      }
    }
    this.buffered -= n
    return out
  }
}
