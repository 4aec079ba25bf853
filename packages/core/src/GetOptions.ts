import { Duration } from "effect"
import { MQGMO, MQMO, MQWI_UNLIMITED } from "./MqiConstants.ts"

/**
 * How to get a message (MQGMO_* and MQMO_*). Without `wait` the get returns at once. Without
 * `syncpoint` a destructive get is outside any unit of work. `failIfQuiescing` defaults to true;
 * `bits` are OR-ed in raw.
 */
export interface GetOptions {
  /** How long to wait for a suitable message; `"unlimited"` waits until one arrives. */
  readonly wait?: Duration.Input | "unlimited"
  readonly syncpoint?: boolean | "if-persistent"
  /** Browse instead of removing: the first message, the next after the cursor, or the one under it. */
  readonly browse?: "first" | "next" | "under-cursor"
  /** Remove the message under the browse cursor. */
  readonly underCursor?: boolean
  /** Only a message with these identifiers (an all-zero identifier matches any). */
  readonly match?: {
    readonly msgId?: Uint8Array
    readonly correlId?: Uint8Array
    readonly groupId?: Uint8Array
  }
  /** Accept a message longer than `maxLength`, truncated (2079), instead of failing with 2080. */
  readonly acceptTruncated?: boolean
  /** The largest body to return; absent means the whole message, however long. */
  readonly maxLength?: number
  readonly logicalOrder?: boolean
  readonly failIfQuiescing?: boolean
  readonly bits?: number
}

/** The MQGMO fields that options set. */
export interface GetOptionBits {
  readonly options: number
  readonly matchOptions: number
  /** Milliseconds, or -1 (MQWI_UNLIMITED). */
  readonly waitInterval: number
}

const browseBits = {
  "first": MQGMO.BROWSE_FIRST,
  "next": MQGMO.BROWSE_NEXT,
  "under-cursor": MQGMO.BROWSE_MSG_UNDER_CURSOR
} as const

// MQGMO.WaitInterval is a 32-bit count of milliseconds, and -1 means unlimited: an infinite duration is
// unlimited, a fraction of a millisecond rounds up, and a negative or over-long duration must not become
// -1 or overflow.
const waitInterval = (wait: GetOptions["wait"]): number => {
  if (wait === undefined) return 0
  if (wait === "unlimited") return MQWI_UNLIMITED
  const millis = Duration.toMillis(Duration.fromInputUnsafe(wait))
  return millis === Infinity ? MQWI_UNLIMITED : Math.min(Math.max(0, Math.ceil(millis)), 2_147_483_647)
}

/** The MQGMO options, match options and wait interval of get options. */
export const getOptionBits = (options: GetOptions): GetOptionBits => ({
  options: (options.wait === undefined ? MQGMO.NO_WAIT : MQGMO.WAIT) |
    (options.syncpoint === true
      ? MQGMO.SYNCPOINT
      : options.syncpoint === "if-persistent"
      ? MQGMO.SYNCPOINT_IF_PERSISTENT
      : options.syncpoint === false
      ? MQGMO.NO_SYNCPOINT
      : 0) |
    (options.browse === undefined ? 0 : browseBits[options.browse]) |
    (options.underCursor ? MQGMO.MSG_UNDER_CURSOR : 0) |
    (options.acceptTruncated ? MQGMO.ACCEPT_TRUNCATED_MSG : 0) |
    (options.logicalOrder ? MQGMO.LOGICAL_ORDER : 0) |
    (options.failIfQuiescing === false ? 0 : MQGMO.FAIL_IF_QUIESCING) |
    (options.bits ?? 0),
  matchOptions: (options.match?.msgId === undefined ? 0 : MQMO.MATCH_MSG_ID) |
    (options.match?.correlId === undefined ? 0 : MQMO.MATCH_CORREL_ID) |
    (options.match?.groupId === undefined ? 0 : MQMO.MATCH_GROUP_ID),
  waitInterval: waitInterval(options.wait)
})
