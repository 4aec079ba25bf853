import type { MessageDescriptor, Properties } from "@resilient-mq/core"

/**
 * Where a message is in its life on a queue:
 * - `put-pending`: put in a unit of work not yet committed (invisible, but counted in the depth);
 * - `available`: can be got or browsed;
 * - `got-pending`: got in a unit of work not yet committed (invisible, not counted);
 * - `removed`: gone (got, expired, backed out, purged).
 */
export type MessageState = "put-pending" | "available" | "got-pending" | "removed"

export interface StoredMessage {
  /** Arrival order on the queue manager; a backed-out message keeps it, and so its place. */
  readonly seq: number
  /** Delivery rank on its queue: 9 - priority on a priority queue, 0 on a FIFO queue. */
  readonly rank: number
  readonly body: Uint8Array
  readonly properties: Properties
  /** As resolved at put time; `expiry` and `backoutCount` are computed when it is returned. */
  readonly descriptor: MessageDescriptor
  readonly persistent: boolean
  /** Clock millis at which it expires, if it does. */
  readonly expiresAt: number | undefined
  backoutCount: number
  state: MessageState
}

/** What a get may ask to match; absent or all-zero identifiers match any message. */
export interface MatchCriteria {
  readonly msgId?: Uint8Array | undefined
  readonly correlId?: Uint8Array | undefined
  readonly groupId?: Uint8Array | undefined
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export const matches = (message: StoredMessage, criteria: MatchCriteria): boolean =>
  (criteria.msgId === undefined || sameBytes(criteria.msgId, message.descriptor.msgId)) &&
  (criteria.correlId === undefined || sameBytes(criteria.correlId, message.descriptor.correlId)) &&
  (criteria.groupId === undefined || sameBytes(criteria.groupId, message.descriptor.groupId))

export const isExpired = (message: StoredMessage, now: number): boolean =>
  message.expiresAt !== undefined && now >= message.expiresAt
