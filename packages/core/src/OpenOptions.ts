import { MQCO, MQOO } from "./MqiConstants.ts"

/**
 * What to open (MQOD): a queue (local, alias, or a model queue that creates a dynamic queue), a topic,
 * or the queue manager itself (for inquiries).
 */
export type ObjectDescriptor =
  | {
    readonly type: "queue"
    readonly name: string
    /** The queue manager that owns the queue; blank means the one connected to. */
    readonly queueManager?: string
    /** For a model queue: the dynamic queue's name, `*` ending for a generated suffix (default `AMQ.*`). */
    readonly dynamicQueueName?: string
  }
  | {
    readonly type: "topic"
    /** An administered topic object whose topic string is the base. */
    readonly name?: string
    /** The topic string, appended to the topic object's (with `/`) when both are given. */
    readonly topicString?: string
  }
  | { readonly type: "queue-manager" }

/** A readable name for what an object descriptor designates, for errors and events. */
export const objectName = (od: ObjectDescriptor): string => {
  switch (od.type) {
    case "queue":
      return od.name
    case "topic":
      return [od.name, od.topicString].filter((s) => s !== undefined && s !== "").join(":")
    case "queue-manager":
      return "queue manager"
  }
}

/**
 * How to open an object (MQOO_*). `failIfQuiescing` defaults to true; `bits` are OR-ed in raw for
 * options this object does not name.
 */
export interface OpenOptions {
  readonly input?: "shared" | "exclusive" | "as-queue-definition"
  readonly output?: boolean
  readonly browse?: boolean
  readonly inquire?: boolean
  readonly set?: boolean
  readonly context?: "save-all" | "pass-identity" | "pass-all" | "set-identity" | "set-all"
  readonly failIfQuiescing?: boolean
  readonly bits?: number
}

const contextBits = {
  "save-all": MQOO.SAVE_ALL_CONTEXT,
  "pass-identity": MQOO.PASS_IDENTITY_CONTEXT,
  "pass-all": MQOO.PASS_ALL_CONTEXT,
  "set-identity": MQOO.SET_IDENTITY_CONTEXT,
  "set-all": MQOO.SET_ALL_CONTEXT
} as const

const inputBits = {
  "shared": MQOO.INPUT_SHARED,
  "exclusive": MQOO.INPUT_EXCLUSIVE,
  "as-queue-definition": MQOO.INPUT_AS_Q_DEF
} as const

/** The MQOO_* bits of open options. */
export const openOptionBits = (options: OpenOptions): number =>
  (options.input === undefined ? 0 : inputBits[options.input]) |
  (options.output ? MQOO.OUTPUT : 0) |
  (options.browse ? MQOO.BROWSE : 0) |
  (options.inquire ? MQOO.INQUIRE : 0) |
  (options.set ? MQOO.SET : 0) |
  (options.context === undefined ? 0 : contextBits[options.context]) |
  (options.failIfQuiescing === false ? 0 : MQOO.FAIL_IF_QUIESCING) |
  (options.bits ?? 0)

/** How to close an object (MQCO_*). */
export interface CloseOptions {
  /** Delete a dynamic queue: `"if-empty"` (MQCO_DELETE) or `"purge"` (MQCO_DELETE_PURGE). */
  readonly delete?: "if-empty" | "purge"
  /** For a subscription handle: keep a durable subscription (default) or remove it. */
  readonly subscription?: "keep" | "remove"
}

/** The MQCO_* bits of close options. */
export const closeOptionBits = (options: CloseOptions): number =>
  (options.delete === "if-empty" ? MQCO.DELETE : options.delete === "purge" ? MQCO.DELETE_PURGE : 0) |
  (options.subscription === "keep" ? MQCO.KEEP_SUB : options.subscription === "remove" ? MQCO.REMOVE_SUB : 0)
