import type { Envelope } from "@resilient-mq/buffer"
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Writer } from "../src/internal/bytes.ts"
import { crc32c } from "../src/internal/crc32c.ts"
import { checksumMatches, HEADER_BYTES, plausibleLength } from "../src/internal/Frame.ts"
import {
  decodeDeadLetter,
  decodeEnvelope,
  envelopeAcceptedAt,
  summarizeEnvelope,
  writeDeadLetter,
  writeEnvelope
} from "../src/internal/Records.ts"
import { scan, type ScanItem } from "../src/internal/Scanner.ts"

const ascii = (text: string) => new TextEncoder().encode(text)

const frameOf = (envelope: Envelope): Uint8Array => {
  const writer = new Writer()
  writeEnvelope(writer, envelope)
  return writer.written().slice()
}

const full: Envelope = {
  destination: "APP.QUEUE.É",
  body: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
  descriptor: {
    report: 1,
    msgType: 8,
    expiry: 600,
    feedback: 0,
    encoding: 273,
    codedCharSetId: 1208,
    format: "MQSTR",
    priority: 4,
    persistence: 1,
    msgId: new Uint8Array(24).fill(1),
    correlId: new Uint8Array(24).fill(2),
    replyToQ: "REPLY",
    replyToQMgr: "QM1",
    userIdentifier: "app",
    accountingToken: new Uint8Array(32).fill(3),
    applIdentityData: "id",
    putApplType: 28,
    putApplName: "name",
    putDate: "20250101",
    putTime: "12000000",
    applOriginData: "orig",
    groupId: new Uint8Array(24).fill(4),
    msgSeqNumber: 2,
    offset: 0,
    msgFlags: 0
  },
  properties: {
    big: 2n ** 70n + 1n,
    negative: -(2n ** 64n),
    bytes: new Uint8Array([0, 255, 7]),
    nothing: null,
    yes: true,
    no: false,
    fraction: -0.5,
    text: "✓ é",
    empty: "",
    // Computed: a literal `"__proto__":` key would set the prototype instead of a property.
    ["__proto__"]: "a property like any other"
  },
  options: { newCorrelId: true, context: "pass-all", retain: false, warnIfNoSubscribers: true, failIfQuiescing: false },
  msgId: new Uint8Array(24).fill(9),
  acceptedAt: 1_700_000_000_123
}

describe("CRC-32C", () => {
  it("matches the RFC 3720 test vectors", () => {
    assert.strictEqual(crc32c(ascii("123456789")), 0xe3069283)
    assert.strictEqual(crc32c(new Uint8Array(32)), 0x8a9136aa)
    assert.strictEqual(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43)
    assert.strictEqual(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e)
    assert.strictEqual(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c)
  })

  it("covers exactly the range it is given, at any alignment", () => {
    const data = ascii("xx123456789yy")
    assert.strictEqual(crc32c(data, 2, 11), 0xe3069283)
  })
})

describe("envelope records", () => {
  it("keep every descriptor field, every kind of property value and the put options", () => {
    const frame = frameOf(full)
    const decoded = decodeEnvelope(frame, HEADER_BYTES, frame.length)
    assert.deepStrictEqual(decoded, full)
    assert.isTrue(Object.hasOwn(decoded.properties, "__proto__"))
    assert.strictEqual(Object.getPrototypeOf(decoded.properties), Object.prototype)
  })

  it("give back an envelope without options without them, and empty ones empty", () => {
    const { options: _, ...withoutOptions } = full
    const none = frameOf(withoutOptions)
    assert.isFalse("options" in decodeEnvelope(none, HEADER_BYTES, none.length))
    const empty = frameOf({ ...full, options: {} })
    assert.deepStrictEqual(decodeEnvelope(empty, HEADER_BYTES, empty.length).options, {})
  })

  it("keep an empty body, an empty descriptor and no properties", () => {
    const bare: Envelope = { destination: "Q", body: new Uint8Array(0), descriptor: {}, properties: {}, msgId: new Uint8Array(24), acceptedAt: 0 }
    const frame = frameOf(bare)
    assert.deepStrictEqual(decodeEnvelope(frame, HEADER_BYTES, frame.length), bare)
  })

  it("are summarised from their first fields, for the index", () => {
    const frame = frameOf(full)
    assert.deepStrictEqual(summarizeEnvelope(frame, HEADER_BYTES, frame.length), { bodyBytes: 300, destination: "APP.QUEUE.É" })
    assert.strictEqual(envelopeAcceptedAt(frame, HEADER_BYTES, HEADER_BYTES + 9), full.acceptedAt)
  })

  it("are framed with the magic number, the payload length and a checksum that covers both", () => {
    const frame = frameOf(full)
    const view = new DataView(frame.buffer)
    assert.deepStrictEqual([...frame.subarray(0, 4)], [0xd5, 0x52, 0x4d, 0x51])
    assert.strictEqual(view.getUint32(8, true), frame.length - HEADER_BYTES)
    assert.strictEqual(view.getUint32(4, true), crc32c(frame, 8, frame.length))
    assert.strictEqual(plausibleLength(frame, 0, frame.length), frame.length - HEADER_BYTES)
    assert.isTrue(checksumMatches(frame, 0, frame.length - HEADER_BYTES))
  })

  it("are refused when any bit of them changed", () => {
    const frame = frameOf(full)
    for (let at = 0; at < frame.length; at += 7) {
      const damaged = frame.slice()
      damaged[at]! ^= 0x10
      const length = plausibleLength(damaged, 0, damaged.length)
      assert.isFalse(length >= 0 && checksumMatches(damaged, 0, length), `a change at byte ${at} went unnoticed`)
    }
  })

  it("are refused when cut short", () => {
    const frame = frameOf(full)
    assert.strictEqual(plausibleLength(frame, 0, frame.length - 1), -1)
    assert.strictEqual(plausibleLength(frame, 0, HEADER_BYTES - 1), -1)
  })

  it("travel whole inside a dead letter, with its place, reason and time", () => {
    const frame = frameOf(full)
    const writer = new Writer()
    writeDeadLetter(writer, { segment: 3, offset: 4096 }, "2085 unknown queue", 42, frame.subarray(HEADER_BYTES))
    const letter = writer.written()
    const header = decodeDeadLetter(letter, HEADER_BYTES, letter.length)
    assert.deepStrictEqual(header.location, { segment: 3, offset: 4096 })
    assert.strictEqual(header.reason, "2085 unknown queue")
    assert.strictEqual(header.deadLetteredAt, 42)
    assert.deepStrictEqual(decodeEnvelope(letter, header.envelopeStart, letter.length), full)
  })
})

describe("scanning a file", () => {
  const scanBytes = (bytes: Uint8Array): Array<ScanItem> => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "resilient-mq-scan-")), "file")
    fs.writeFileSync(file, bytes)
    const fd = fs.openSync(file, "r")
    try {
      return [...scan(fd, bytes.length)].map((item) => item._tag === "Frame" ? { ...item, bytes: new Uint8Array(0) } : item)
    } finally {
      fs.closeSync(fd)
      fs.rmSync(path.dirname(file), { recursive: true })
    }
  }
  const concat = (...parts: ReadonlyArray<Uint8Array>) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const part of parts) {
      all.set(part, at)
      at += part.length
    }
    return all
  }
  const frames = [0, 1, 2].map((n) => frameOf({ ...full, acceptedAt: n }))
  const [a, b, c] = frames as [Uint8Array, Uint8Array, Uint8Array]

  it("finds every frame of an intact file", () => {
    const items = scanBytes(concat(a, b, c))
    assert.deepStrictEqual(items.map((item) => [item._tag, item.offset]), [["Frame", 0], ["Frame", a.length], ["Frame", a.length + b.length]])
  })

  it("resynchronises on the next good frame after damage in the middle", () => {
    const damaged = b.slice()
    damaged[HEADER_BYTES + 40]! ^= 1
    const garbage = new Uint8Array(1000).fill(0xd5)
    const items = scanBytes(concat(a, damaged, garbage, c))
    assert.deepStrictEqual(items.map((item) => item._tag), ["Frame", "Damaged", "Frame"])
    assert.deepStrictEqual(items[1], { _tag: "Damaged", offset: a.length, end: a.length + b.length + garbage.length })
  })

  it("reports a torn last frame as damage that reaches the end of the file", () => {
    const torn = concat(a, b, c.subarray(0, c.length - 10))
    const items = scanBytes(torn)
    assert.deepStrictEqual(items.at(-1), { _tag: "Damaged", offset: a.length + b.length, end: torn.length })
  })

  it("reports zeros left at the end by a crash as damage", () => {
    const items = scanBytes(concat(a, new Uint8Array(4096)))
    assert.deepStrictEqual(items.at(-1), { _tag: "Damaged", offset: a.length, end: a.length + 4096 })
  })

  it("reads frames larger than its window", () => {
    const large = frameOf({ ...full, body: new Uint8Array(3 * 1024 * 1024).fill(5) })
    const items = scanBytes(concat(a, large, b))
    assert.deepStrictEqual(items.map((item) => item._tag === "Frame" ? item.length : -1), [a.length, large.length, b.length])
  })
})
