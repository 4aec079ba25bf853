import type { Envelope, SendOptions, Stored } from "@resilient-mq/buffer"
import type { Properties, PropertyValue, PutDescriptor } from "@resilient-mq/core"
import { MalformedRecord, Reader, type Writer } from "./bytes.ts"
import { writeFrame } from "./Frame.ts"

/**
 * The payloads of the store's frames. Each begins with its type byte:
 *
 * - `Envelope` (segments): acceptedAt f64, body length u32, destination, msgId, descriptor fields,
 *   properties, put options (a presence byte, then fields), then the body. `acceptedAt`, the body
 *   length and the destination come first so that recovery and `depth` read no further.
 * - `Acknowledged` (acks.log): a count, then (segment u32, offset u32) per record.
 * - `DeadLetter` (dead-letters.log): segment u32, offset u32, deadLetteredAt f64, reason, then the
 *   envelope payload exactly as it was in its segment.
 * - `Quarantined` (quarantine.log): segment u32, offset u32, quarantinedAt f64, reason, the bytes.
 *
 * Strings are a u32 byte length then UTF-8; byte fields a u32 length then the bytes; numbers
 * little-endian.
 */
const RecordType = {
  Envelope: 1,
  Acknowledged: 2,
  DeadLetter: 3,
  Quarantined: 4
} as const

/** Where a record is: its segment's number and its offset there. Also its `EnvelopeId`. */
export interface Location {
  readonly segment: number
  readonly offset: number
}

const ValueTag = {
  Null: 0,
  False: 1,
  True: 2,
  Number: 3,
  BigInt: 4,
  String: 5,
  Bytes: 6
} as const

const writeValue = (writer: Writer, value: PropertyValue): void => {
  if (value === null) writer.u8(ValueTag.Null)
  else if (typeof value === "boolean") writer.u8(value ? ValueTag.True : ValueTag.False)
  else if (typeof value === "number") {
    writer.u8(ValueTag.Number)
    writer.f64(value)
  } else if (typeof value === "bigint") {
    // Decimal text: exact for any size, where MQ's INT8 would be only 64 bits.
    writer.u8(ValueTag.BigInt)
    writer.string(value.toString())
  } else if (typeof value === "string") {
    writer.u8(ValueTag.String)
    writer.string(value)
  } else {
    writer.u8(ValueTag.Bytes)
    writer.bytesField(value)
  }
}

const readValue = (reader: Reader): PropertyValue => {
  const tag = reader.u8()
  switch (tag) {
    case ValueTag.Null:
      return null
    case ValueTag.False:
      return false
    case ValueTag.True:
      return true
    case ValueTag.Number:
      return reader.f64()
    case ValueTag.BigInt:
      return BigInt(reader.string())
    case ValueTag.String:
      return reader.string()
    case ValueTag.Bytes:
      return reader.bytesField()
    default:
      throw new MalformedRecord(`unknown value tag ${tag}`)
  }
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] }

/** A field of the descriptor or of the put options: a code stable on disk (never renumber, only add) and a typed setter. */
interface Field<T> {
  readonly code: number
  /** Sets the decoded value; false if it has the wrong type. */
  readonly set: (target: T, value: PropertyValue) => boolean
}

const numberField = <T>(code: number, set: (target: T, value: number) => void): Field<T> => ({
  code,
  set: (target, value) => {
    if (typeof value !== "number") return false
    set(target, value)
    return true
  }
})
const stringField = <T>(code: number, set: (target: T, value: string) => void): Field<T> => ({
  code,
  set: (target, value) => {
    if (typeof value !== "string") return false
    set(target, value)
    return true
  }
})
const bytesField = <T>(code: number, set: (target: T, value: Uint8Array) => void): Field<T> => ({
  code,
  set: (target, value) => {
    if (!(value instanceof Uint8Array)) return false
    set(target, value)
    return true
  }
})
const booleanField = <T>(code: number, set: (target: T, value: boolean) => void): Field<T> => ({
  code,
  set: (target, value) => {
    if (typeof value !== "boolean") return false
    set(target, value)
    return true
  }
})

type Fields<T> = { readonly [K in keyof T]-?: Field<Mutable<T>> }

// Typed over every key of `PutDescriptor` (and of `SendOptions` below), so that a field added
// there fails the build here until it has a code, instead of being silently lost in the buffer.
const DESCRIPTOR_FIELDS: Fields<PutDescriptor> = {
  report: numberField(1, (d, v) => d.report = v),
  msgType: numberField(2, (d, v) => d.msgType = v),
  expiry: numberField(3, (d, v) => d.expiry = v),
  feedback: numberField(4, (d, v) => d.feedback = v),
  encoding: numberField(5, (d, v) => d.encoding = v),
  codedCharSetId: numberField(6, (d, v) => d.codedCharSetId = v),
  format: stringField(7, (d, v) => d.format = v),
  priority: numberField(8, (d, v) => d.priority = v),
  persistence: {
    code: 9,
    set: (d, v) => {
      if (v !== 0 && v !== 1 && v !== 2) return false
      d.persistence = v
      return true
    }
  },
  msgId: bytesField(10, (d, v) => d.msgId = v),
  correlId: bytesField(11, (d, v) => d.correlId = v),
  replyToQ: stringField(12, (d, v) => d.replyToQ = v),
  replyToQMgr: stringField(13, (d, v) => d.replyToQMgr = v),
  userIdentifier: stringField(14, (d, v) => d.userIdentifier = v),
  accountingToken: bytesField(15, (d, v) => d.accountingToken = v),
  applIdentityData: stringField(16, (d, v) => d.applIdentityData = v),
  putApplType: numberField(17, (d, v) => d.putApplType = v),
  putApplName: stringField(18, (d, v) => d.putApplName = v),
  putDate: stringField(19, (d, v) => d.putDate = v),
  putTime: stringField(20, (d, v) => d.putTime = v),
  applOriginData: stringField(21, (d, v) => d.applOriginData = v),
  groupId: bytesField(22, (d, v) => d.groupId = v),
  msgSeqNumber: numberField(23, (d, v) => d.msgSeqNumber = v),
  offset: numberField(24, (d, v) => d.offset = v),
  msgFlags: numberField(25, (d, v) => d.msgFlags = v)
}

type PutContext = NonNullable<SendOptions["context"]>
const PUT_CONTEXTS: ReadonlyArray<PutContext> = ["default", "none", "pass-identity", "pass-all", "set-identity", "set-all"]
const isPutContext = (value: PropertyValue): value is PutContext => PUT_CONTEXTS.some((context) => context === value)

const OPTION_FIELDS: Fields<SendOptions> = {
  newCorrelId: booleanField(1, (o, v) => o.newCorrelId = v),
  context: {
    code: 2,
    set: (o, v) => {
      if (!isPutContext(v)) return false
      o.context = v
      return true
    }
  },
  retain: booleanField(3, (o, v) => o.retain = v),
  warnIfNoSubscribers: booleanField(4, (o, v) => o.warnIfNoSubscribers = v),
  failIfQuiescing: booleanField(5, (o, v) => o.failIfQuiescing = v)
}

const byCode = <T>(fields: Fields<T>): ReadonlyMap<number, Field<Mutable<T>>> =>
  new Map(Object.values<Field<Mutable<T>>>(fields).map((field) => [field.code, field]))

const DESCRIPTOR_BY_CODE = byCode(DESCRIPTOR_FIELDS)
const OPTION_BY_CODE = byCode(OPTION_FIELDS)

/** The fields of `value` that are set, as (code, value): a count u8, then code u8 and tagged value each. */
const writeFields = <T extends { readonly [key: string]: PropertyValue | undefined }>(
  writer: Writer,
  fields: Fields<T>,
  value: T
): void => {
  const countAt = writer.length
  writer.u8(0)
  let count = 0
  // Over the keys the value has (usually few), not over every field the table knows.
  for (const key in value) {
    const v = value[key]
    if (v === undefined || !Object.hasOwn(fields, key)) continue
    writer.u8(fields[key].code)
    writeValue(writer, v)
    count++
  }
  writer.setU8(countAt, count)
}

const readFields = <T>(reader: Reader, byCode: ReadonlyMap<number, Field<Mutable<T>>>, what: string): Mutable<T> => {
  const target: Mutable<T> = {}
  const count = reader.u8()
  for (let i = 0; i < count; i++) {
    const code = reader.u8()
    const field = byCode.get(code)
    const value = readValue(reader)
    if (field === undefined || !field.set(target, value)) {
      throw new MalformedRecord(`${what} field ${code} has an unknown code or a value of the wrong type`)
    }
  }
  return target
}

/** Appends an envelope record, framed, to `writer`; throws `RangeError` if it is too large. */
export const writeEnvelope = (writer: Writer, envelope: Envelope): void =>
  writeFrame(writer, () => {
    writer.u8(RecordType.Envelope)
    writer.f64(envelope.acceptedAt)
    writer.u32(envelope.body.length)
    writer.string(envelope.destination)
    writer.bytesField(envelope.msgId)
    writeFields(writer, DESCRIPTOR_FIELDS, envelope.descriptor)
    const properties = Object.entries(envelope.properties)
    writer.u32(properties.length)
    for (const [name, value] of properties) {
      writer.string(name)
      writeValue(writer, value)
    }
    // A presence byte: an envelope without options comes back without them, one with `{}` with `{}`.
    if (envelope.options === undefined) writer.u8(0)
    else {
      writer.u8(1)
      writeFields(writer, OPTION_FIELDS, envelope.options)
    }
    writer.raw(envelope.body)
  })

/** What the index needs of an envelope record: where it goes and how large its body is. */
export interface EnvelopeSummary {
  readonly bodyBytes: number
  readonly destination: string
}

const readEnvelopeType = (reader: Reader): void => {
  const type = reader.u8()
  if (type !== RecordType.Envelope) throw new MalformedRecord(`expected an envelope record, found type ${type}`)
}

/** The summary of the envelope payload `bytes[start, end)`, from its first fields only. */
export const summarizeEnvelope = (bytes: Uint8Array, start: number, end: number): EnvelopeSummary => {
  const reader = new Reader(bytes, start, end)
  readEnvelopeType(reader)
  reader.f64()
  const bodyBytes = reader.u32()
  return { bodyBytes, destination: reader.string() }
}

/** `acceptedAt` of the envelope payload starting at `bytes[start]`: its first field. */
export const envelopeAcceptedAt = (bytes: Uint8Array, start: number, end: number): number => {
  const reader = new Reader(bytes, start, end)
  readEnvelopeType(reader)
  return reader.f64()
}

/**
 * The envelope in the payload `bytes[start, end)`; with `owned` (see `Reader`), its body and byte
 * fields are views of `bytes`.
 */
export const decodeEnvelope = (bytes: Uint8Array, start: number, end: number, owned = false): Envelope =>
  readEnvelope(new Reader(bytes, start, end, owned), undefined)

/**
 * The envelope in the payload at `reader`, as held under `id` (see `Log.take`): the destination is
 * the one the index filed it under, so its bytes are skipped rather than decoded again.
 */
export const decodeStored = (reader: Reader, id: string, destination: string): Stored =>
  readEnvelope(reader, { id, destination })

function readEnvelope(reader: Reader, held: undefined): Envelope
function readEnvelope(reader: Reader, held: { readonly id: string; readonly destination: string }): Stored
function readEnvelope(reader: Reader, held: { readonly id: string; readonly destination: string } | undefined): Envelope | Stored {
  readEnvelopeType(reader)
  const acceptedAt = reader.f64()
  const bodyBytes = reader.u32()
  let destination: string
  if (held === undefined) destination = reader.string()
  else {
    reader.skipString()
    destination = held.destination
  }
  const msgId = reader.bytesField()
  const descriptor: PutDescriptor = readFields(reader, DESCRIPTOR_BY_CODE, "descriptor")
  const propertyCount = reader.u32()
  let properties: Properties = {}
  if (propertyCount > 0) {
    const entries: Array<[string, PropertyValue]> = []
    for (let i = 0; i < propertyCount; i++) entries.push([reader.string(), readValue(reader)])
    // fromEntries defines own properties, so a property named "__proto__" stays a property.
    properties = Object.fromEntries(entries)
  }
  const options: SendOptions | undefined = reader.u8() === 1 ? readFields(reader, OPTION_BY_CODE, "put option") : undefined
  const body = reader.raw(bodyBytes)
  if (!reader.done) throw new MalformedRecord("bytes left over after the body")
  // One object literal per shape: the drainer reads thousands of these.
  if (held === undefined) {
    return options === undefined
      ? { destination, body, descriptor, properties, msgId, acceptedAt }
      : { destination, body, descriptor, properties, msgId, acceptedAt, options }
  }
  return options === undefined
    ? { id: held.id, destination, body, descriptor, properties, msgId, acceptedAt }
    : { id: held.id, destination, body, descriptor, properties, msgId, acceptedAt, options }
}

const MAX_LOCATIONS_PER_FRAME = 65536

/** Appends acknowledgement frames for `locations` to `writer`, several when there are many (frames stay small). */
export const writeAcknowledged = (writer: Writer, locations: ReadonlyArray<Location>): void => {
  for (let from = 0; from < locations.length; from += MAX_LOCATIONS_PER_FRAME) {
    const part = locations.slice(from, from + MAX_LOCATIONS_PER_FRAME)
    writeFrame(writer, () => {
      writer.u8(RecordType.Acknowledged)
      writer.u32(part.length)
      for (const { segment, offset } of part) {
        writer.u32(segment)
        writer.u32(offset)
      }
    })
  }
}

/** Calls `each` for every location of the acknowledgement payload `bytes[start, end)`. */
export const forEachAcknowledged = (
  bytes: Uint8Array,
  start: number,
  end: number,
  each: (segment: number, offset: number) => void
): void => {
  const reader = new Reader(bytes, start, end)
  const type = reader.u8()
  if (type !== RecordType.Acknowledged) throw new MalformedRecord(`expected an acknowledgement record, found type ${type}`)
  const count = reader.u32()
  for (let i = 0; i < count; i++) each(reader.u32(), reader.u32())
}

/** Appends a dead-letter frame: where the envelope was, why and when it was set aside, and its payload as stored. */
export const writeDeadLetter = (
  writer: Writer,
  location: Location,
  reason: string,
  deadLetteredAt: number,
  envelopePayload: Uint8Array
): void =>
  writeFrame(writer, () => {
    writer.u8(RecordType.DeadLetter)
    writer.u32(location.segment)
    writer.u32(location.offset)
    writer.f64(deadLetteredAt)
    writer.string(reason)
    writer.raw(envelopePayload)
  })

export interface DecodedDeadLetter {
  readonly location: Location
  readonly reason: string
  readonly deadLetteredAt: number
  /** Where the embedded envelope payload starts in the bytes given. */
  readonly envelopeStart: number
}

/** The header of the dead-letter payload `bytes[start, end)`; the envelope follows at `envelopeStart`. */
export const decodeDeadLetter = (bytes: Uint8Array, start: number, end: number): DecodedDeadLetter => {
  const reader = new Reader(bytes, start, end)
  const type = reader.u8()
  if (type !== RecordType.DeadLetter) throw new MalformedRecord(`expected a dead-letter record, found type ${type}`)
  const segment = reader.u32()
  const offset = reader.u32()
  const deadLetteredAt = reader.f64()
  const reason = reader.string()
  return { location: { segment, offset }, reason, deadLetteredAt, envelopeStart: reader.position }
}

/** Appends a quarantine frame: damaged bytes found at a place in a segment, kept for a person to inspect. */
export const writeQuarantined = (
  writer: Writer,
  location: Location,
  reason: string,
  quarantinedAt: number,
  damaged: Uint8Array
): void =>
  writeFrame(writer, () => {
    writer.u8(RecordType.Quarantined)
    writer.u32(location.segment)
    writer.u32(location.offset)
    writer.f64(quarantinedAt)
    writer.string(reason)
    writer.raw(damaged)
  })

/** Where the quarantine payload `bytes[start, end)` came from. */
export const quarantinedLocation = (bytes: Uint8Array, start: number, end: number): Location => {
  const reader = new Reader(bytes, start, end)
  const type = reader.u8()
  if (type !== RecordType.Quarantined) throw new MalformedRecord(`expected a quarantine record, found type ${type}`)
  return { segment: reader.u32(), offset: reader.u32() }
}
