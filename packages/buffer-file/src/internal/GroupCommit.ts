import type { Envelope } from "@resilient-mq/buffer"
import * as fs from "node:fs"
import { Writer } from "./bytes.ts"
import type { Log, Written } from "./Log.ts"
import { writeEnvelope } from "./Records.ts"

export type Outcome = { readonly id: string } | { readonly error: unknown }

/** An append waiting for its commit, told the outcome once. */
export interface PendingAppend {
  readonly envelope: Envelope
  readonly done: (outcome: Outcome) => void
}

/** How a commit waits for the disk: see `FileStoreOptions.syncOnThreadPool`. */
export type SyncMode = "none" | "inline" | "thread-pool"

/**
 * The segment writer: group commit. Appends queue up; the writer takes everything queued, encodes
 * it back to back into one buffer, writes it with one `write`, makes it durable with one
 * `fdatasync`, then completes all of them; appends that arrived meanwhile form the next group.
 * Nothing waits for a timer: an append on an idle writer is written at the next turn of the event
 * loop (`setImmediate`), so that appends made in this turn (fibers resumed together by the
 * previous commit) share its commit. A turn, not a microtask: completing an append resumes its
 * fiber at once, which appends again, so commits chained through microtasks would never let the
 * event loop run timers or I/O while producers keep appending.
 *
 * Plain code, not fibers: hand-offs between fibers and a buffer allocated per record would cost more
 * than the write itself.
 */
export class GroupCommit {
  private queue: Array<PendingAppend> = []
  private scheduled = false
  private busy = false
  private closed = false
  private readonly idle: Array<() => void> = []
  // Reused by every commit: a commit's bytes are written before its appends are completed.
  private readonly buffer = new Writer(64 * 1024)

  private readonly log: Log
  private readonly sync: SyncMode

  constructor(log: Log, sync: SyncMode) {
    this.log = log
    this.sync = sync
  }

  /** Queues an append; false once the writer is closed. */
  enqueue(append: PendingAppend): boolean {
    if (this.closed) return false
    this.queue.push(append)
    this.schedule()
    return true
  }

  /** Stops taking appends; `then` runs once the commit in progress is done, with the appends left queued. */
  close(then: (left: ReadonlyArray<PendingAppend>) => void): void {
    this.closed = true
    const finish = () => {
      const left = this.queue
      this.queue = []
      then(left)
    }
    if (this.busy || this.scheduled) this.idle.push(finish)
    else finish()
  }

  private schedule(): void {
    if (this.scheduled || this.busy) return
    this.scheduled = true
    setImmediate(this.run)
  }

  private readonly run = (): void => {
    this.scheduled = false
    if (this.queue.length === 0) return this.settle()
    const queued = this.queue
    this.queue = []
    this.busy = true
    const outcomes: Array<Outcome> = new Array(queued.length)
    const accepted: Array<PendingAppend> = []
    const lengths: Array<number> = []
    const writer = this.buffer
    writer.reset()
    for (let k = 0; k < queued.length; k++) {
      const start = writer.length
      try {
        writeEnvelope(writer, queued[k]!.envelope)
        accepted.push(queued[k]!)
        lengths.push(writer.length - start)
      } catch (error) {
        writer.length = start
        outcomes[k] = { error }
      }
    }
    const batch = { bytes: writer.written(), lengths, envelopes: accepted.map((append) => append.envelope) }
    const ids: Array<Outcome> = []
    const complete = () => {
      // Only now: a completed append resumes its fiber at once, which may encode again.
      let next = 0
      for (let k = 0; k < queued.length; k++) queued[k]!.done(outcomes[k] ?? ids[next++]!)
      this.settle()
    }
    const commit = (from: number, byteOffset: number): void => {
      if (from >= accepted.length) return complete()
      let written: Written
      try {
        written = this.log.write(batch, from, byteOffset)
      } catch (error) {
        for (let k = from; k < accepted.length; k++) ids.push({ error })
        return complete()
      }
      const durable = (error: unknown): void => {
        if (error !== null) {
          this.log.abandonActive()
          for (let k = from; k < accepted.length; k++) ids.push({ error })
          return complete()
        }
        for (const id of this.log.indexWritten(batch, written)) ids.push({ id })
        commit(from + written.count, byteOffset + written.bytes)
      }
      if (this.sync === "none") return durable(null)
      this.log.noteFsync()
      if (this.sync === "thread-pool") return fs.fdatasync(written.segment.fd, durable)
      try {
        fs.fdatasyncSync(written.segment.fd)
      } catch (error) {
        return durable(error)
      }
      durable(null)
    }
    commit(0, 0)
  }

  private settle(): void {
    this.busy = false
    if (this.queue.length > 0 && !this.closed) {
      // Appends made while this commit ran (a fiber resumed by `done` runs at once and may append
      // again): at the next turn, so that the stack unwinds and the group can still grow.
      return this.schedule()
    }
    for (const then of this.idle.splice(0)) then()
  }
}
