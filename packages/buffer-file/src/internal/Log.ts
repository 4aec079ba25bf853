import type { DeadLetter, Envelope, Removed, Stored } from "@resilient-mq/buffer"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Repair } from "../FileBufferStore.ts"
import { MalformedRecord, Reader, Writer } from "./bytes.ts"
import { checksumMatches, HEADER_BYTES, plausibleLength } from "./Frame.ts"
import { DestinationQueue, SegmentIndex } from "./RecordIndex.ts"
import {
  decodeDeadLetter,
  decodeEnvelope,
  decodeStored,
  envelopeAcceptedAt,
  forEachAcknowledged,
  type Location,
  quarantinedLocation,
  summarizeEnvelope,
  writeAcknowledged,
  writeDeadLetter,
  writeQuarantined
} from "./Records.ts"
import { readFully, scan } from "./Scanner.ts"

/**
 * The folder's files and the in-memory index over them, with synchronous operations that throw
 * `node:fs` errors. The fsyncs of appends, acknowledgements and dead letters are left to the
 * callers (`GroupCommit`, `FileBufferStore`), which choose where to wait for them; the rest
 * (writes into the page cache, reads, the rare file creation, rename and deletion) is synchronous,
 * so that each operation on the index is atomic with respect to the others.
 *
 * Files:
 * - `segment-NNNNNNNNNN.log`: envelope frames, appended; a new segment at every open and whenever
 *   the next write would pass `segmentBytes`. The highest-numbered one is written; it is never
 *   deleted, so segment numbers (and with them envelope ids) are never reused.
 * - `acks.log`: acknowledgement frames, appended; rewritten (new file, fsync, rename) when mostly
 *   about deleted segments.
 * - `dead-letters.log`: dead-letter frames, appended, kept for good.
 * - `quarantine.log`: damaged bytes found in segments, with where they were.
 */

const SEGMENT_NAME = /^segment-(\d{10})\.log$/
const segmentName = (n: number): string => `segment-${n.toString().padStart(10, "0")}.log`
const ACKS = "acks.log"
const ACKS_REWRITE = "acks.log.new"
const DEAD_LETTERS = "dead-letters.log"
const QUARANTINE = "quarantine.log"

/** A frame header, the type byte and `acceptedAt`: what `depth` reads of a queue's head. */
const ENVELOPE_PREFIX_BYTES = HEADER_BYTES + 1 + 8
/** Contiguous records read in one `pread` by `take`, at most (a single larger record is read alone). */
const READ_RUN_BYTES = 4 * 1024 * 1024
/** Damaged bytes copied into one quarantine frame, at most. */
const QUARANTINE_CHUNK_BYTES = 16 * 1024 * 1024
/** The acknowledgement log is rewritten once it is this large and mostly about deleted segments. */
const ACKS_REWRITE_BYTES = 1024 * 1024

const FILE_MODE = 0o600
const { O_APPEND, O_CREAT, O_EXCL, O_RDWR, O_TRUNC, O_WRONLY } = fs.constants

/**
 * Envelope frames encoded back to back for one group commit: frame k is `lengths[k]` bytes long and
 * holds `envelopes[k]`.
 */
export interface EncodedBatch {
  readonly bytes: Uint8Array
  readonly lengths: ReadonlyArray<number>
  readonly envelopes: ReadonlyArray<Pick<Envelope, "destination" | "body">>
}

/** Frames `[from, from + count)` of a batch, written at `position` of `segment`. */
export interface Written {
  readonly segment: SegmentIndex
  readonly from: number
  readonly count: number
  readonly position: number
  /** Their total length. */
  readonly bytes: number
}

/** A record of the index: its segment and its index there. */
export interface Ref {
  readonly segment: SegmentIndex
  readonly index: number
}

export interface LogCounters {
  appends: number
  commits: number
  fsyncs: number
  quarantined: number
}

const formatId = (location: Location): string => `${location.segment}.${location.offset}`

/** The location an id names: two runs of 1 to 10 digits around a dot (no regular expression: one per acknowledged message). */
const parseId = (id: string): Location | undefined => {
  const dot = id.indexOf(".")
  const segment = digits(id, 0, dot)
  const offset = digits(id, dot + 1, id.length)
  return segment < 0 || offset < 0 ? undefined : { segment, offset }
}

/** The number written in `text[start, end)` if that is 1 to 10 decimal digits, else -1. */
const digits = (text: string, start: number, end: number): number => {
  if (start < 0 || end - start < 1 || end - start > 10) return -1
  let value = 0
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

const damage = (file: string, offset: number, end: number, action: Repair["action"], reason: string): Repair => ({
  file,
  offset,
  bytes: end - offset,
  action,
  reason
})

export class Log {
  readonly segments = new Map<number, SegmentIndex>()
  private readonly destinations = new Map<string, DestinationQueue>()
  private readonly destinationsById: Array<DestinationQueue> = []
  /** The segment written; always the highest-numbered. Set by `recover`. */
  private active!: SegmentIndex
  private activeSize = 0
  /** While `recover` rebuilds the index: emptied segments are deleted at its end, with one directory sync. */
  private recovering = true
  /** Set after a failed fsync of the active segment, or a roll that failed: the next write starts a new segment. */
  private abandoned = false
  acksFd = -1
  private acksSize = 0
  deadLettersFd = -1
  private deadLettersSize = 0
  private quarantineFd = -1
  private readonly quarantinedAt = new Set<string>()
  /** Removed records in segments still on disk: what a rewritten acknowledgement log would hold. */
  private removedKept = 0
  readonly counters: LogCounters = { appends: 0, commits: 0, fsyncs: 0, quarantined: 0 }

  private readonly directory: string
  private readonly segmentBytes: number
  private readonly fsync: boolean
  private readonly now: () => number

  constructor(directory: string, segmentBytes: number, fsync: boolean, now: () => number) {
    this.directory = directory
    this.segmentBytes = segmentBytes
    this.fsync = fsync
    this.now = now
  }

  private file(name: string): string {
    return path.join(this.directory, name)
  }

  private openLog(name: string): number {
    return fs.openSync(this.file(name), O_CREAT | O_RDWR | O_APPEND, FILE_MODE)
  }

  /** `force`: a repair, made durable whatever `fsync` says. */
  private syncFile(fd: number, force = false): void {
    if (!this.fsync && !force) return
    fs.fdatasyncSync(fd)
    this.counters.fsyncs++
  }

  /** Makes creations, renames and deletions of files in the folder durable. */
  private syncDirectory(): void {
    const fd = fs.openSync(this.directory, "r")
    try {
      fs.fsyncSync(fd)
      this.counters.fsyncs++
    } finally {
      fs.closeSync(fd)
    }
  }

  /**
   * Opens the files of the folder and rebuilds the index: the segments found, the envelopes held and
   * what had to be repaired.
   */
  recover(): { readonly segments: number; readonly records: number; readonly repairs: Array<Repair> } {
    const repairs: Array<Repair> = []
    const numbers = fs.readdirSync(this.directory)
      .map((name) => SEGMENT_NAME.exec(name))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b)

    this.quarantineFd = this.openLog(QUARANTINE)
    this.scanLog(QUARANTINE, this.quarantineFd, repairs, (bytes, start, end) => {
      this.quarantinedAt.add(formatId(quarantinedLocation(bytes, start, end)))
    })

    const last = numbers.at(-1)
    for (const n of numbers) this.recoverSegment(n, n === last, repairs)

    this.acksFd = this.openLog(ACKS)
    this.acksSize = this.scanLog(ACKS, this.acksFd, repairs, (bytes, start, end) =>
      forEachAcknowledged(bytes, start, end, (segment, offset) => this.removeAt({ segment, offset })))
    this.deadLettersFd = this.openLog(DEAD_LETTERS)
    this.deadLettersSize = this.scanLog(DEAD_LETTERS, this.deadLettersFd, repairs, (bytes, start, end) => {
      this.removeAt(decodeDeadLetter(bytes, start, end).location)
    })

    for (const segment of [...this.segments.values()]) {
      if (segment.live === 0) this.deleteSegment(segment)
    }
    // Drops acknowledgements of deleted segments and damaged stretches, so the log starts small.
    if (this.acksSize > 0) this.rewriteAcknowledgements()
    this.startSegment((last ?? 0) + 1)
    this.syncDirectory()
    this.recovering = false
    const records = this.destinationsById.reduce((sum, queue) => sum + queue.messages, 0)
    return { segments: numbers.length, records, repairs }
  }

  /**
   * Frames of one of the logs, given to `each`; a torn tail is cut off, damage in the middle is
   * reported and skipped. Returns the log's size after repair.
   */
  private scanLog(
    name: string,
    fd: number,
    repairs: Array<Repair>,
    each: (bytes: Uint8Array, start: number, end: number) => void
  ): number {
    const size = fs.fstatSync(fd).size
    for (const item of scan(fd, size)) {
      if (item._tag === "Frame") {
        try {
          each(item.bytes, item.payloadStart, item.payloadEnd)
        } catch (error) {
          if (!(error instanceof MalformedRecord)) throw error
          repairs.push(damage(name, item.offset, item.offset + item.length, "skipped", error.message))
        }
      } else if (item.end === size) {
        fs.ftruncateSync(fd, item.offset)
        this.syncFile(fd, true)
        repairs.push(damage(name, item.offset, size, "truncated", "a torn or damaged record at the end"))
        return item.offset
      } else {
        repairs.push(damage(name, item.offset, item.end, "skipped", "damaged records in the middle"))
      }
    }
    return size
  }

  private recoverSegment(n: number, isLast: boolean, repairs: Array<Repair>): void {
    const name = segmentName(n)
    const fd = fs.openSync(this.file(name), O_RDWR)
    const segment = new SegmentIndex(n, name, fd)
    this.segments.set(n, segment)
    const size = fs.fstatSync(fd).size
    for (const item of scan(fd, size)) {
      if (item._tag === "Frame") {
        try {
          const summary = summarizeEnvelope(item.bytes, item.payloadStart, item.payloadEnd)
          this.index(segment, item.offset, item.length, summary)
        } catch (error) {
          if (!(error instanceof MalformedRecord)) throw error
          this.quarantine(segment, item.offset, item.offset + item.length, error.message)
          repairs.push(damage(name, item.offset, item.offset + item.length, "quarantined", error.message))
        }
      } else if (item.end === size && isLast) {
        // The tail of the segment written when the process stopped: a write that never returned.
        fs.ftruncateSync(fd, item.offset)
        this.syncFile(fd, true)
        repairs.push(damage(name, item.offset, size, "truncated", "a torn or damaged record at the end"))
      } else {
        const reason = "damaged records (bad magic number, length or checksum)"
        this.quarantine(segment, item.offset, item.end, reason)
        repairs.push(damage(name, item.offset, item.end, "quarantined", reason))
      }
    }
    segment.seal()
  }

  private destination(name: string): DestinationQueue {
    let queue = this.destinations.get(name)
    if (queue === undefined) {
      queue = new DestinationQueue(name, this.destinationsById.length)
      this.destinations.set(name, queue)
      this.destinationsById.push(queue)
    }
    return queue
  }

  private index(
    segment: SegmentIndex,
    offset: number,
    length: number,
    record: { readonly destination: string; readonly bodyBytes: number }
  ): void {
    const queue = this.destination(record.destination)
    const index = segment.add(offset, length, record.bodyBytes, queue.id)
    queue.push(segment.number, index)
    queue.messages++
    queue.bytes += record.bodyBytes
  }

  private startSegment(n: number): void {
    const name = segmentName(n)
    const fd = fs.openSync(this.file(name), O_CREAT | O_EXCL | O_RDWR, FILE_MODE)
    const segment = new SegmentIndex(n, name, fd)
    this.segments.set(n, segment)
    this.active = segment
    this.activeSize = 0
  }

  /**
   * Writes the frames `batch[from, ...)` that fit into the active segment, which start at
   * `batch.bytes[byteOffset]`, into the page cache: at least one, after starting a new segment if
   * the active one has records and the first would take it past `segmentBytes`. The caller makes
   * them durable (`fdatasync(segment.fd)`) and then calls `indexWritten`. A failed write is cut off
   * again, so that the segment holds whole frames only.
   */
  write(batch: EncodedBatch, from: number, byteOffset: number): Written {
    if (this.abandoned || (this.activeSize > 0 && this.activeSize + batch.lengths[from]! > this.segmentBytes)) {
      const sealed = this.active
      sealed.seal()
      // Until the new segment is in the folder for good, the next write starts another: records
      // made durable in a file whose directory entry is not would be lost with it.
      this.abandoned = true
      this.startSegment(sealed.number + 1)
      this.syncDirectory()
      this.abandoned = false
      if (sealed.live === 0) this.deleteSegment(sealed)
    }
    const position = this.activeSize
    let count = 0
    let bytes = 0
    while (from + count < batch.lengths.length) {
      const length = batch.lengths[from + count]!
      if (count > 0 && position + bytes + length > this.segmentBytes) break
      bytes += length
      count++
    }
    try {
      writeAll(this.active.fd, batch.bytes.subarray(byteOffset, byteOffset + bytes), position)
    } catch (error) {
      try {
        fs.ftruncateSync(this.active.fd, position)
      } catch {
        // Harmless if it fails: the next write starts at the same position and covers the partial
        // frame, and recovery cuts off whatever may stick out past the last whole frame.
      }
      throw error
    }
    this.activeSize = position + bytes
    this.counters.commits++
    return { segment: this.active, from, count, position, bytes }
  }

  /** Adds the records written by `write` (now durable) to the index; their ids. */
  indexWritten(batch: EncodedBatch, written: Written): Array<string> {
    const ids: Array<string> = []
    let offset = written.position
    for (let k = written.from; k < written.from + written.count; k++) {
      const envelope = batch.envelopes[k]!
      const length = batch.lengths[k]!
      this.index(written.segment, offset, length, { destination: envelope.destination, bodyBytes: envelope.body.length })
      ids.push(formatId({ segment: written.segment.number, offset }))
      offset += length
    }
    this.counters.appends += written.count
    return ids
  }

  noteFsync(): void {
    this.counters.fsyncs++
  }

  /**
   * After a failed fsync the kernel may have dropped the pages it could not write and marked them
   * clean, so a later fsync of the same file proves nothing about them: the next write goes to a
   * new segment. The records of the failed commit were never indexed (their appends failed); if they
   * did reach the disk, recovery will deliver them, which at-least-once allows.
   */
  abandonActive(): void {
    this.abandoned = true
  }

  private lookup(location: Location): Ref | undefined {
    const segment = this.segments.get(location.segment)
    if (segment === undefined) return undefined
    const index = segment.find(location.offset)
    return index < 0 ? undefined : { segment, index }
  }

  /** The records still held among `ids`, once each; unknown and malformed ids are left out. */
  resolve(ids: ReadonlyArray<string>): Array<Ref> {
    const refs: Array<Ref> = []
    for (const id of new Set(ids)) {
      const location = parseId(id)
      const ref = location === undefined ? undefined : this.lookup(location)
      if (ref !== undefined && !ref.segment.isRemoved(ref.index)) refs.push(ref)
    }
    return refs
  }

  /** Whether a record is no longer held (made once: `remove` runs once per acknowledged message). */
  private readonly isGone = (segment: number, index: number): boolean => this.segments.get(segment)?.isRemoved(index) ?? true

  private removeAt(location: Location): void {
    const ref = this.lookup(location)
    if (ref !== undefined) this.remove(ref)
  }

  /**
   * Forgets a record (in memory only); deletes its segment once it holds nothing and is not written.
   * The body bytes it took out of the depth, or -1 if it was already removed.
   */
  private remove(ref: Ref): number {
    const { segment, index } = ref
    if (!segment.remove(index)) return -1
    this.removedKept++
    const queue = this.destinationsById[segment.destination(index)]!
    queue.messages--
    queue.bytes -= segment.bodyBytes(index)
    queue.trim(this.isGone)
    const bytes = segment.bodyBytes(index)
    if (segment.live === 0 && !this.recovering && segment !== this.active) this.deleteSegment(segment)
    return bytes
  }

  private deleteSegment(segment: SegmentIndex): void {
    // Unlinked first: if that fails, the segment stays usable and recovery deletes it next time.
    fs.unlinkSync(this.file(segment.name))
    // On the thread pool: closing the last descriptor of an unlinked file frees its pages, which
    // takes milliseconds for a full segment; nothing waits for it (an error leaves nothing to do).
    fs.close(segment.fd, () => {})
    this.segments.delete(segment.number)
    this.removedKept -= segment.count - segment.live
    if (!this.recovering) this.syncDirectory()
  }

  /** Appends acknowledgements of `refs` to the acknowledgement log (page cache; the caller syncs). */
  writeAcknowledged(refs: ReadonlyArray<Ref>): void {
    const writer = new Writer(16 + refs.length * 8)
    writeAcknowledged(writer, refs.map(({ segment, index }) => ({ segment: segment.number, offset: segment.offset(index) })))
    writeAll(this.acksFd, writer.written(), null)
    this.acksSize += writer.length
  }

  /** Forgets `refs` once their acknowledgement or dead letter is durable; what that took out of the depth. */
  removeAll(refs: ReadonlyArray<Ref>): Removed {
    let messages = 0
    let bytes = 0
    for (const ref of refs) {
      const removed = this.remove(ref)
      if (removed >= 0) {
        messages++
        bytes += removed
      }
    }
    const kept = this.removedKept * 8 + this.segments.size * (HEADER_BYTES + 5)
    if (this.acksSize > ACKS_REWRITE_BYTES && this.acksSize > 4 * kept) this.rewriteAcknowledgements()
    return { messages, bytes }
  }

  /** Replaces the acknowledgement log by one that lists only removed records of segments still on disk. */
  private rewriteAcknowledgements(): void {
    const locations: Array<Location> = []
    for (const segment of this.segments.values()) {
      for (const offset of segment.removedOffsets()) locations.push({ segment: segment.number, offset })
    }
    const writer = new Writer(16 + locations.length * 8)
    writeAcknowledged(writer, locations)
    const fd = fs.openSync(this.file(ACKS_REWRITE), O_CREAT | O_TRUNC | O_WRONLY, FILE_MODE)
    try {
      writeAll(fd, writer.written(), 0)
      this.syncFile(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(this.file(ACKS_REWRITE), this.file(ACKS))
    this.syncDirectory()
    if (this.acksFd >= 0) fs.closeSync(this.acksFd)
    this.acksFd = this.openLog(ACKS)
    this.acksSize = writer.length
  }

  /**
   * Reads the frames of `refs` (contiguous records in one read) and hands each good one to `each`
   * with its payload range. A record whose checksum no longer matches is quarantined and forgotten
   * in memory (recovery will skip it too) instead of blocking its destination.
   */
  private readFrames(
    refs: ReadonlyArray<Ref>,
    each: (ref: Ref, bytes: Uint8Array, start: number, end: number) => void
  ): void {
    let run = 0
    while (run < refs.length) {
      const first = refs[run]!
      const start = first.segment.offset(first.index)
      let end = start + first.segment.length(first.index)
      let next = run + 1
      while (next < refs.length) {
        const ref = refs[next]!
        const offset = ref.segment.offset(ref.index)
        const length = ref.segment.length(ref.index)
        if (ref.segment !== first.segment || offset !== end || end + length - start > READ_RUN_BYTES) break
        end += length
        next++
      }
      const buffer = new Uint8Array(end - start)
      if (readFully(first.segment.fd, buffer, buffer.length, start) !== buffer.length) {
        throw new Error(`${first.segment.name} ends before offset ${end}`)
      }
      for (let k = run; k < next; k++) {
        const ref = refs[k]!
        const at = ref.segment.offset(ref.index) - start
        const length = ref.segment.length(ref.index)
        const payload = length - HEADER_BYTES
        if (plausibleLength(buffer, at, length) === payload && checksumMatches(buffer, at, payload)) {
          each(ref, buffer, at + HEADER_BYTES, at + length)
        } else {
          this.quarantine(ref.segment, start + at, start + at + length, "checksum mismatch when read back")
          this.remove(ref)
        }
      }
      run = next
    }
  }

  /** The oldest `max` records of a destination still held, in append order. */
  take(destination: string, max: number): Array<Stored> {
    const queue = this.destinations.get(destination)
    if (queue === undefined || !(max >= 1)) return []
    const refs: Array<Ref> = []
    queue.forEach((number, index) => {
      const segment = this.segments.get(number)
      if (segment !== undefined && !segment.isRemoved(index)) refs.push({ segment, index })
      return refs.length < max
    })
    const stored: Array<Stored> = []
    // Each read is a buffer of its own holding just these records: their bodies are views of it.
    let read: Uint8Array | undefined
    let reader: Reader | undefined
    this.readFrames(refs, (ref, bytes, start, end) => {
      if (reader === undefined || bytes !== read) {
        read = bytes
        reader = new Reader(bytes, start, end, true)
      }
      const id = formatId({ segment: ref.segment.number, offset: ref.segment.offset(ref.index) })
      stored.push(decodeStored(reader.within(start, end), id, queue.name))
    })
    return stored
  }

  /**
   * Appends dead-letter frames for `refs` to the dead-letter log (page cache; the caller syncs);
   * the records that could be read, which the caller removes once the log is durable.
   */
  writeDeadLetters(refs: ReadonlyArray<Ref>, reason: string, deadLetteredAt: number): Array<Ref> {
    const writer = new Writer()
    const written: Array<Ref> = []
    this.readFrames(refs, (ref, bytes, start, end) => {
      const location = { segment: ref.segment.number, offset: ref.segment.offset(ref.index) }
      writeDeadLetter(writer, location, reason, deadLetteredAt, bytes.subarray(start, end))
      written.push(ref)
    })
    if (writer.length > 0) {
      writeAll(this.deadLettersFd, writer.written(), null)
      this.deadLettersSize += writer.length
    }
    return written
  }

  /** Every dead letter kept, or a destination's, oldest first. */
  deadLetters(destination: string | undefined): Array<DeadLetter> {
    const letters: Array<DeadLetter> = []
    for (const item of scan(this.deadLettersFd, this.deadLettersSize)) {
      if (item._tag !== "Frame") continue
      const letter = decodeDeadLetter(item.bytes, item.payloadStart, item.payloadEnd)
      const envelope: Envelope = decodeEnvelope(item.bytes, letter.envelopeStart, item.payloadEnd)
      if (destination !== undefined && envelope.destination !== destination) continue
      letters.push({
        id: formatId(letter.location),
        ...envelope,
        reason: letter.reason,
        deadLetteredAt: letter.deadLetteredAt
      })
    }
    return letters
  }

  /** Copies damaged bytes `[offset, end)` of a segment into the quarantine log, once. */
  private quarantine(segment: SegmentIndex, offset: number, end: number, reason: string): void {
    const key = formatId({ segment: segment.number, offset })
    if (this.quarantinedAt.has(key)) return
    const at = this.now()
    for (let from = offset; from < end; from += QUARANTINE_CHUNK_BYTES) {
      const chunk = new Uint8Array(Math.min(QUARANTINE_CHUNK_BYTES, end - from))
      const read = readFully(segment.fd, chunk, chunk.length, from)
      const writer = new Writer(read + 256)
      writeQuarantined(writer, { segment: segment.number, offset: from }, reason, at, chunk.subarray(0, read))
      writeAll(this.quarantineFd, writer.written(), null)
    }
    this.syncFile(this.quarantineFd, true)
    this.counters.quarantined++
    this.quarantinedAt.add(key)
  }

  depth(destination: string | undefined): { messages: number; bytes: number; oldestAcceptedAt: number | undefined } {
    const queues = destination === undefined
      ? this.destinationsById
      : [this.destinations.get(destination)].filter((queue) => queue !== undefined)
    let messages = 0
    let bytes = 0
    let oldestAcceptedAt: number | undefined
    for (const queue of queues) {
      if (queue.messages === 0) continue
      messages += queue.messages
      bytes += queue.bytes
      const acceptedAt = this.headAcceptedAt(queue)
      if (oldestAcceptedAt === undefined || acceptedAt < oldestAcceptedAt) oldestAcceptedAt = acceptedAt
    }
    return { messages, bytes, oldestAcceptedAt }
  }

  /**
   * `acceptedAt` of a non-empty queue's head (its oldest record: the producer stamps envelopes in
   * append order). The index does not keep it (8 bytes a record); it is read from the record's
   * first bytes when the head has changed since the last time.
   */
  private headAcceptedAt(queue: DestinationQueue): number {
    const [segmentNumber, index] = queue.first()!
    const cached = queue.head
    if (cached !== undefined && cached.segment === segmentNumber && cached.index === index) return cached.acceptedAt
    const segment = this.segments.get(segmentNumber)!
    const bytes = new Uint8Array(ENVELOPE_PREFIX_BYTES)
    if (readFully(segment.fd, bytes, bytes.length, segment.offset(index)) !== bytes.length) {
      throw new Error(`${segment.name} ends before offset ${segment.offset(index) + bytes.length}`)
    }
    const acceptedAt = envelopeAcceptedAt(bytes, HEADER_BYTES, bytes.length)
    queue.head = { segment: segmentNumber, index, acceptedAt }
    return acceptedAt
  }

  /** Bytes of memory the index holds (typed arrays only). */
  indexBytes(): number {
    let bytes = 0
    for (const segment of this.segments.values()) bytes += segment.memoryBytes
    for (const queue of this.destinationsById) bytes += queue.memoryBytes
    return bytes
  }

  destinationNames(): Array<string> {
    return this.destinationsById.filter((queue) => queue.messages > 0).map((queue) => queue.name)
  }

  /** Closes every file; the index is not to be used afterwards. */
  close(): void {
    for (const segment of this.segments.values()) fs.closeSync(segment.fd)
    this.segments.clear()
    for (const fd of [this.acksFd, this.deadLettersFd, this.quarantineFd]) if (fd >= 0) fs.closeSync(fd)
    this.acksFd = -1
    this.deadLettersFd = -1
    this.quarantineFd = -1
  }
}

/** Writes all of `bytes` at `position` (`null`: at the end of an `O_APPEND` file), continuing after short writes. */
const writeAll = (fd: number, bytes: Uint8Array, position: number | null): void => {
  let written = 0
  while (written < bytes.length) {
    written += fs.writeSync(fd, bytes, written, bytes.length - written, position === null ? null : position + written)
  }
}
