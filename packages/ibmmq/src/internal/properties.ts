import { mqError, type MqError, type Properties, type PropertyValue } from "@resilient-mq/core"
import { Effect, Result } from "effect"
import type { HMSG, MQError, MQQueueManager } from "ibmmq"
import { Buffer } from "node:buffer"
import { asBuffer, mqText } from "./descriptor.ts"
import { type Binding, fromBinding, invoke, type Where } from "./binding.ts"

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

// The binding's MQSETMP types a JavaScript value itself: strings as STRING, numbers as INT32 (it
// truncates anything else to 32 bits), booleans as BOOLEAN, Buffers as BYTE_STRING, null as NULL.
// INT64 and FLOAT64 cannot be set through it, so such values are refused instead of corrupted.
const settable = (value: PropertyValue): value is string | number | boolean | Uint8Array | null =>
  typeof value !== "bigint" && (typeof value !== "number" || (Number.isInteger(value) && value >= INT32_MIN &&
    value <= INT32_MAX))

/** Creates a message handle (MQCRTMH). */
export const createHandle = (mq: Binding, qm: MQQueueManager, where: Where): Effect.Effect<HMSG, MqError> =>
  invoke("MQCRTMH", where, (done) => mq.CrtMh(qm, new mq.MQCMHO(), done))

/** Deletes a message handle (MQDLTMH). */
export const deleteHandle = (mq: Binding, qm: MQQueueManager, hmsg: HMSG, where: Where): Effect.Effect<void, MqError> =>
  invoke("MQDLTMH", where, (done) => mq.DltMh(qm, hmsg, new mq.MQDMHO(), (error) => done(error, undefined)))

/** Sets every property on a message handle (MQSETMP). */
export const setProperties = (
  mq: Binding,
  qm: MQQueueManager,
  hmsg: HMSG,
  properties: Properties,
  where: Where
): Effect.Effect<void, MqError> =>
  Effect.forEach(Object.entries(properties), ([name, value]) =>
    settable(value)
      ? invoke("MQSETMP", where, (done) =>
        mq.SetMp(
          qm,
          hmsg,
          new mq.MQSMPO(),
          name,
          new mq.MQPD(),
          value instanceof Uint8Array ? asBuffer(value) : value,
          (error) => done(error, undefined)
        ))
      : Effect.fail(mqError("MQSETMP", mq.MQC.MQRC_PROPERTY_TYPE_ERROR, { ...where, object: `property ${name}` })),
    { discard: true })

interface Inquired {
  readonly failure: MQError | null
  readonly found?: { readonly name: string; readonly length: number; readonly type: number; readonly simple: unknown }
}

// Values longer than this come back with 2469 and are asked for again with a buffer twice as big.
const INITIAL_VALUE_LENGTH = 1024
const MAX_VALUE_LENGTH = 100 * 1024 * 1024

/**
 * Every property of a message handle (MQINQMP over `%`, in MQ's order). Synchronous, because
 * consumers read the properties inside the binding's callback, before the handle is reused.
 */
export const readProperties = (
  mq: Binding,
  qm: MQQueueManager,
  hmsg: HMSG,
  where: Where
): Result.Result<Properties, MqError> => {
  const MQC = mq.MQC
  const properties: Record<string, PropertyValue> = {}
  const impo = new mq.MQIMPO()
  const pd = new mq.MQPD()
  let value = Buffer.alloc(INITIAL_VALUE_LENGTH)
  impo.Options = MQC.MQIMPO_INQ_FIRST
  for (;;) {
    let outcome: Inquired = { failure: null }
    mq.InqMp(qm, hmsg, impo, pd, "%", value, (error, name, simple, length, type) => {
      outcome = error ? { failure: error } : { failure: null, found: { name, length, type, simple } }
    })
    const { failure, found } = outcome
    if (failure !== null) {
      const reason: number = failure.mqrc
      if (reason === MQC.MQRC_PROPERTY_NOT_AVAILABLE) return Result.succeed(properties)
      if (reason === MQC.MQRC_PROPERTY_VALUE_TOO_BIG && value.length < MAX_VALUE_LENGTH) {
        // The cursor stays on the property that did not fit: ask for it again, with room.
        value = Buffer.alloc(value.length * 2)
        impo.Options = MQC.MQIMPO_INQ_PROP_UNDER_CURSOR
        continue
      }
      return Result.fail(fromBinding("MQINQMP", failure, where))
    }
    if (found === undefined) return Result.succeed(properties)
    properties[mqText(found.name)] = decode(mq, impo.ReturnedEncoding, found.type, value, found.length, found.simple)
    impo.Options = MQC.MQIMPO_INQ_NEXT
  }
}

// The binding decodes strings, booleans and the smaller integers (the `simple` value); the other
// types arrive as bytes in the value buffer, in the encoding MQ reports.
const decode = (
  mq: Binding,
  encoding: number,
  type: number,
  value: Buffer,
  length: number,
  simple: unknown
): PropertyValue => {
  const MQC = mq.MQC
  const littleEndian = (encoding & MQC.MQENC_INTEGER_MASK) === MQC.MQENC_INTEGER_REVERSED
  const littleEndianFloat = (encoding & MQC.MQENC_FLOAT_MASK) === MQC.MQENC_FLOAT_IEEE_REVERSED
  switch (type) {
    case MQC.MQTYPE_NULL:
      return null
    case MQC.MQTYPE_BOOLEAN:
    case MQC.MQTYPE_INT8:
    case MQC.MQTYPE_INT16:
    case MQC.MQTYPE_INT32:
    case MQC.MQTYPE_STRING:
      return typeof simple === "string" || typeof simple === "number" || typeof simple === "boolean"
        ? simple
        : new Uint8Array(value.subarray(0, length))
    case MQC.MQTYPE_INT64:
      return littleEndian ? value.readBigInt64LE(0) : value.readBigInt64BE(0)
    case MQC.MQTYPE_FLOAT32:
      return littleEndianFloat ? value.readFloatLE(0) : value.readFloatBE(0)
    case MQC.MQTYPE_FLOAT64:
      return littleEndianFloat ? value.readDoubleLE(0) : value.readDoubleBE(0)
    default:
      return new Uint8Array(value.subarray(0, length))
  }
}
