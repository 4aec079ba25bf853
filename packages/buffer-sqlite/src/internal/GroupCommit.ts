import type { Envelope } from "@resilient-mq/buffer"
import type { Database, Outcome } from "./Database.ts"

/** An append waiting for its transaction, told the outcome once. */
export interface PendingAppend {
  readonly envelope: Envelope
  readonly done: (outcome: Outcome) => void
}

/**
 * Group commit: appends queue up; the writer takes everything queued, appends it in one transaction
 * (one commit, one sync of the WAL), then completes all of them; appends made meanwhile form the
 * next group. Nothing waits for a timer: the writer runs in the microtask after the first append was
 * queued, so that the appends made in the same turn of the event loop (fibers resumed together by
 * the previous commit) share its transaction, and a lone append is written at once.
 *
 * Plain code, not fibers: the transaction is synchronous anyway (`node:sqlite`), and a hand-off
 * between fibers per append would cost as much as its insert.
 */
export class GroupCommit {
  private queue: Array<PendingAppend> = []
  private scheduled = false
  private closed = false
  private readonly database: Database

  constructor(database: Database) {
    this.database = database
  }

  /** Queues an append; false once the writer is closed. */
  enqueue(append: PendingAppend): boolean {
    if (this.closed) return false
    this.queue.push(append)
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(this.run)
    }
    return true
  }

  /**
   * Stops taking appends. No transaction can be in progress (they are synchronous): what is still
   * queued is returned, for the caller to fail.
   */
  close(): ReadonlyArray<PendingAppend> {
    this.closed = true
    const left = this.queue
    this.queue = []
    return left
  }

  private readonly run = (): void => {
    this.scheduled = false
    const group = this.queue
    this.queue = []
    if (group.length === 0) return
    const outcomes = this.database.appendGroup(group.map((append) => append.envelope))
    // Only now: a completed append may resume its fiber, which may append again (the next group).
    for (let k = 0; k < group.length; k++) group[k]!.done(outcomes[k]!)
  }
}
