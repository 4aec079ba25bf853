import type { Envelope, SendOptions } from "@resilient-mq/buffer"
import type { Properties, PropertyValue, PutDescriptor } from "@resilient-mq/core"
import { Buffer } from "node:buffer"
import { Predicate } from "effect"

/**
 * The descriptor, properties and put options of an envelope are kept as JSON text, so that a person
 * can read them with the `sqlite3` shell (`json_extract(meta, '$.descriptor.priority')`). JSON lacks
 * some of the values a property can hold, and loses the sign of zero and the non-finite numbers:
 * those become one-key objects, which no property value can be, so that nothing is ambiguous:
 *
 * - bytes: `{"b":"<base64>"}`
 * - a bigint: `{"i":"<decimal>"}` (exact at any size)
 * - `NaN`, `Infinity`, `-Infinity` and `-0`: `{"f":"NaN"}` …
 *
 * Strings, booleans, null and the other numbers are themselves (JSON keeps every finite double
 * exactly).
 */
type JsonValue = string | number | boolean | null | { readonly b: string } | { readonly i: string } | { readonly f: string }

/** A stored value that is not what this codec writes: the row was changed by something else. */
export class MalformedRow extends Error {
  override readonly name = "MalformedRow"
}

const toJsonValue = (value: PropertyValue): JsonValue => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number") {
    return Number.isFinite(value) && !Object.is(value, -0) ? value : { f: Object.is(value, -0) ? "-0" : String(value) }
  }
  if (typeof value === "bigint") return { i: value.toString() }
  if (value instanceof Uint8Array) return { b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") }
  // Only from a caller outside the types: refused at the append, not stored to fail every take.
  throw new TypeError(`a value of type ${typeof value} cannot be buffered (a property or descriptor field must be a string, number, bigint, boolean, bytes or null)`)
}

const SPECIAL_NUMBERS: ReadonlySet<string> = new Set(["NaN", "Infinity", "-Infinity", "-0"])

const fromJsonValue = (value: unknown, where: string): PropertyValue => {
  if (value === null || Predicate.isString(value) || Predicate.isNumber(value) || Predicate.isBoolean(value)) return value
  if (Predicate.isObject(value)) {
    // A copy in an ArrayBuffer of its own: a small `Buffer` is a view into a shared pool.
    if (Predicate.isString(value["b"])) return new Uint8Array(Buffer.from(value["b"], "base64"))
    if (Predicate.isString(value["i"])) return BigInt(value["i"])
    if (Predicate.isString(value["f"]) && SPECIAL_NUMBERS.has(value["f"])) return Number(value["f"])
  }
  throw new MalformedRow(`${where} holds a value this store does not write: ${JSON.stringify(value)}`)
}

/** An object of values as JSON text, leaving out keys whose value is `undefined` (absent options). */
const encodeObject = (object: { readonly [key: string]: PropertyValue | undefined }): string => {
  const entries: Array<[string, JsonValue]> = []
  for (const [key, value] of Object.entries(object)) if (value !== undefined) entries.push([key, toJsonValue(value)])
  // fromEntries, not assignment: a property named "__proto__" must stay a property.
  return JSON.stringify(Object.fromEntries(entries))
}

const parseObject = (text: string, where: string): Record<string, unknown> => {
  const parsed: unknown = JSON.parse(text)
  if (!Predicate.isObject(parsed) || Array.isArray(parsed)) throw new MalformedRow(`${where} is not a JSON object`)
  return parsed
}

/** Reads a field's value back with its type, or `undefined` when it has another type. */
type FieldDecoder<A> = (value: PropertyValue) => A | undefined

const number: FieldDecoder<number> = (value) => (typeof value === "number" ? value : undefined)
const string: FieldDecoder<string> = (value) => (typeof value === "string" ? value : undefined)
const bytes: FieldDecoder<Uint8Array> = (value) => (value instanceof Uint8Array ? value : undefined)
const boolean: FieldDecoder<boolean> = (value) => (typeof value === "boolean" ? value : undefined)
const oneOf = <const A extends PropertyValue>(allowed: ReadonlyArray<A>): FieldDecoder<A> => (value) =>
  allowed.find((candidate) => candidate === value)

type Decoders<T> = { readonly [K in keyof T]-?: FieldDecoder<Exclude<T[K], undefined>> }

// Typed over every key of `PutDescriptor` (and of `SendOptions` below), so that a field added there
// fails the build here until it is read back, instead of being refused when the envelope is taken.
const DESCRIPTOR: Decoders<PutDescriptor> = {
  report: number,
  msgType: number,
  expiry: number,
  feedback: number,
  encoding: number,
  codedCharSetId: number,
  format: string,
  priority: number,
  persistence: oneOf([0, 1, 2]),
  msgId: bytes,
  correlId: bytes,
  replyToQ: string,
  replyToQMgr: string,
  userIdentifier: string,
  accountingToken: bytes,
  applIdentityData: string,
  putApplType: number,
  putApplName: string,
  putDate: string,
  putTime: string,
  applOriginData: string,
  groupId: bytes,
  msgSeqNumber: number,
  offset: number,
  msgFlags: number
}

const OPTIONS: Decoders<SendOptions> = {
  newCorrelId: boolean,
  context: oneOf(["default", "none", "pass-identity", "pass-all", "set-identity", "set-all"]),
  retain: boolean,
  warnIfNoSubscribers: boolean,
  failIfQuiescing: boolean
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] }

const decodeField = <T, K extends keyof T>(decoders: Decoders<T>, key: K, value: PropertyValue, into: Mutable<T>, where: string) => {
  const decoded = decoders[key](value)
  if (decoded === undefined) throw new MalformedRow(`${where} field ${String(key)} has a value of the wrong type`)
  into[key] = decoded
}

const decodeFields = <T>(decoders: Decoders<T>, json: Record<string, unknown>, where: string): Mutable<T> => {
  const isKey = (key: string): key is Extract<keyof T, string> => Object.hasOwn(decoders, key)
  const into: Mutable<T> = {}
  for (const [key, value] of Object.entries(json)) {
    if (!isKey(key)) throw new MalformedRow(`${where} has an unknown field ${key}`)
    decodeField(decoders, key, fromJsonValue(value, `${where} field ${key}`), into, where)
  }
  return into
}

const isEmpty = (object: object): boolean => {
  for (const _ in object) return false
  return true
}

/**
 * The `meta` column of an envelope: `{"descriptor":{…},"properties":{…},"options":{…}}`, each left
 * out when empty (the options: when absent), and SQL NULL when all three are, so that a plain
 * message costs no JSON at all.
 */
export const encodeMeta = (envelope: Envelope): string | null => {
  const { descriptor, options, properties } = envelope
  const emptyDescriptor = isEmpty(descriptor)
  const emptyProperties = isEmpty(properties)
  if (emptyDescriptor && emptyProperties && options === undefined) return null
  let json = "{"
  const add = (key: string, object: { readonly [key: string]: PropertyValue | undefined }) => {
    json += `${json.length > 1 ? "," : ""}"${key}":${encodeObject(object)}`
  }
  if (!emptyDescriptor) add("descriptor", descriptor)
  if (!emptyProperties) add("properties", properties)
  if (options !== undefined) add("options", options)
  return `${json}}`
}

/** What `meta` holds of an envelope. */
export interface Meta {
  readonly descriptor: PutDescriptor
  readonly properties: Properties
  readonly options: SendOptions | undefined
}

const EMPTY: Meta = { descriptor: {}, properties: {}, options: undefined }

export const decodeMeta = (meta: string | null): Meta => {
  if (meta === null) return EMPTY
  const { descriptor, options, properties, ...rest } = parseObject(meta, "meta")
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) throw new MalformedRow(`meta has an unknown key ${unknown}`)
  const object = (value: unknown, where: string) => {
    if (!Predicate.isObject(value) || Array.isArray(value)) throw new MalformedRow(`${where} is not a JSON object`)
    return value
  }
  return {
    descriptor: descriptor === undefined ? {} : decodeFields(DESCRIPTOR, object(descriptor, "the descriptor"), "the descriptor"),
    // fromEntries defines own properties, so that a property named "__proto__" stays a property.
    properties: properties === undefined ? {} : Object.fromEntries(
      Object.entries(object(properties, "the properties")).map(([name, value]) => [name, fromJsonValue(value, `property ${name}`)])
    ),
    options: options === undefined ? undefined : decodeFields(OPTIONS, object(options, "the put options"), "the put options")
  }
}
