import { type AttributeName, DefinitionType, Inhibit, MQOO, QueueType, ReasonCode } from "@resilient-mq/core"
import { QueueManagerDefaults } from "./constants.ts"
import type { Handle } from "./Connection.ts"
import type { LocalQueue, LocalQueueAttributes } from "./LocalQueue.ts"
import { refuse } from "./MqFailure.ts"
import type { AliasQueue } from "./QueueObjects.ts"
import type { QueueManager } from "./QueueManager.ts"

export type Value = number | string
type Getters<T> = Partial<Record<AttributeName, (object: T) => Value>>

const flag = (b: boolean): number => (b ? 1 : 0)

const queueManagerAttributes: Getters<QueueManager> = {
  CodedCharSetId: () => QueueManagerDefaults.codedCharSetId,
  CommandLevel: () => QueueManagerDefaults.commandLevel,
  DeadLetterQName: (qm) => qm.deadLetterQueue,
  MaxHandles: () => QueueManagerDefaults.maxHandles,
  MaxMsgLength: (qm) => qm.maxMessageLength,
  MaxPriority: () => QueueManagerDefaults.maxPriority,
  MaxUncommittedMsgs: (qm) => qm.maxUncommittedMessages,
  Platform: () => QueueManagerDefaults.platform,
  QMgrDesc: () => "",
  QMgrIdentifier: (qm) => qm.qmid,
  QMgrName: (qm) => qm.name,
  Syncpoint: () => 1 // MQSP_AVAILABLE
}

const localQueueAttributes: Getters<LocalQueue> = {
  BackoutRequeueQName: (q) => q.attributes.backoutQueue,
  BackoutThreshold: (q) => q.attributes.backoutThreshold,
  CreationDate: (q) => q.created.date,
  CreationTime: (q) => q.created.time,
  CurrentQDepth: (q) => q.depth,
  DefInputOpenOption: () => MQOO.INPUT_SHARED,
  DefPersistence: (q) => flag(q.attributes.defaultPersistent),
  DefPriority: (q) => q.attributes.defaultPriority,
  DefinitionType: (q) =>
    q.definitionType === "predefined"
      ? DefinitionType.PREDEFINED
      : q.definitionType === "permanent"
      ? DefinitionType.PERMANENT_DYNAMIC
      : DefinitionType.TEMPORARY_DYNAMIC,
  HardenGetBackout: () => 0, // NOHARDENBO: on Multiplatforms the count survives restarts anyway
  InhibitGet: (q) => flag(q.attributes.inhibitGet),
  InhibitPut: (q) => flag(q.attributes.inhibitPut),
  MaxMsgLength: (q) => q.attributes.maxMessageLength,
  MaxQDepth: (q) => q.attributes.maxDepth,
  MsgDeliverySequence: (q) => flag(q.attributes.deliverySequence === "fifo"),
  NpmClass: () => 0,
  OpenInputCount: (q) => q.openInputCount,
  OpenOutputCount: (q) => q.openOutputCount,
  PropertyControl: () => 0,
  QDesc: () => "",
  QName: (q) => q.name,
  QType: () => QueueType.LOCAL,
  Shareability: () => 1,
  TriggerControl: (q) => q.attributes.triggerControl,
  TriggerData: (q) => q.attributes.triggerData,
  TriggerDepth: (q) => q.attributes.triggerDepth,
  TriggerMsgPriority: (q) => q.attributes.triggerMsgPriority,
  TriggerType: (q) => q.attributes.triggerType,
  Usage: () => 0
}

const aliasQueueAttributes: Getters<AliasQueue> = {
  BaseQName: (a) => a.target,
  CreationDate: (a) => a.created.date,
  CreationTime: (a) => a.created.time,
  DefPersistence: (a) => flag(a.defaultPersistent),
  DefPriority: (a) => a.defaultPriority,
  InhibitGet: (a) => flag(a.inhibitGet),
  InhibitPut: (a) => flag(a.inhibitPut),
  PropertyControl: () => 0,
  QDesc: () => "",
  QName: (a) => a.name,
  QType: () => QueueType.ALIAS
}

const isQueueAttribute = (name: string): boolean => name in localQueueAttributes || name in aliasQueueAttributes

/**
 * What MQINQ answers: the values by name, and whether some selectors belong to another type of queue
 * (MQ answers the others with the warning 2068; those selectors are absent from `values`).
 */
export interface Inquiry {
  readonly values: Readonly<Record<string, Value>>
  readonly notForType: boolean
}

const read = <T>(
  getters: Getters<T>,
  object: T,
  names: ReadonlyArray<AttributeName>,
  queue: boolean
): Inquiry => {
  const values: Record<string, Value> = {}
  let notForType = false
  for (const name of names) {
    const getter = Object.hasOwn(getters, name) ? getters[name] : undefined
    if (getter !== undefined) values[name] = getter(object)
    else if (queue && isQueueAttribute(name)) notForType = true
    else refuse(ReasonCode.SELECTOR_ERROR)
  }
  return { values, notForType }
}

/** MQINQ (MQ-BEHAVIOUR §7). */
export const inquire = (handle: Handle, names: ReadonlyArray<AttributeName>): Inquiry => {
  if (handle.kind === "subscription") refuse(ReasonCode.HOBJ_ERROR)
  if ((handle.options & MQOO.INQUIRE) === 0) refuse(ReasonCode.NOT_OPEN_FOR_INQUIRE)
  switch (handle.kind) {
    case "queue-manager":
      return read(queueManagerAttributes, handle.connection.queueManager, names, false)
    case "topic":
      return read({}, handle, names, false)
    case "queue":
      if (handle.queue.deleted) refuse(ReasonCode.Q_DELETED)
      return handle.alias === undefined
        ? read(localQueueAttributes, handle.queue, names, true)
        : read(aliasQueueAttributes, handle.alias, names, true)
  }
}

interface Settable {
  /** The reason a value is refused with, if it is. */
  readonly check: (value: unknown) => number | undefined
  // Called only with a value `check` accepted.
  readonly apply: (attributes: LocalQueueAttributes, value: Value) => void
}

const integerIn = (min: number, max: number, reason: number) => (value: unknown): number | undefined =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? undefined : reason

const triggerAttributes: Readonly<Record<string, Settable>> = {
  TriggerControl: {
    check: integerIn(0, 1, ReasonCode.TRIGGER_CONTROL_ERROR),
    apply: (a, v) => (a.triggerControl = Number(v))
  },
  TriggerType: {
    check: integerIn(0, 3, ReasonCode.TRIGGER_TYPE_ERROR),
    apply: (a, v) => (a.triggerType = Number(v))
  },
  TriggerDepth: {
    check: integerIn(1, 999999999, ReasonCode.TRIGGER_DEPTH_ERROR),
    apply: (a, v) => (a.triggerDepth = Number(v))
  },
  TriggerMsgPriority: {
    check: integerIn(0, QueueManagerDefaults.maxPriority, ReasonCode.TRIGGER_MSG_PRIORITY_ERR),
    apply: (a, v) => (a.triggerMsgPriority = Number(v))
  },
  TriggerData: {
    check: (v) => (typeof v === "string" && v.length <= 64 ? undefined : ReasonCode.CHAR_ATTR_LENGTH_ERROR),
    apply: (a, v) => (a.triggerData = String(v))
  }
}

const checkInhibit = integerIn(Inhibit.ALLOWED, Inhibit.INHIBITED, ReasonCode.INHIBIT_VALUE_ERROR)

/**
 * Applies values MQSET accepted to a queue or an alias: its inhibit switches and, on a local queue,
 * its trigger attributes. The journal of `--data` replays them the same way.
 */
export const applySettings = (object: LocalQueue | AliasQueue, values: Readonly<Record<string, Value>>): void => {
  const inhibits = object.kind === "alias" ? object : object.attributes
  for (const [name, value] of Object.entries(values)) {
    if (name === "InhibitGet") inhibits.inhibitGet = value === Inhibit.INHIBITED
    else if (name === "InhibitPut") inhibits.inhibitPut = value === Inhibit.INHIBITED
    else if (object.kind === "local" && Object.hasOwn(triggerAttributes, name)) {
      triggerAttributes[name]!.apply(object.attributes, value)
    }
  }
}

/**
 * MQSET on a queue handle: all or nothing, only the settable selectors (§7.1). Returns the values
 * it set.
 */
export const set = (handle: Handle, values: Readonly<Record<string, unknown>>): Record<string, Value> => {
  if (handle.kind === "subscription") refuse(ReasonCode.HOBJ_ERROR)
  if ((handle.options & MQOO.SET) === 0 || handle.kind !== "queue") refuse(ReasonCode.NOT_OPEN_FOR_SET)
  if (handle.queue.deleted) refuse(ReasonCode.Q_DELETED)
  const accepted: Record<string, Value> = {}
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue
    const reason = name === "InhibitGet" || name === "InhibitPut"
      ? checkInhibit(value)
      : handle.alias === undefined && Object.hasOwn(triggerAttributes, name)
      ? triggerAttributes[name]!.check(value)
      : ReasonCode.SELECTOR_ERROR
    if (reason !== undefined) refuse(reason)
    accepted[name] = value as Value // `check` accepts numbers and strings only
  }
  applySettings(handle.alias ?? handle.queue, accepted)
  return accepted
}
