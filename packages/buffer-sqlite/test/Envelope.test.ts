import type { Envelope, Stored } from "@resilient-mq/buffer"
import { assert, describe, it } from "@effect/vitest"
import type { PropertyValue, PutDescriptor } from "@resilient-mq/core"
import { DatabaseSync } from "node:sqlite"
import { Effect, Result } from "effect"
import { envelope, numbers, open, temporaryDatabase, withStore } from "./support/helpers.ts"

const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff)

// Every field of the descriptor, so that a field the store forgot shows.
const descriptor: Required<PutDescriptor> = {
  report: 0x0100,
  msgType: 8,
  expiry: 600,
  feedback: 0,
  encoding: 546,
  codedCharSetId: 1208,
  format: "MQSTR",
  priority: 9,
  persistence: 2,
  msgId: bytes(24, 1),
  correlId: bytes(24, 2),
  replyToQ: "REPLY.Q",
  replyToQMgr: "QM2",
  userIdentifier: "app",
  accountingToken: bytes(32, 3),
  applIdentityData: "identity",
  putApplType: 28,
  putApplName: "resilient-mq",
  putDate: "20260101",
  putTime: "12000000",
  applOriginData: "orig",
  groupId: bytes(24, 4),
  msgSeqNumber: 3,
  offset: 1024,
  msgFlags: 0x08
}

// Values JSON cannot hold as they are, and names an object cannot hold as they are.
const properties = Object.fromEntries<PropertyValue>([
  ["notANumber", Number.NaN],
  ["negativeZero", -0],
  ["infinity", Number.POSITIVE_INFINITY],
  ["negativeInfinity", Number.NEGATIVE_INFINITY],
  ["fraction", 0.1 + 0.2],
  ["smallest", Number.MIN_VALUE],
  ["largest", Number.MAX_VALUE],
  ["integer", -7],
  ["huge", 2n ** 70n + 1n],
  ["negativeHuge", -(2n ** 70n)],
  ["zeroBig", 0n],
  ["bytes", bytes(5, 9)],
  ["noBytes", new Uint8Array(0)],
  ["text", "é ✓ 😀 \"quoted\" \\ \u0000"],
  ["empty", ""],
  ["nothing", null],
  ["yes", true],
  ["no", false],
  ["__proto__", "a property, not the prototype"],
  ["b", "a property named like a tag"]
])

const rich = (n: number, options: Envelope["options"]): Envelope => ({
  destination: "RICH.Q",
  body: bytes(300, n),
  descriptor,
  properties,
  ...(options === undefined ? {} : { options }),
  msgId: bytes(24, n),
  acceptedAt: 1_700_000_000_000.5 + n
})

const assertSame = (actual: unknown, expected: unknown, where: string): void => {
  if (expected instanceof Uint8Array) {
    assert.instanceOf(actual, Uint8Array, where)
    assert.deepStrictEqual(Array.from(actual instanceof Uint8Array ? actual : []), Array.from(expected), where)
  } else if (typeof expected === "number") {
    assert.isTrue(Object.is(actual, expected), `${where}: ${String(actual)} is not ${String(expected)}`)
  } else {
    assert.strictEqual(actual, expected, where)
  }
}

const assertRich = (stored: Stored | undefined, expected: Envelope): void => {
  assert.isDefined(stored)
  if (stored === undefined) return
  assert.strictEqual(stored.acceptedAt, expected.acceptedAt)
  assertSame(stored.body, expected.body, "body")
  assertSame(stored.msgId, expected.msgId, "msgId")
  assert.sameMembers(Object.keys(stored.descriptor), Object.keys(expected.descriptor))
  const actual = new Map<string, unknown>(Object.entries(stored.descriptor))
  for (const [key, value] of Object.entries(expected.descriptor)) assertSame(actual.get(key), value, `descriptor ${key}`)
  assert.sameMembers(Object.keys(stored.properties), Object.keys(expected.properties))
  assert.isTrue(Object.hasOwn(stored.properties, "__proto__"))
  assert.strictEqual(Object.getPrototypeOf(stored.properties), Object.prototype)
  for (const [key, value] of Object.entries(expected.properties)) assertSame(stored.properties[key], value, `property ${key}`)
  assert.deepStrictEqual(stored.options, expected.options)
}

describe("envelopes", () => {
  it.effect("every descriptor field, every kind of property value and the put options come back as they were, after a restart too", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const expected = [
        rich(1, undefined),
        rich(2, {}),
        rich(3, { context: "set-all", newCorrelId: true, retain: false, warnIfNoSubscribers: true, failIfQuiescing: false })
      ]
      yield* withStore(filename, ({ store }) =>
        Effect.gen(function*() {
          yield* Effect.forEach(expected, (e) => store.append(e))
          const held = yield* store.take("RICH.Q", 10)
          expected.forEach((e, i) => assertRich(held[i], e))
        }))
      yield* withStore(filename, ({ store }) =>
        Effect.gen(function*() {
          const held = yield* store.take("RICH.Q", 10)
          expected.forEach((e, i) => assertRich(held[i], e))
          assert.isFalse("options" in held[0]!, "an envelope appended without options comes back without them")
          yield* store.deadLetter([held[2]!.id], "refused")
          const [letter] = yield* store.deadLetters("RICH.Q")
          assertRich(letter, expected[2]!)
        }))
    }))

  it.effect("are readable with SQL: the fields as JSON, and none at all for a plain message", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      yield* withStore(filename, ({ store }) =>
        Effect.andThen(
          store.append(rich(1, { context: "set-identity" })),
          store.append({ destination: "PLAIN.Q", body: bytes(10, 1), descriptor: {}, properties: {}, msgId: bytes(24, 1), acceptedAt: 1 })
        ))
      const db = new DatabaseSync(filename, { readOnly: true })
      const rows = db.prepare(
        `SELECT d.name, json_extract(e.meta, '$.descriptor.priority') AS priority, json_extract(e.meta, '$.options.context') AS context,
                json_extract(e.meta, '$.properties.huge.i') AS huge, e.meta IS NULL AS plain
         FROM envelopes e JOIN destinations d ON d.id = e.destination ORDER BY e.seq`
      ).all()
      db.close()
      assert.deepStrictEqual(rows.map((row) => ({ ...row })), [
        { name: "RICH.Q", priority: 9, context: "set-identity", huge: (2n ** 70n + 1n).toString(), plain: 0 },
        { name: "PLAIN.Q", priority: null, context: null, huge: null, plain: 1 }
      ])
    }))

  it.effect("an envelope that cannot be stored fails alone; the others of its group are appended", () =>
    Effect.gen(function*() {
      const { sqlite, store } = yield* open(yield* temporaryDatabase)
      // What only a caller outside the types can send: a property of no MQ type, a time that is no number.
      const badProperty: Envelope = { ...envelope(2), properties: { n: 2, bad: {} as unknown as PropertyValue } }
      const badTime: Envelope = { ...envelope(4), acceptedAt: "now" as unknown as number }
      const results = yield* Effect.forEach(
        [envelope(1), badProperty, envelope(3), badTime, envelope(5)],
        (e) => Effect.result(store.append(e)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(results.map(Result.isSuccess), [true, false, true, false, true])
      for (const result of results) {
        if (Result.isFailure(result)) assert.strictEqual(result.failure._tag, "BufferStoreError")
      }
      assert.strictEqual((yield* sqlite.statistics).commits, 1, "in one group")
      assert.deepStrictEqual(numbers(yield* store.take("Q1", 10)), [1, 3, 5])
      assert.deepStrictEqual(yield* store.depth("Q1"), { messages: 3, bytes: 300, oldestAcceptedAt: 1_700_000_000_001 })
    }))

  it.effect("a row changed by something else fails take with BufferStoreError saying what is wrong", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const { store } = yield* open(filename)
      yield* store.append(envelope(1))
      const db = new DatabaseSync(filename)
      db.exec(`UPDATE envelopes SET meta = '{"descriptor":{"priority":"high"}}'`)
      db.close()
      const error = yield* Effect.flip(store.take("Q1", 1))
      assert.strictEqual(error._tag, "BufferStoreError")
      assert.include(error.message, "priority")
    }))
})
