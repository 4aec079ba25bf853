import { assert, describe, it } from "@effect/vitest"
import type { Envelope } from "@resilient-mq/buffer"
import { decodeDeadLetter, decodeEnvelope, encodeEnvelope } from "../src/internal/codec.ts"

const full: Envelope = {
  destination: "APP.QUEUE.É",
  body: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
  descriptor: {
    report: 1,
    msgType: 8,
    expiry: 600,
    format: "MQSTR",
    priority: 4,
    persistence: 1,
    correlId: new Uint8Array(24).fill(2),
    replyToQ: "REPLY",
    replyToQMgr: "",
    accountingToken: new Uint8Array(32).fill(3),
    groupId: new Uint8Array(24).fill(4),
    msgSeqNumber: 2
  },
  properties: {
    big: 2n ** 70n + 1n,
    negative: -(2n ** 64n),
    bytes: new Uint8Array([0, 255, 7]),
    empty: new Uint8Array(0),
    nothing: null,
    yes: true,
    no: false,
    fraction: -0.5,
    negativeZero: -0,
    notANumber: Number.NaN,
    infinite: Number.NEGATIVE_INFINITY,
    text: "✓ é \n \" {\"$b\":\"AA==\"}",
    blank: "",
    // Names that look like the tags of the encoding are names like any other.
    $b: "not bytes",
    $n: 1,
    // Computed: a literal `"__proto__":` key would set the prototype instead of a property.
    ["__proto__"]: "a property like any other"
  },
  options: { newCorrelId: true, context: "pass-all", retain: false, warnIfNoSubscribers: true, failIfQuiescing: false },
  msgId: new Uint8Array(24).fill(9),
  acceptedAt: 1_700_000_000_123.5
}

const roundTrip = (envelope: Envelope) => {
  const fields = encodeEnvelope(envelope)
  return decodeEnvelope("1:Q", envelope.destination, fields.head, fields.body)
}

describe("envelope entries", () => {
  it("keep every kind of descriptor field and property value, the put options and the body's bytes", () => {
    const decoded = roundTrip(full)
    assert.deepStrictEqual(decoded, { ...full, id: "1:Q" })
    assert.isTrue(Object.is(decoded?.properties["negativeZero"], -0))
    assert.isTrue(Object.hasOwn(decoded!.properties, "__proto__"))
    assert.strictEqual(Object.getPrototypeOf(decoded!.properties), Object.prototype)
    assert.strictEqual(Object.getPrototypeOf(decoded!.body), Uint8Array.prototype, "a plain Uint8Array, not a pooled Buffer")
  })

  it("give back an envelope without options without them, and an empty one empty", () => {
    const { options: _, ...withoutOptions } = full
    assert.isFalse("options" in roundTrip(withoutOptions)!)
    const bare: Envelope = { destination: "Q", body: new Uint8Array(0), descriptor: {}, properties: {}, msgId: new Uint8Array(24), acceptedAt: 0 }
    assert.deepStrictEqual(roundTrip(bare), { ...bare, id: "1:Q" })
  })

  it("say the body's size in the head, for the scripts", () => {
    assert.match(encodeEnvelope(full).head, /^1700000000123\.5 300 \{/)
    assert.strictEqual(encodeEnvelope(full).bodyBytes, 300)
  })

  it("are refused when they are not what the store writes", () => {
    const { head, body } = encodeEnvelope(full)
    for (const bad of ["", "1 2", "1 2 {", "1 2 {}", `1 2 ${JSON.stringify({ d: {}, p: { big: { $n: "no" } }, i: { $b: "" } })}`]) {
      assert.isUndefined(decodeEnvelope("1:Q", "Q", bad, body), bad)
    }
    assert.isUndefined(decodeEnvelope("1:Q", "Q", head, undefined))
    assert.isUndefined(decodeDeadLetter(["i", "1:Q", "d", "Q"]))
    const letter = decodeDeadLetter(["i", "1:Q", "d", "Q", "r", "refused", "a", "42", "h", head, "b", body])
    assert.deepStrictEqual(letter, { ...full, destination: "Q", id: "1:Q", reason: "refused", deadLetteredAt: 42 })
  })
})
