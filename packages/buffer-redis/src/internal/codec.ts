import type { DeadLetter, Envelope, SendOptions, Stored } from "@resilient-mq/buffer"
import type { Properties, PropertyValue, PutDescriptor } from "@resilient-mq/core"
import { Buffer } from "node:buffer"
import { Schema } from "effect"

/**
 * How an envelope is kept in a stream entry: two fields in this order, `h` (the head:
 * `<acceptedAt> <body bytes> <the rest of the envelope as JSON>`) and `b` (the body as Latin-1
 * text). The scripts read `acceptedAt` (for the depth's oldest) and the body's size (for the depth)
 * from the head. Two fields rather than one per value: fewer strings to send and to store make
 * appends cheaper on both sides.
 *
 * The body is text because Effect's `Redis` service sends and receives strings only. Latin-1 maps
 * every byte to one character and back; the client sends that text as UTF-8 and decodes it again, so
 * bytes below 0x80 take one byte in Redis and the others two. Text bodies, the common case for MQ,
 * cost nothing extra; base64 would cost a third more on every body.
 */
export interface Fields {
  readonly head: string
  readonly body: string
  readonly bodyBytes: number
}

// JSON has no bytes, bigints, non-finite numbers or negative zero: small tagged objects stand for
// them. Only values are ever tagged (descriptor fields, property values, the MsgId), never the
// records that hold them, and decoding looks for tags only where values are.
const replacer = (_key: string, value: unknown): unknown => {
  if (value instanceof Uint8Array) return { $b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") }
  if (typeof value === "bigint") return { $n: value.toString() }
  if (typeof value === "number" && (!Number.isFinite(value) || Object.is(value, -0))) return { $f: Object.is(value, -0) ? "-0" : String(value) }
  return value
}

const Bytes = Schema.Struct({ $b: Schema.String })
const Value = Schema.Union([
  Schema.Null,
  Schema.Boolean,
  Schema.Number,
  Schema.String,
  Bytes,
  Schema.Struct({ $n: Schema.String }),
  Schema.Struct({ $f: Schema.String })
])

// The JSON of the head, as `encodeEnvelope` writes it. Deliberately no stricter than the types an
// append accepts: a store that refused to hand back what it took would block its destination for good.
const Meta = Schema.Struct({
  d: Schema.Record(Schema.String, Value),
  p: Schema.Record(Schema.String, Value),
  o: Schema.optionalKey(Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Boolean]))),
  i: Bytes
})
const isMeta = Schema.is(Meta)

const bytesOfBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"))

const revive = (value: typeof Value.Type): PropertyValue =>
  typeof value !== "object" || value === null
    ? value
    : "$b" in value
    ? bytesOfBase64(value.$b)
    : "$n" in value
    ? BigInt(value.$n)
    : Number(value.$f)

// `fromEntries` defines each key as an own property, `__proto__` included.
const reviveAll = (record: { readonly [name: string]: typeof Value.Type }): Properties =>
  Object.fromEntries(Object.entries(record).map(([name, value]) => [name, revive(value)]))

export const encodeEnvelope = (envelope: Envelope): Fields => {
  const { body } = envelope
  const meta = JSON.stringify({ d: envelope.descriptor, p: envelope.properties, o: envelope.options, i: envelope.msgId }, replacer)
  return {
    head: `${envelope.acceptedAt} ${body.length} ${meta}`,
    body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("latin1"),
    bodyBytes: body.length
  }
}

// One copy, straight into a buffer of its own (`Buffer.from(text)` may hand out a slice of a shared pool).
const bytesOf = (latin1: string): Uint8Array => {
  const bytes = new Uint8Array(latin1.length)
  Buffer.from(bytes.buffer).write(latin1, "latin1")
  return bytes
}

/**
 * An envelope from its two fields (as `encodeEnvelope` made them), under its id. `undefined` when
 * they are not what this store writes.
 */
export const decodeEnvelope = (
  id: string,
  destination: string,
  head: string | undefined,
  body: string | undefined
): Stored | undefined => {
  if (head === undefined || body === undefined) return undefined
  const afterAcceptedAt = head.indexOf(" ")
  const afterSize = head.indexOf(" ", afterAcceptedAt + 1)
  if (afterAcceptedAt < 0 || afterSize < 0) return undefined
  try {
    const meta: unknown = JSON.parse(head.slice(afterSize + 1))
    if (!isMeta(meta)) return undefined
    return {
      id,
      destination,
      body: bytesOf(body),
      // The checks above are on the types' shape; the descriptor and options are what was appended.
      descriptor: reviveAll(meta.d) as PutDescriptor,
      properties: reviveAll(meta.p),
      ...(meta.o === undefined ? {} : { options: meta.o as SendOptions }),
      msgId: bytesOfBase64(meta.i.$b),
      acceptedAt: Number(head.slice(0, afterAcceptedAt))
    }
  } catch {
    // Not JSON, or a tagged bigint that is no number.
    return undefined
  }
}

/** A stream entry as the client hands it back: its id and its fields, name and value in turn. */
export type Entry = readonly [string, ReadonlyArray<string>]

/**
 * A dead letter from the fields of its entry: `i` (the envelope's id), `d` (its destination), `r`
 * (the reason), `a` (when), then the envelope's `h` and `b`. `undefined` when they are not that.
 */
export const decodeDeadLetter = (f: ReadonlyArray<string>): DeadLetter | undefined => {
  const [, id, , destination, , reason, , at, , head, , body] = f
  if (id === undefined || destination === undefined || reason === undefined || at === undefined) return undefined
  const stored = decodeEnvelope(id, destination, head, body)
  return stored === undefined ? undefined : { ...stored, reason, deadLetteredAt: Number(at) }
}
