import { Duration } from "effect"
import { MQGMO, MQMO, MQWI_UNLIMITED } from "./internal/constants.ts"

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
  waitInterval: options.wait === undefined
    ? 0
    : options.wait === "unlimited"
    ? MQWI_UNLIMITED
    : Duration.toMillis(Duration.fromInputUnsafe(options.wait))
})
