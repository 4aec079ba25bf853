import type { LocalQueue } from "./LocalQueue.ts"
import type { StoredMessage } from "./StoredMessage.ts"

interface Entry {
  readonly queue: LocalQueue
  readonly message: StoredMessage
}

/**
 * A connection's local unit of work (MQ-BEHAVIOUR §5): it starts with the first get or put under
 * syncpoint and ends with commit or backout.
 */
export class UnitOfWork {
  private puts: Array<Entry> = []
  private gets: Array<Entry> = []
  /** Backed out by the queue manager: syncpoint calls answer 2003 until the application ends it. */
  doomed = false

  /** Messages counted against MAXUMSGS. */
  get size(): number {
    return this.puts.length + this.gets.length
  }

  addPut(queue: LocalQueue, message: StoredMessage): void {
    this.puts.push({ queue, message })
  }

  addGet(queue: LocalQueue, message: StoredMessage): void {
    this.gets.push({ queue, message })
  }

  commit(): void {
    const touched = new Set<LocalQueue>()
    for (const { message, queue } of this.puts) {
      queue.release(message)
      touched.add(queue)
    }
    for (const { message, queue } of this.gets) queue.discard(message)
    this.clear()
    for (const queue of touched) queue.serviceWaiters()
  }

  backout(): void {
    const touched = new Set<LocalQueue>()
    for (const { message, queue } of this.puts) queue.discard(message)
    for (const { message, queue } of this.gets) {
      queue.restore(message)
      touched.add(queue)
    }
    this.clear()
    for (const queue of touched) queue.serviceWaiters()
  }

  /** The queue manager backs the unit out on its own; the application learns it from 2003. */
  doom(): void {
    this.backout()
    this.doomed = true
  }

  private clear(): void {
    this.puts = []
    this.gets = []
    this.doomed = false
  }
}
