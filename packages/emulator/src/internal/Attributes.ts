import { type AttributeName, DefinitionType, Inhibit, MQOO, QueueType, ReasonCode } from "@resilient-mq/core"
import { QueueManagerDefaults } from "./constants.ts"
import type { Handle } from "./Connection.ts"
import type { LocalQueue } from "./LocalQueue.ts"
import { MqFailure, refuse } from "./MqFailure.ts"
import type { AliasQueue } from "./QueueObjects.ts"
import type { QueueManager } from "./QueueManager.ts"

type Value = number | string
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

const read = <T>(
  getters: Getters<T>,
  object: T,
  names: ReadonlyArray<AttributeName>,
  queue: boolean
): Record<string, Value> => {
  const values: Record<string, Value> = {}
  for (const name of names) {
    const getter = Object.hasOwn(getters, name) ? getters[name] : undefined
    if (getter === undefined) {
      // A selector of another queue type is a warning (2068), which the binding reports as an error (§7.1).
      if (queue && isQueueAttribute(name)) throw new MqFailure(ReasonCode.SELECTOR_NOT_FOR_TYPE, undefined, true)
      refuse(ReasonCode.SELECTOR_ERROR)
    }
    values[name] = getter(object)
  }
  return values
}

/** MQINQ (MQ-BEHAVIOUR §7). */
export const inquire = (handle: Handle, names: ReadonlyArray<AttributeName>): Record<string, Value> => {
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
  readonly apply: (queue: LocalQueue, value: unknown) => void
}

const integerIn = (min: number, max: number, reason: number) => (value: unknown): number | undefined =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? undefined : reason

const triggerAttributes: Readonly<Record<string, Settable>> = {
  TriggerControl: {
    check: integerIn(0, 1, ReasonCode.TRIGGER_CONTROL_ERROR),
    apply: (q, v) => (q.attributes.triggerControl = v as number)
  },
  TriggerType: {
    check: integerIn(0, 3, ReasonCode.TRIGGER_TYPE_ERROR),
    apply: (q, v) => (q.attributes.triggerType = v as number)
  },
  TriggerDepth: {
    check: integerIn(1, 999999999, ReasonCode.TRIGGER_DEPTH_ERROR),
    apply: (q, v) => (q.attributes.triggerDepth = v as number)
  },
  TriggerMsgPriority: {
    check: integerIn(0, QueueManagerDefaults.maxPriority, ReasonCode.TRIGGER_MSG_PRIORITY_ERR),
    apply: (q, v) => (q.attributes.triggerMsgPriority = v as number)
  },
  TriggerData: {
    check: (v) => (typeof v === "string" && v.length <= 64 ? undefined : ReasonCode.CHAR_ATTR_LENGTH_ERROR),
    apply: (q, v) => (q.attributes.triggerData = v as string)
  }
}

const checkInhibit = integerIn(Inhibit.ALLOWED, Inhibit.INHIBITED, ReasonCode.INHIBIT_VALUE_ERROR)

/**
 * MQSET on a queue handle: all or nothing, only the settable selectors (§7.1). Returns whether gets
 * became inhibited, which cancels waiting gets.
 */
export const set = (handle: Handle, values: Readonly<Record<string, unknown>>): boolean => {
  if (handle.kind === "subscription") refuse(ReasonCode.HOBJ_ERROR)
  if ((handle.options & MQOO.SET) === 0 || handle.kind !== "queue") refuse(ReasonCode.NOT_OPEN_FOR_SET)
  if (handle.queue.deleted) refuse(ReasonCode.Q_DELETED)
  const entries = Object.entries(values).filter(([, value]) => value !== undefined)
  for (const [name, value] of entries) {
    const reason = name === "InhibitGet" || name === "InhibitPut"
      ? checkInhibit(value)
      : handle.alias === undefined && Object.hasOwn(triggerAttributes, name)
      ? triggerAttributes[name]!.check(value)
      : ReasonCode.SELECTOR_ERROR
    if (reason !== undefined) refuse(reason)
  }
  const target = handle.alias ?? handle.queue.attributes
  for (const [name, value] of entries) {
    if (name === "InhibitGet") target.inhibitGet = value === Inhibit.INHIBITED
    else if (name === "InhibitPut") target.inhibitPut = value === Inhibit.INHIBITED
    else triggerAttributes[name]!.apply(handle.queue, value)
  }
  return values.InhibitGet === Inhibit.INHIBITED
}
