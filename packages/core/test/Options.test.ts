import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { getOptionBits } from "../src/GetOptions.ts"
import { closeOptionBits, objectName, openOptionBits } from "../src/OpenOptions.ts"
import { putOptionBits } from "../src/PutOptions.ts"

// Expected values are cmqc.h's, written out: test/ReasonCode.test.ts checks the constants themselves.
const FAIL_IF_QUIESCING = 0x2000

describe("openOptionBits", () => {
  it("sets only MQOO_FAIL_IF_QUIESCING when nothing else is asked", () => {
    assert.strictEqual(openOptionBits({}), FAIL_IF_QUIESCING)
  })

  it("drops MQOO_FAIL_IF_QUIESCING when failIfQuiescing is false", () => {
    assert.strictEqual(openOptionBits({ output: true, failIfQuiescing: false }), 0x10)
    assert.strictEqual(openOptionBits({ failIfQuiescing: false }), 0)
  })

  it.each([
    { input: "as-queue-definition", name: "MQOO_INPUT_AS_Q_DEF", bits: 0x1 },
    { input: "shared", name: "MQOO_INPUT_SHARED", bits: 0x2 },
    { input: "exclusive", name: "MQOO_INPUT_EXCLUSIVE", bits: 0x4 }
  ] as const)("opens for $input input with $name", ({ input, bits }) => {
    assert.strictEqual(openOptionBits({ input, failIfQuiescing: false }), bits)
  })

  it("ORs MQOO_BROWSE, OUTPUT, INQUIRE and SET", () => {
    assert.strictEqual(openOptionBits({ browse: true, failIfQuiescing: false }), 0x8)
    assert.strictEqual(openOptionBits({ output: true, failIfQuiescing: false }), 0x10)
    assert.strictEqual(openOptionBits({ inquire: true, failIfQuiescing: false }), 0x20)
    assert.strictEqual(openOptionBits({ set: true, failIfQuiescing: false }), 0x40)
    assert.strictEqual(
      openOptionBits({ input: "shared", output: true, browse: true, inquire: true, set: true }),
      0x2 | 0x8 | 0x10 | 0x20 | 0x40 | FAIL_IF_QUIESCING
    )
  })

  it("sets nothing for options given as false", () => {
    assert.strictEqual(openOptionBits({ output: false, browse: false, inquire: false, set: false }), FAIL_IF_QUIESCING)
  })

  it.each([
    { context: "save-all", name: "MQOO_SAVE_ALL_CONTEXT", bits: 0x80 },
    { context: "pass-identity", name: "MQOO_PASS_IDENTITY_CONTEXT", bits: 0x100 },
    { context: "pass-all", name: "MQOO_PASS_ALL_CONTEXT", bits: 0x200 },
    { context: "set-identity", name: "MQOO_SET_IDENTITY_CONTEXT", bits: 0x400 },
    { context: "set-all", name: "MQOO_SET_ALL_CONTEXT", bits: 0x800 }
  ] as const)("opens with $context context as $name", ({ context, bits }) => {
    assert.strictEqual(openOptionBits({ output: true, context }), 0x10 | bits | FAIL_IF_QUIESCING)
  })

  it("ORs raw bits in, for options it does not name", () => {
    // MQOO_BIND_NOT_FIXED | MQOO_READ_AHEAD
    assert.strictEqual(openOptionBits({ output: true, bits: 0x8000 | 0x100000 }), 0x10 | 0x8000 | 0x100000 | FAIL_IF_QUIESCING)
  })
})

describe("closeOptionBits", () => {
  it("closes with MQCO_NONE by default", () => {
    assert.strictEqual(closeOptionBits({}), 0)
  })

  it("deletes a dynamic queue if empty (MQCO_DELETE) or purged (MQCO_DELETE_PURGE)", () => {
    assert.strictEqual(closeOptionBits({ delete: "if-empty" }), 0x1)
    assert.strictEqual(closeOptionBits({ delete: "purge" }), 0x2)
  })

  it("keeps (MQCO_KEEP_SUB) or removes (MQCO_REMOVE_SUB) a subscription", () => {
    assert.strictEqual(closeOptionBits({ subscription: "keep" }), 0x4)
    assert.strictEqual(closeOptionBits({ subscription: "remove" }), 0x8)
  })
})

describe("putOptionBits", () => {
  it("sets only MQPMO_FAIL_IF_QUIESCING by default: no syncpoint option, as the binding does", () => {
    assert.strictEqual(putOptionBits({}), FAIL_IF_QUIESCING)
  })

  it("drops MQPMO_FAIL_IF_QUIESCING when failIfQuiescing is false", () => {
    assert.strictEqual(putOptionBits({ failIfQuiescing: false }), 0)
  })

  it("puts under syncpoint with MQPMO_SYNCPOINT and outside with MQPMO_NO_SYNCPOINT", () => {
    assert.strictEqual(putOptionBits({ syncpoint: true }), 0x2 | FAIL_IF_QUIESCING)
    assert.strictEqual(putOptionBits({ syncpoint: false }), 0x4 | FAIL_IF_QUIESCING)
  })

  it("asks for new identifiers with MQPMO_NEW_MSG_ID and MQPMO_NEW_CORREL_ID", () => {
    assert.strictEqual(putOptionBits({ newMsgId: true, failIfQuiescing: false }), 0x40)
    assert.strictEqual(putOptionBits({ newCorrelId: true, failIfQuiescing: false }), 0x80)
  })

  it.each([
    { context: "default", name: "MQPMO_DEFAULT_CONTEXT", bits: 0x20 },
    { context: "pass-identity", name: "MQPMO_PASS_IDENTITY_CONTEXT", bits: 0x100 },
    { context: "pass-all", name: "MQPMO_PASS_ALL_CONTEXT", bits: 0x200 },
    { context: "set-identity", name: "MQPMO_SET_IDENTITY_CONTEXT", bits: 0x400 },
    { context: "set-all", name: "MQPMO_SET_ALL_CONTEXT", bits: 0x800 },
    { context: "none", name: "MQPMO_NO_CONTEXT", bits: 0x4000 }
  ] as const)("puts with $context context as $name", ({ context, bits }) => {
    assert.strictEqual(putOptionBits({ context, failIfQuiescing: false }), bits)
  })

  it("sets MQPMO_LOGICAL_ORDER, MQPMO_RETAIN and MQPMO_WARN_IF_NO_SUBS_MATCHED", () => {
    assert.strictEqual(putOptionBits({ logicalOrder: true, failIfQuiescing: false }), 0x8000)
    assert.strictEqual(putOptionBits({ retain: true, failIfQuiescing: false }), 0x200000)
    assert.strictEqual(putOptionBits({ warnIfNoSubscribers: true, failIfQuiescing: false }), 0x80000)
  })

  it("ORs raw bits in, for options it does not name", () => {
    // MQPMO_ASYNC_RESPONSE
    assert.strictEqual(putOptionBits({ syncpoint: true, bits: 0x10000 }), 0x2 | 0x10000 | FAIL_IF_QUIESCING)
  })
})

describe("getOptionBits", () => {
  it("by default returns at once (MQGMO_NO_WAIT, wait 0), fails if quiescing, and matches any message", () => {
    assert.deepStrictEqual(getOptionBits({}), { options: FAIL_IF_QUIESCING, matchOptions: 0, waitInterval: 0 })
  })

  it("drops MQGMO_FAIL_IF_QUIESCING when failIfQuiescing is false", () => {
    assert.strictEqual(getOptionBits({ failIfQuiescing: false }).options, 0)
  })

  it("waits with MQGMO_WAIT and the wait in milliseconds", () => {
    assert.deepStrictEqual(getOptionBits({ wait: "5 seconds" }), {
      options: 0x1 | FAIL_IF_QUIESCING,
      matchOptions: 0,
      waitInterval: 5000
    })
    assert.strictEqual(getOptionBits({ wait: Duration.minutes(2) }).waitInterval, 120_000)
    assert.strictEqual(getOptionBits({ wait: 250 }).waitInterval, 250)
  })

  it("keeps MQGMO_WAIT for a zero wait, which MQ treats as a get that does not wait", () => {
    assert.deepStrictEqual(getOptionBits({ wait: 0 }), { options: 0x1 | FAIL_IF_QUIESCING, matchOptions: 0, waitInterval: 0 })
  })

  it("waits without limit (MQWI_UNLIMITED, -1) for \"unlimited\" and for an infinite duration", () => {
    assert.strictEqual(getOptionBits({ wait: "unlimited" }).waitInterval, -1)
    assert.strictEqual(getOptionBits({ wait: "unlimited" }).options, 0x1 | FAIL_IF_QUIESCING)
    assert.strictEqual(getOptionBits({ wait: Duration.infinity }).waitInterval, -1)
  })

  it("gives MQ a whole, non-negative 32-bit number of milliseconds", () => {
    assert.strictEqual(getOptionBits({ wait: "1500 micros" }).waitInterval, 2)
    assert.strictEqual(getOptionBits({ wait: Duration.millis(-1) }).waitInterval, 0)
    assert.strictEqual(getOptionBits({ wait: "30 days" }).waitInterval, 2_147_483_647)
  })

  it.each([
    { syncpoint: true, name: "MQGMO_SYNCPOINT", bits: 0x2 },
    { syncpoint: false, name: "MQGMO_NO_SYNCPOINT", bits: 0x4 },
    { syncpoint: "if-persistent", name: "MQGMO_SYNCPOINT_IF_PERSISTENT", bits: 0x1000 }
  ] as const)("gets with syncpoint $syncpoint as $name", ({ syncpoint, bits }) => {
    assert.strictEqual(getOptionBits({ syncpoint, failIfQuiescing: false }).options, bits)
  })

  it.each([
    { browse: "first", name: "MQGMO_BROWSE_FIRST", bits: 0x10 },
    { browse: "next", name: "MQGMO_BROWSE_NEXT", bits: 0x20 },
    { browse: "under-cursor", name: "MQGMO_BROWSE_MSG_UNDER_CURSOR", bits: 0x800 }
  ] as const)("browses $browse with $name", ({ browse, bits }) => {
    assert.strictEqual(getOptionBits({ browse, failIfQuiescing: false }).options, bits)
  })

  it("removes the message under the cursor, accepts truncation and keeps logical order with their MQGMO bits", () => {
    assert.strictEqual(getOptionBits({ underCursor: true, failIfQuiescing: false }).options, 0x100)
    assert.strictEqual(getOptionBits({ acceptTruncated: true, failIfQuiescing: false }).options, 0x40)
    assert.strictEqual(getOptionBits({ logicalOrder: true, failIfQuiescing: false }).options, 0x8000)
  })

  it("ORs raw bits in, for options it does not name", () => {
    // MQGMO_CONVERT
    assert.strictEqual(getOptionBits({ syncpoint: true, bits: 0x4000 }).options, 0x2 | 0x4000 | FAIL_IF_QUIESCING)
  })

  it("matches on exactly the identifiers given in match (MQMO_MATCH_MSG_ID, _CORREL_ID, _GROUP_ID)", () => {
    const id = new Uint8Array(24).fill(7)
    assert.strictEqual(getOptionBits({ match: {} }).matchOptions, 0)
    assert.strictEqual(getOptionBits({ match: { msgId: id } }).matchOptions, 0x1)
    assert.strictEqual(getOptionBits({ match: { correlId: id } }).matchOptions, 0x2)
    assert.strictEqual(getOptionBits({ match: { groupId: id } }).matchOptions, 0x4)
    assert.strictEqual(getOptionBits({ match: { msgId: id, correlId: id, groupId: id } }).matchOptions, 0x7)
  })
})

describe("objectName", () => {
  it("names a queue, a topic and the queue manager for errors and events", () => {
    assert.strictEqual(objectName({ type: "queue", name: "DEV.QUEUE.1" }), "DEV.QUEUE.1")
    assert.strictEqual(objectName({ type: "topic", name: "DEV.BASE.TOPIC", topicString: "prices" }), "DEV.BASE.TOPIC:prices")
    assert.strictEqual(objectName({ type: "topic", topicString: "dev/prices" }), "dev/prices")
    assert.strictEqual(objectName({ type: "queue-manager" }), "queue manager")
  })
})
