/**
 * The in-memory index of the records a store holds: no bodies, not even their `acceptedAt`, only
 * where each record is. Kept in typed arrays so that memory stays flat however many messages are
 * buffered:
 *
 * - per record, in its segment: offset, frame length, body bytes, destination (its top bit: removed),
 *   four u32 = 16 bytes;
 * - per record, in its destination's queue: segment number and index in the segment, two u32 = 8 bytes.
 *
 * 24 bytes a record: 1,000,000 buffered records take 24 MB. The arrays grow in chunks of 4096
 * records, so a large index is never copied into an array twice its size, and a sealed segment
 * gives back the unused end of its last chunk.
 */

/** Bytes the index holds per record (see above): asserted by the tests. */
export const INDEX_BYTES_PER_RECORD = 16 + 8

const CHUNK_RECORDS = 4096
const FIRST_CHUNK_RECORDS = 16

/**
 * Records of `width` u32 fields, numbered from 0 (plain numbers, not u32: a queue's numbers count
 * every record that ever went through it), appended at the end and dropped from the front.
 * Chunk k holds records `[k * 4096, (k + 1) * 4096)`; a lone first chunk starts small and doubles
 * up to 4096 records, so that thousands of small segments or queues stay small.
 */
class ChunkedRecords {
  private readonly width: number
  private chunks: Array<Uint32Array | undefined> = []
  /** Records appended so far, including those dropped from the front. */
  end = 0
  /** Chunks before this one have been dropped. */
  private firstChunk = 0

  constructor(width: number) {
    this.width = width
  }

  /** Bytes of the chunks held. */
  get bytes(): number {
    let bytes = 0
    for (let k = this.firstChunk; k < this.chunks.length; k++) bytes += this.chunks[k]?.byteLength ?? 0
    return bytes
  }

  /** Appends a record; its number. Its fields are then set with `set`. */
  push(): number {
    const n = this.end
    const chunk = Math.floor(n / CHUNK_RECORDS)
    const at = n % CHUNK_RECORDS
    const current = this.chunks[chunk]
    if (current === undefined) {
      this.chunks[chunk] = new Uint32Array(this.width * (chunk === 0 ? FIRST_CHUNK_RECORDS : CHUNK_RECORDS))
    } else if (at * this.width >= current.length) {
      const grown = new Uint32Array(Math.min(current.length * 2, this.width * CHUNK_RECORDS))
      grown.set(current)
      this.chunks[chunk] = grown
    }
    this.end = n + 1
    return n
  }

  get(n: number, field: number): number {
    return this.chunks[Math.floor(n / CHUNK_RECORDS)]![(n % CHUNK_RECORDS) * this.width + field]!
  }

  set(n: number, field: number, value: number): void {
    this.chunks[Math.floor(n / CHUNK_RECORDS)]![(n % CHUNK_RECORDS) * this.width + field] = value
  }

  /** Gives back the unused end of the last chunk: nothing will be appended. */
  trim(): void {
    const chunk = Math.floor((this.end - 1) / CHUNK_RECORDS)
    const last = this.chunks[chunk]
    const used = ((this.end - 1) % CHUNK_RECORDS) + 1
    if (last !== undefined && last.length > used * this.width) this.chunks[chunk] = last.slice(0, used * this.width)
  }

  /**
   * Frees the chunks that hold only records before `n`. Their slots in the chunk array stay (8 bytes
   * per 4096 records that went through), which is what keeps record numbers stable.
   */
  dropBefore(n: number): void {
    const chunk = Math.floor(n / CHUNK_RECORDS)
    while (this.firstChunk < chunk) this.chunks[this.firstChunk++] = undefined
  }
}

const OFFSET = 0
const LENGTH = 1
const BODY_BYTES = 2
const DESTINATION = 3
const REMOVED = 0x80000000
const DESTINATION_MASK = 0x7fffffff

/** A segment's records, in file order, and which of them are still held. */
export class SegmentIndex {
  private readonly records = new ChunkedRecords(4)
  /** Records neither acknowledged nor dead-lettered. */
  live = 0

  readonly number: number
  readonly name: string
  readonly fd: number

  constructor(number: number, name: string, fd: number) {
    this.number = number
    this.name = name
    this.fd = fd
  }

  get count(): number {
    return this.records.end
  }

  /** Bytes of memory the segment's index holds. */
  get memoryBytes(): number {
    return this.records.bytes
  }

  /** Records a record at the end of the segment; its index. */
  add(offset: number, length: number, bodyBytes: number, destination: number): number {
    const index = this.records.push()
    this.records.set(index, OFFSET, offset)
    this.records.set(index, LENGTH, length)
    this.records.set(index, BODY_BYTES, bodyBytes)
    this.records.set(index, DESTINATION, destination)
    this.live++
    return index
  }

  /** The index of the record at `offset`, or -1. Offsets are increasing: a binary search. */
  find(offset: number): number {
    let low = 0
    let high = this.count - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const at = this.offset(middle)
      if (at === offset) return middle
      if (at < offset) low = middle + 1
      else high = middle - 1
    }
    return -1
  }

  /** Gives back unused memory once no record will be added (the segment is no longer written). */
  seal(): void {
    if (this.count > 0) this.records.trim()
  }

  offset(index: number): number {
    return this.records.get(index, OFFSET)
  }

  length(index: number): number {
    return this.records.get(index, LENGTH)
  }

  bodyBytes(index: number): number {
    return this.records.get(index, BODY_BYTES)
  }

  destination(index: number): number {
    return (this.records.get(index, DESTINATION) & DESTINATION_MASK) >>> 0
  }

  isRemoved(index: number): boolean {
    return (this.records.get(index, DESTINATION) & REMOVED) !== 0
  }

  /** Marks a record removed; false if it already was. */
  remove(index: number): boolean {
    const destination = this.records.get(index, DESTINATION)
    if ((destination & REMOVED) !== 0) return false
    this.records.set(index, DESTINATION, (destination | REMOVED) >>> 0)
    this.live--
    return true
  }

  /** Offsets of the removed records, for rewriting the acknowledgement log. */
  removedOffsets(): Array<number> {
    const offsets: Array<number> = []
    for (let i = 0; i < this.count; i++) if (this.isRemoved(i)) offsets.push(this.offset(i))
    return offsets
  }
}

/**
 * A destination's records in append order, as (segment number, index in segment) references.
 * Removed records are skipped when read and dropped once they reach the head.
 */
export class DestinationQueue {
  messages = 0
  bytes = 0
  /** The head record's `acceptedAt`, read from disk when the head changes (see `Log.depth`). */
  head: { readonly segment: number; readonly index: number; readonly acceptedAt: number } | undefined
  private readonly refs = new ChunkedRecords(2)
  private start = 0

  readonly name: string
  readonly id: number

  constructor(name: string, id: number) {
    this.name = name
    this.id = id
  }

  /** Bytes of memory the queue holds. */
  get memoryBytes(): number {
    return this.refs.bytes
  }

  push(segment: number, index: number): void {
    const n = this.refs.push()
    this.refs.set(n, 0, segment)
    this.refs.set(n, 1, index)
  }

  /** Calls `each` with the queued references from the head until it returns false. */
  forEach(each: (segment: number, index: number) => boolean): void {
    for (let n = this.start; n < this.refs.end; n++) {
      if (!each(this.refs.get(n, 0), this.refs.get(n, 1))) return
    }
  }

  /** Drops references at the head while `isRemoved` says so, freeing the chunks left behind. */
  trim(isRemoved: (segment: number, index: number) => boolean): void {
    const before = this.start
    while (this.start < this.refs.end && isRemoved(this.refs.get(this.start, 0), this.refs.get(this.start, 1))) {
      this.start++
    }
    if (this.start !== before) this.refs.dropBefore(this.start)
  }

  /** The reference at the head (trim first to skip removed ones), or undefined when empty. */
  first(): readonly [segment: number, index: number] | undefined {
    if (this.start === this.refs.end) return undefined
    return [this.refs.get(this.start, 0), this.refs.get(this.start, 1)]
  }
}
