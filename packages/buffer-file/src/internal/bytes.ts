/**
 * Little-endian binary writing and reading for the record payloads. Web-standard `Uint8Array`,
 * `DataView` and `TextEncoder` only, so that the same code runs on Node and Deno.
 */

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })

/** A payload that does not have the shape its type byte announces. */
export class MalformedRecord extends Error {
  override readonly name = "MalformedRecord"
}

/** Appends values to a buffer of its own that grows by doubling; reusable after `reset`. */
export class Writer {
  private readonly initialBytes: number
  private bytes: Uint8Array
  private view: DataView
  length = 0

  constructor(initialBytes = 256) {
    this.initialBytes = initialBytes
    this.bytes = new Uint8Array(initialBytes)
    this.view = new DataView(this.bytes.buffer)
  }

  private ensure(more: number): void {
    const needed = this.length + more
    if (needed <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }

  u8(value: number): void {
    this.ensure(1)
    this.bytes[this.length++] = value
  }

  /** Overwrites a byte written before (a count known only afterwards). */
  setU8(at: number, value: number): void {
    this.bytes[at] = value
  }

  u32(value: number): void {
    this.ensure(4)
    this.view.setUint32(this.length, value, true)
    this.length += 4
  }

  f64(value: number): void {
    this.ensure(8)
    this.view.setFloat64(this.length, value, true)
    this.length += 8
  }

  /** Bytes as they are, without a length. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }

  /** Room for `count` bytes written later (a frame header); where they start. */
  skip(count: number): number {
    this.ensure(count)
    const at = this.length
    this.length += count
    return at
  }

  /** A length, then the bytes. */
  bytesField(bytes: Uint8Array): void {
    this.u32(bytes.length)
    this.raw(bytes)
  }

  /** A byte length, then UTF-8. */
  string(value: string): void {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    this.ensure(4 + value.length * 3)
    const { written } = encoder.encodeInto(value, this.bytes.subarray(this.length + 4))
    this.view.setUint32(this.length, written, true)
    this.length += 4 + written
  }

  /** The bytes written so far, as a view that the next write or `reset` invalidates. */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }

  /** Starts over, giving back memory a large batch made it take. */
  reset(): void {
    this.length = 0
    if (this.bytes.length > 64 * this.initialBytes) {
      this.bytes = new Uint8Array(this.initialBytes)
      this.view = new DataView(this.bytes.buffer)
    }
  }
}

/** Reads values from `bytes[position, end)`, failing with `MalformedRecord` past the end. */
export class Reader {
  private readonly bytes: Uint8Array
  private readonly view: DataView
  private end: number
  position: number

  /**
   * `owned`: `bytes` is a buffer of the caller's that nothing reuses, so byte fields can be views of
   * it instead of copies (one allocation for a whole read instead of one per field). Otherwise (a
   * scanner's window, reused for the next frames) they are copied.
   */
  private readonly owned: boolean

  constructor(bytes: Uint8Array, position: number, end: number, owned = false) {
    this.bytes = bytes
    this.position = position
    this.end = end
    this.owned = owned
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  private take(count: number): number {
    const at = this.position
    if (count < 0 || at + count > this.end) throw new MalformedRecord(`a field runs past the end of the record at ${at}`)
    this.position = at + count
    return at
  }

  get done(): boolean {
    return this.position === this.end
  }

  u8(): number {
    return this.bytes[this.take(1)]!
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true)
  }

  f64(): number {
    return this.view.getFloat64(this.take(8), true)
  }

  /** `count` bytes: a view of an owned buffer, else a copy. */
  raw(count: number): Uint8Array {
    const at = this.take(count)
    return this.owned ? this.bytes.subarray(at, at + count) : this.bytes.slice(at, at + count)
  }

  bytesField(): Uint8Array {
    return this.raw(this.u32())
  }

  string(): string {
    const length = this.u32()
    const at = this.take(length)
    return decoder.decode(this.bytes.subarray(at, at + length))
  }

  /** Passes over a string without decoding it. */
  skipString(): void {
    this.take(this.u32())
  }

  /**
   * Reads `bytes[position, end)` next: one reader (and one `DataView`) serves every record of a
   * buffer read in one go.
   */
  within(position: number, end: number): this {
    this.position = position
    this.end = end
    return this
  }
}
