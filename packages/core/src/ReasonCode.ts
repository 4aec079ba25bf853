import { reasonCodeTable } from "./internal/reasonCodeTable.ts"

/**
 * MQ completion codes (`MQCC_*`).
 */
export const CompletionCode = {
  OK: 0,
  WARNING: 1,
  FAILED: 2
} as const

export type CompletionCode = typeof CompletionCode[keyof typeof CompletionCode]

/**
 * The reason codes (`MQRC_*`) that resilient-mq acts on by name. Every other code MQ can return is
 * still known by number and name through {@link reasonName}.
 */
export const ReasonCode = {
  NONE: 0,
  BACKED_OUT: 2003,
  CONNECTION_BROKEN: 2009,
  ENVIRONMENT_ERROR: 2012,
  EXPIRY_ERROR: 2013,
  GET_INHIBITED: 2016,
  HCONN_ERROR: 2018,
  HOBJ_ERROR: 2019,
  INHIBIT_VALUE_ERROR: 2020,
  SYNCPOINT_LIMIT_REACHED: 2024,
  MAX_CONNS_LIMIT_REACHED: 2025,
  MD_ERROR: 2026,
  MSG_TOO_BIG_FOR_Q: 2030,
  MSG_TOO_BIG_FOR_Q_MGR: 2031,
  NO_MSG_AVAILABLE: 2033,
  NO_MSG_UNDER_CURSOR: 2034,
  NOT_AUTHORIZED: 2035,
  NOT_OPEN_FOR_BROWSE: 2036,
  NOT_OPEN_FOR_INPUT: 2037,
  NOT_OPEN_FOR_INQUIRE: 2038,
  NOT_OPEN_FOR_OUTPUT: 2039,
  NOT_OPEN_FOR_SET: 2040,
  OBJECT_IN_USE: 2042,
  OBJECT_TYPE_ERROR: 2043,
  OPTION_NOT_VALID_FOR_TYPE: 2045,
  OPTIONS_ERROR: 2046,
  PERSISTENCE_ERROR: 2047,
  PERSISTENT_NOT_ALLOWED: 2048,
  PRIORITY_EXCEEDS_MAXIMUM: 2049,
  PRIORITY_ERROR: 2050,
  PUT_INHIBITED: 2051,
  Q_DELETED: 2052,
  Q_FULL: 2053,
  Q_NOT_EMPTY: 2055,
  Q_TYPE_ERROR: 2057,
  Q_MGR_NAME_ERROR: 2058,
  Q_MGR_NOT_AVAILABLE: 2059,
  SELECTOR_ERROR: 2067,
  STORAGE_NOT_AVAILABLE: 2071,
  TRUNCATED_MSG_ACCEPTED: 2079,
  TRUNCATED_MSG_FAILED: 2080,
  UNKNOWN_OBJECT_NAME: 2085,
  WAIT_INTERVAL_ERROR: 2090,
  OBJECT_ALREADY_EXISTS: 2100,
  RESOURCE_PROBLEM: 2102,
  Q_MGR_QUIESCING: 2161,
  Q_MGR_STOPPING: 2162,
  STORAGE_MEDIUM_FULL: 2192,
  CONNECTION_QUIESCING: 2202,
  CONNECTION_STOPPING: 2203,
  SSL_INITIALIZATION_ERROR: 2393,
  TOPIC_STRING_ERROR: 2425,
  NO_SUBSCRIPTION: 2428,
  SUBSCRIPTION_IN_USE: 2429,
  SUB_ALREADY_EXISTS: 2432,
  SUB_NAME_ERROR: 2440,
  PROPERTY_NOT_AVAILABLE: 2471,
  INVALID_DESTINATION: 2522,
  CHANNEL_NOT_AVAILABLE: 2537,
  HOST_NOT_AVAILABLE: 2538,
  CHANNEL_CONFIG_ERROR: 2539,
  UNKNOWN_CHANNEL_NAME: 2540,
  STANDBY_Q_MGR: 2543,
  RECONNECTING: 2544,
  RECONNECTED: 2545,
  RECONNECT_QMID_MISMATCH: 2546,
  RECONNECT_INCOMPATIBLE: 2547,
  RECONNECT_FAILED: 2548,
  CALL_INTERRUPTED: 2549,
  NO_SUBS_MATCHED: 2550,
  RECONNECT_Q_MGR_REQD: 2555,
  RECONNECT_TIMED_OUT: 2556,
  Q_MGR_RECONNECT_REQUESTED: 2601
} as const

export type ReasonCode = typeof ReasonCode[keyof typeof ReasonCode]

const names = new Map<number, string>()
for (const [code, name] of reasonCodeTable) {
  if (!names.has(code)) names.set(code, `MQRC_${name}`)
}

/**
 * The MQ name of a reason code, such as `MQRC_Q_FULL` for 2053. Codes MQ does not define (an
 * application's own 900–999, or a number from a newer MQ) are named `MQRC_UNKNOWN_<code>`.
 */
export const reasonName = (reason: number): string => names.get(reason) ?? `MQRC_UNKNOWN_${reason}`

/**
 * Every reason code MQ defines, by number, with its MQ name.
 */
export const allReasonCodes = (): ReadonlyMap<number, string> => names
