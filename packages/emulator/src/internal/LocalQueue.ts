import { isExpired, type StoredMessage } from "./StoredMessage.ts"

/** A local queue's attributes; the inhibit and trigger ones change through MQSET. */
export interface LocalQueueAttributes {
  readonly maxDepth: number
  readonly maxMessageLength: number
  readonly defaultPersistent: boolean
  readonly defaultPriority: number
  readonly deliverySequence: "priority" | "fifo"
  readonly backoutThreshold: number
  readonly backoutQueue: string
  inhibitGet: boolean
  inhibitPut: boolean
  triggerControl: number
  triggerType: number
  triggerDepth: number
  triggerMsgPriority: number
  triggerData: string
}

/** A position in delivery order: what a browse cursor remembers. */
export interface Position {
  readonly rank: number
  readonly seq: number
}

/** A get waiting for a message on this queue. */
export interface Waiter {
  readonly browse: boolean
  /** Waiters asking for a specific MsgId/CorrelId/GroupId are served before general ones. */
  readonly specific: boolean
  /** Tries the get again; true when the call has completed (with a message or a failure). */
  readonly attempt: () => boolean
}

// One run of messages per delivery rank, in arrival order. Messages are only ever appended (a
// backed-out get never left its place), so removal marks them and compaction happens in bulk, when
// appending: never while a scan is going through the run. `head` is at or before the first
// available message, so that scans skip what units of work hold or removed.
class Run {
  items: Array<StoredMessage> = []
  private head = 0
  private removed = 0

  append(message: StoredMessage): void {
    if (this.removed > 32 && this.removed * 2 > this.items.length) {
      this.items = this.items.filter((m) => m.state !== "removed")
      this.head = 0
      this.removed = 0
    }
    this.items.push(message)
  }

  noteRemoved(): void {
    this.removed++
  }

  /** A message of this run became available again (committed put, backed-out get). */
  noteAvailable(message: StoredMessage): void {
    this.head = Math.min(this.head, this.indexAfter(message.seq - 1, 0))
  }

  /** Where a scan starts: the first available message, or (with `seq`) the first one after it. */
  start(seq?: number): number {
    while (this.head < this.items.length && this.items[this.head]!.state !== "available") this.head++
    return seq === undefined ? this.head : this.indexAfter(seq, this.head)
  }

  /** The index of the first message after `seq`, searching from `from`. */
  private indexAfter(seq: number, from: number): number {
    let lo = from
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.items[mid]!.seq <= seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

export type DefinitionType = "predefined" | "permanent" | "temporary"

/** What a queue tells its queue manager about committed messages (the journal of `--data` keeps them). */
export interface QueueEvents {
  /** A message was committed to the queue. */
  readonly stored: (queue: LocalQueue, message: StoredMessage) => void
  /** A committed message left the queue (got, expired, purged). */
  readonly removed: (message: StoredMessage) => void
  /** A message got in a unit of work came back, counted as backed out once more. */
  readonly backedOut: (message: StoredMessage) => void
}

export class LocalQueue {
  readonly kind = "local"
  private readonly runs: Array<Run>
  /** CurrentQDepth: available and put-pending messages, expired ones not yet discarded included. */
  depth = 0
  openInputCount = 0
  openOutputCount = 0
  exclusiveInput = false
  /** Logically deleted: its handles answer 2052 until they are closed. */
  deleted = false
  readonly waiters = new Set<Waiter>()

  constructor(
    readonly name: string,
    readonly attributes: LocalQueueAttributes,
    readonly definitionType: DefinitionType,
    readonly created: { readonly date: string; readonly time: string },
    private readonly events: QueueEvents
  ) {
    this.runs = Array.from({ length: attributes.deliverySequence === "priority" ? 10 : 1 }, () => new Run())
  }

  rankOf(priority: number): number {
    return this.runs.length === 1 ? 0 : 9 - Math.max(0, Math.min(9, priority))
  }

  /** Adds a message: available at once (committed), or put-pending until its unit of work ends. */
  add(message: StoredMessage): void {
    this.runs[message.rank]!.append(message)
    this.depth++
    if (message.state === "available") this.events.stored(this, message)
  }

  /** Takes an available message: removed at once, or hidden until its unit of work ends. */
  take(message: StoredMessage, inUnitOfWork: boolean): void {
    this.depth--
    if (inUnitOfWork) {
      message.state = "got-pending"
    } else {
      message.state = "removed"
      this.runs[message.rank]!.noteRemoved()
      this.events.removed(message)
    }
  }

  /** A committed put becomes available. */
  release(message: StoredMessage): void {
    if (message.state !== "put-pending") return
    message.state = "available"
    this.runs[message.rank]!.noteAvailable(message)
    this.events.stored(this, message)
  }

  /** A backed-out get: the message is available again, in its place, counted as backed out once more. */
  restore(message: StoredMessage): void {
    if (message.state !== "got-pending") return
    message.state = "available"
    message.backoutCount++
    this.depth++
    this.runs[message.rank]!.noteAvailable(message)
    this.events.backedOut(message)
  }

  /** Removes a message for good, whatever its state. */
  discard(message: StoredMessage): void {
    const was = message.state
    if (was === "removed") return
    if (was !== "got-pending") this.depth--
    message.state = "removed"
    this.runs[message.rank]!.noteRemoved()
    // A put-pending message was never committed, so there is nothing to tell.
    if (was !== "put-pending") this.events.removed(message)
  }

  /**
   * The first available message in delivery order (after `after`, when given) that `accept` takes.
   * Expired messages it would have returned are discarded on the way (MQ-BEHAVIOUR §4.5).
   */
  find(now: number, accept: (message: StoredMessage) => boolean, after?: Position): StoredMessage | undefined {
    for (let rank = after?.rank ?? 0; rank < this.runs.length; rank++) {
      const run = this.runs[rank]!
      const start = run.start(after !== undefined && rank === after.rank ? after.seq : undefined)
      for (let i = start; i < run.items.length; i++) {
        const message = run.items[i]!
        if (message.state !== "available" || !accept(message)) continue
        if (isExpired(message, now)) {
          this.discard(message)
          continue
        }
        return message
      }
    }
    return undefined
  }

  /** Every message still on the queue (in any state but removed), in delivery order. */
  *messages(): Generator<StoredMessage> {
    for (const run of this.runs) {
      for (let i = 0; i < run.items.length; i++) {
        const message = run.items[i]!
        if (message.state !== "removed") yield message
      }
    }
  }

  /** Whether any message is on the queue or in a unit of work (MQCLOSE with delete). */
  get hasUncommittedWork(): boolean {
    for (const message of this.messages()) {
      if (message.state === "put-pending" || message.state === "got-pending") return true
    }
    return false
  }

  /** Discards every message `which` selects that no unit of work holds. */
  purge(which: (message: StoredMessage) => boolean): void {
    for (const message of this.messages()) {
      if ((message.state === "available") && which(message)) this.discard(message)
    }
  }

  /** Lets waiting gets try again after messages became available. */
  serviceWaiters(): void {
    if (this.waiters.size === 0) return
    for (const waiter of this.waiters) {
      if (waiter.browse && waiter.attempt()) this.waiters.delete(waiter)
    }
    for (const specific of [true, false]) {
      for (const waiter of this.waiters) {
        if (!waiter.browse && waiter.specific === specific && waiter.attempt()) this.waiters.delete(waiter)
      }
    }
  }
}
