import type { Properties, PropertyValue } from "@resilient-mq/core"
import { MalformedFrame, type Reader, type Writer } from "./Codec.ts"

/** `MQTYPE_*` of cmqc.h. */
export const MQTYPE = {
  NULL: 0x2,
  BOOLEAN: 0x4,
  BYTE_STRING: 0x8,
  INT8: 0x10,
  INT16: 0x20,
  INT32: 0x40,
  INT64: 0x80,
  FLOAT32: 0x100,
  FLOAT64: 0x200,
  STRING: 0x400
} as const

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

/**
 * The type a value is sent with. The model keeps values, not types, so a number goes back as INT32
 * when it is an integer that fits, else as FLOAT64 (README, known differences).
 */
const typeOf = (value: PropertyValue): number => {
  if (value === null) return MQTYPE.NULL
  switch (typeof value) {
    case "boolean":
      return MQTYPE.BOOLEAN
    case "string":
      return MQTYPE.STRING
    case "bigint":
      return MQTYPE.INT64
    case "number":
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? MQTYPE.INT32 : MQTYPE.FLOAT64
    default:
      return MQTYPE.BYTE_STRING
  }
}

const encoder = new TextEncoder()

const valueBytes = (value: PropertyValue, type: number, w: Writer): void => {
  if (value === null) {
    w.u32(0)
  } else if (value instanceof Uint8Array) {
    w.bytes(value)
  } else if (typeof value === "string") {
    w.bytes(encoder.encode(value))
  } else if (typeof value === "boolean") {
    w.u32(4).i32(value ? 1 : 0)
  } else if (typeof value === "bigint") {
    w.u32(8).i64(value)
  } else if (type === MQTYPE.INT32) {
    w.u32(4).i32(value)
  } else {
    w.u32(8).f64(value)
  }
}

export const writeProperties = (w: Writer, properties: Properties): void => {
  const entries = Object.entries(properties)
  w.u32(entries.length)
  for (const [name, value] of entries) {
    const type = typeOf(value)
    w.str(name).i32(type)
    valueBytes(value, type, w)
  }
}

const decoder = new TextDecoder()

// The types whose value has a fixed width, and how to read it.
const fixedWidth = new Map<number, readonly [number, (r: Reader) => PropertyValue]>([
  [MQTYPE.NULL, [0, () => null]],
  [MQTYPE.BOOLEAN, [4, (r) => r.i32() !== 0]],
  [MQTYPE.INT8, [1, (r) => r.i8()]],
  [MQTYPE.INT16, [2, (r) => r.i16()]],
  [MQTYPE.INT32, [4, (r) => r.i32()]],
  [MQTYPE.INT64, [8, (r) => r.i64()]],
  [MQTYPE.FLOAT32, [4, (r) => r.f32()]],
  [MQTYPE.FLOAT64, [8, (r) => r.f64()]]
])

const readValue = (type: number, r: Reader): PropertyValue => {
  const length = r.u32()
  if (type === MQTYPE.STRING) return decoder.decode(r.raw(length))
  if (type === MQTYPE.BYTE_STRING) return r.raw(length)
  const fixed = fixedWidth.get(type)
  if (fixed === undefined) throw new MalformedFrame(`unknown property type ${type}`)
  const [width, read] = fixed
  if (length !== width) throw new MalformedFrame(`a property of type ${type} has ${width} bytes, not ${length}`)
  return read(r)
}

export const readProperties = (r: Reader): Properties => {
  const count = r.u32()
  const entries: Array<[string, PropertyValue]> = []
  for (let i = 0; i < count; i++) {
    const name = r.str()
    entries.push([name, readValue(r.i32(), r)])
  }
  // fromEntries defines properties, so a name such as `__proto__` is only a name.
  return Object.fromEntries(entries)
}
