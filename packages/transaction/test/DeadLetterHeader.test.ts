import { assert, describe, it } from "@effect/vitest"
import { Format, type Message, type MessageDescriptor } from "@resilient-mq/core"
import { DEAD_LETTER_HEADER_LENGTH, type DeadLetterHeader, encodeDeadLetterHeader } from "../src/DeadLetterHeader.ts"
import { decodeDeadLetterHeader } from "../src/index.ts"

const header: DeadLetterHeader = {
  reason: 2362,
  destQName: "DEV.QUEUE.1",
  destQMgrName: "QM1",
  encoding: 273,
  codedCharSetId: 1208,
  format: Format.STRING,
  putApplType: 6,
  putApplName: "resilient-mq/transaction",
  putDate: "20250508",
  putTime: "12345678"
}

// Only the fields the decoder reads matter here.
const onDeadLetterQueue = (body: Uint8Array, encoding: number, format: string = Format.DEAD_LETTER_HEADER): Message => ({
  body,
  descriptor: { format, encoding } as MessageDescriptor,
  properties: {},
  dataLength: body.length
})

const withData = (bytes: Uint8Array, data: string): Uint8Array => {
  const text = new TextEncoder().encode(data)
  const body = new Uint8Array(bytes.length + text.length)
  body.set(bytes)
  body.set(text, bytes.length)
  return body
}

describe("the dead-letter header (MQDLH)", () => {
  it("is 172 bytes with cmqc.h's layout: StrucId, version 1, blank-padded names", () => {
    const bytes = encodeDeadLetterHeader(header, 546)
    assert.strictEqual(bytes.length, DEAD_LETTER_HEADER_LENGTH)
    const view = new DataView(bytes.buffer)
    assert.strictEqual(String.fromCharCode(...bytes.subarray(0, 4)), "DLH ")
    assert.strictEqual(view.getInt32(4, true), 1)
    assert.strictEqual(view.getInt32(8, true), 2362)
    assert.strictEqual(String.fromCharCode(...bytes.subarray(12, 60)), "DEV.QUEUE.1".padEnd(48, " "))
    assert.strictEqual(String.fromCharCode(...bytes.subarray(116, 124)), "MQSTR   ")
    assert.strictEqual(String.fromCharCode(...bytes.subarray(164, 172)), "12345678")
  })

  it("reads back what was written, in either integer encoding, with the data behind it", () => {
    for (const encoding of [546, 273]) {
      const decoded = decodeDeadLetterHeader(onDeadLetterQueue(withData(encodeDeadLetterHeader(header, encoding), "poison"), encoding))
      assert.deepStrictEqual(decoded?.header, header, `encoding ${encoding}`)
      assert.strictEqual(new TextDecoder().decode(decoded?.body), "poison")
    }
  })

  it("is not found in a message of another format, or too short to hold one", () => {
    const bytes = encodeDeadLetterHeader(header)
    assert.isUndefined(decodeDeadLetterHeader(onDeadLetterQueue(bytes, 546, Format.STRING)))
    assert.isUndefined(decodeDeadLetterHeader(onDeadLetterQueue(bytes.subarray(0, 100), 546)))
  })
})
