// The value encodings of PROTOCOL.md ("Values"): little-endian integers, length-prefixed strings
// and byte strings. The journal of `--data` uses the same encodings.

/** A frame or record whose fields cannot be read: too short, or a value out of range. */
export class MalformedFrame {
  constructor(readonly problem: string) {}
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Builds a payload field by field, growing as needed. */
export class Writer {
  private buffer = new Uint8Array(256)
  private view = new DataView(this.buffer.buffer)
  private length = 0

  // Callers take the offset first and then write: growing replaces the buffer and the view.
  private reserve(n: number): number {
    const at = this.length
    if (at + n > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, at + n))
      grown.set(this.buffer.subarray(0, at))
      this.buffer = grown
      this.view = new DataView(grown.buffer)
    }
    this.length = at + n
    return at
  }

  u8(value: number): this {
    const at = this.reserve(1)
    this.view.setUint8(at, value)
    return this
  }

  u16(value: number): this {
    const at = this.reserve(2)
    this.view.setUint16(at, value, true)
    return this
  }

  u32(value: number): this {
    const at = this.reserve(4)
    this.view.setUint32(at, value, true)
    return this
  }

  i32(value: number): this {
    const at = this.reserve(4)
    this.view.setInt32(at, value, true)
    return this
  }

  f64(value: number): this {
    const at = this.reserve(8)
    this.view.setFloat64(at, value, true)
    return this
  }

  i64(value: bigint): this {
    const at = this.reserve(8)
    this.view.setBigInt64(at, value, true)
    return this
  }

  /** Bytes as they are, without a length. */
  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length)
    this.buffer.set(bytes, at)
    return this
  }

  /** `bytes`: a u32 length and the bytes. */
  bytes(bytes: Uint8Array): this {
    return this.u32(bytes.length).raw(bytes)
  }

  /** `str`: a u32 length and the UTF-8 bytes. */
  str(value: string): this {
    return this.bytes(encoder.encode(value))
  }

  /** Overwrites a u32 written earlier at `offset` (a length known only at the end). */
  patchU32(offset: number, value: number): void {
    this.view.setUint32(offset, value, true)
  }

  get size(): number {
    return this.length
  }

  /** What was written; the writer must not be used afterwards. */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length)
  }
}

/** Reads a payload field by field; reading past its end is a `MalformedFrame`. */
export class Reader {
  private readonly view: DataView
  private offset = 0

  constructor(private readonly payload: Uint8Array) {
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  }

  private take(n: number): number {
    const at = this.offset
    if (n < 0 || at + n > this.payload.length) {
      throw new MalformedFrame(`needed ${n} bytes at offset ${at}, the payload has ${this.payload.length}`)
    }
    this.offset = at + n
    return at
  }

  u8(): number {
    return this.view.getUint8(this.take(1))
  }

  u16(): number {
    return this.view.getUint16(this.take(2), true)
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true)
  }

  i32(): number {
    return this.view.getInt32(this.take(4), true)
  }

  f64(): number {
    return this.view.getFloat64(this.take(8), true)
  }

  i64(): bigint {
    return this.view.getBigInt64(this.take(8), true)
  }

  f32(): number {
    return this.view.getFloat32(this.take(4), true)
  }

  i16(): number {
    return this.view.getInt16(this.take(2), true)
  }

  i8(): number {
    return this.view.getInt8(this.take(1))
  }

  /** `n` bytes, copied: the payload's buffer may be reused by the socket. */
  raw(n: number): Uint8Array {
    const at = this.take(n)
    return this.payload.slice(at, at + n)
  }

  bytes(): Uint8Array {
    return this.raw(this.u32())
  }

  str(): string {
    const n = this.u32()
    const at = this.take(n)
    return decoder.decode(this.payload.subarray(at, at + n))
  }
}
