/**
 * Object attributes for inquire and set, by readable name, with MQ's selector (`MQIA_*` for
 * integers, `MQCA_*` for strings, with their fixed lengths).
 */
export const Attribute = {
  CodedCharSetId: { selector: 2, type: "int" },
  CurrentQDepth: { selector: 3, type: "int" },
  DefInputOpenOption: { selector: 4, type: "int" },
  DefPersistence: { selector: 5, type: "int" },
  DefPriority: { selector: 6, type: "int" },
  DefinitionType: { selector: 7, type: "int" },
  HardenGetBackout: { selector: 8, type: "int" },
  InhibitGet: { selector: 9, type: "int" },
  InhibitPut: { selector: 10, type: "int" },
  MaxHandles: { selector: 11, type: "int" },
  Usage: { selector: 12, type: "int" },
  MaxMsgLength: { selector: 13, type: "int" },
  MaxPriority: { selector: 14, type: "int" },
  MaxQDepth: { selector: 15, type: "int" },
  MsgDeliverySequence: { selector: 16, type: "int" },
  OpenInputCount: { selector: 17, type: "int" },
  OpenOutputCount: { selector: 18, type: "int" },
  QType: { selector: 20, type: "int" },
  BackoutThreshold: { selector: 22, type: "int" },
  Shareability: { selector: 23, type: "int" },
  TriggerControl: { selector: 24, type: "int" },
  TriggerMsgPriority: { selector: 26, type: "int" },
  TriggerType: { selector: 28, type: "int" },
  TriggerDepth: { selector: 29, type: "int" },
  Syncpoint: { selector: 30, type: "int" },
  CommandLevel: { selector: 31, type: "int" },
  Platform: { selector: 32, type: "int" },
  MaxUncommittedMsgs: { selector: 33, type: "int" },
  NpmClass: { selector: 78, type: "int" },
  PropertyControl: { selector: 190, type: "int" },
  BaseQName: { selector: 2002, type: "string", length: 48 },
  CreationDate: { selector: 2004, type: "string", length: 12 },
  CreationTime: { selector: 2005, type: "string", length: 8 },
  DeadLetterQName: { selector: 2006, type: "string", length: 48 },
  QDesc: { selector: 2013, type: "string", length: 64 },
  QMgrDesc: { selector: 2014, type: "string", length: 64 },
  QMgrName: { selector: 2015, type: "string", length: 48 },
  QName: { selector: 2016, type: "string", length: 48 },
  BackoutRequeueQName: { selector: 2019, type: "string", length: 48 },
  TriggerData: { selector: 2023, type: "string", length: 64 },
  QMgrIdentifier: { selector: 2032, type: "string", length: 48 }
} as const

export type AttributeName = keyof typeof Attribute

/** The value type of an attribute: numbers for `MQIA_*`, strings (trailing blanks removed) for `MQCA_*`. */
export type AttributeValue<A extends AttributeName> = typeof Attribute[A]["type"] extends "int" ? number : string

/** The values an inquiry returns, by attribute name. */
export type Attributes<A extends AttributeName> = { readonly [K in A]: AttributeValue<K> }

/** The attributes MQSET may change on a queue; any other is refused with 2067 (SELECTOR_ERROR). */
export const SettableAttributes = [
  "InhibitGet",
  "InhibitPut",
  "TriggerControl",
  "TriggerType",
  "TriggerDepth",
  "TriggerMsgPriority",
  "TriggerData"
] as const satisfies ReadonlyArray<AttributeName>

export type SettableAttribute = typeof SettableAttributes[number]

/** `MQQA_*`: values of InhibitGet and InhibitPut. */
export const Inhibit = { ALLOWED: 0, INHIBITED: 1 } as const

/** `MQQT_*`: queue types. */
export const QueueType = { LOCAL: 1, MODEL: 2, ALIAS: 3, REMOTE: 6 } as const

/** `MQQDT_*`: how a queue came to exist. */
export const DefinitionType = { PREDEFINED: 1, PERMANENT_DYNAMIC: 2, TEMPORARY_DYNAMIC: 3 } as const
