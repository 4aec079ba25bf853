import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import {
  Format,
  IDENTIFIER_NONE,
  isNoIdentifier,
  MessageDescriptor,
  MsgType,
  Persistence,
  PutDescriptor
} from "../src/MessageDescriptor.ts"
import { headerNumber } from "./cmqcHeader.ts"
import { issuePaths } from "./schemaIssues.ts"

const decodePut = (input: unknown) => Schema.decodeUnknownEffect(PutDescriptor)(input, { errors: "all" })
const decodeResolved = (input: unknown) => Schema.decodeUnknownEffect(MessageDescriptor)(input, { errors: "all" })

const bytes = (length: number, fill = 1) => new Uint8Array(length).fill(fill)

describe("PutDescriptor", () => {
  it.effect("accepts a descriptor with no fields: MQ's defaults apply", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* decodePut({}), {})
    }))

  it.effect("accepts every field set to a valid value and returns them unchanged", () =>
    Effect.gen(function*() {
      const descriptor = {
        report: 0,
        msgType: MsgType.REQUEST,
        expiry: 600,
        feedback: 0,
        encoding: 546,
        codedCharSetId: 1208,
        format: Format.STRING,
        priority: 9,
        persistence: Persistence.PERSISTENT,
        msgId: bytes(24),
        correlId: bytes(24, 2),
        replyToQ: "DEV.QUEUE.2",
        replyToQMgr: "QM1",
        userIdentifier: "app",
        accountingToken: bytes(32, 3),
        applIdentityData: "identity",
        putApplType: 6,
        putApplName: "orders",
        putDate: "20260101",
        putTime: "12000000",
        applOriginData: "ab",
        groupId: bytes(24, 4),
        msgSeqNumber: 1,
        offset: 0,
        msgFlags: 0
      }
      assert.deepStrictEqual(yield* decodePut(descriptor), descriptor)
    }))

  it.effect.each([
    { why: "unlimited expiry (-1)", input: { expiry: -1 } },
    { why: "an expiry of one tenth of a second", input: { expiry: 1 } },
    { why: "priority as the queue defines it (-1)", input: { priority: -1 } },
    { why: "priority 0", input: { priority: 0 } },
    { why: "a priority above 9, which MQ caps with a warning", input: { priority: 12 } },
    { why: "not persistent", input: { persistence: Persistence.NOT_PERSISTENT } },
    { why: "persistence as the queue defines it", input: { persistence: Persistence.AS_Q_DEF } },
    { why: "the all-zero MsgId (MQMI_NONE)", input: { msgId: IDENTIFIER_NONE } }
  ])("accepts $why", ({ input }) =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* decodePut(input), input)
    }))

  it.effect.each([
    { why: "a 23-byte msgId", field: "msgId", input: { msgId: bytes(23) } },
    { why: "a 25-byte correlId", field: "correlId", input: { correlId: bytes(25) } },
    { why: "an expiry of 0", field: "expiry", input: { expiry: 0 } },
    { why: "an expiry of -2", field: "expiry", input: { expiry: -2 } },
    { why: "a fractional expiry", field: "expiry", input: { expiry: 1.5 } },
    { why: "priority -2", field: "priority", input: { priority: -2 } },
    { why: "persistence 3", field: "persistence", input: { persistence: 3 } },
    { why: "a replyToQ over 48 characters", field: "replyToQ", input: { replyToQ: "R".repeat(49) } },
    { why: "a format over 8 characters", field: "format", input: { format: "MQSTRING1" } },
    { why: "a string msgId", field: "msgId", input: { msgId: "414d5120514d31" } }
  ])("refuses $why, naming $field", ({ field, input }) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodePut(input))
      assert.deepStrictEqual(issuePaths(error), [field])
      assert.include(error.message, `["${field}"]`)
    }))

  it.effect("reports every field in error at once", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodePut({ msgId: bytes(23), expiry: 0, priority: -2, persistence: 3 }))
      assert.sameMembers([...issuePaths(error)], ["msgId", "expiry", "priority", "persistence"])
    }))

  const textFields = [
    { field: "format", length: "MQ_FORMAT_LENGTH" },
    { field: "replyToQ", length: "MQ_Q_NAME_LENGTH" },
    { field: "replyToQMgr", length: "MQ_Q_MGR_NAME_LENGTH" },
    { field: "userIdentifier", length: "MQ_USER_ID_LENGTH" },
    { field: "applIdentityData", length: "MQ_APPL_IDENTITY_DATA_LENGTH" },
    { field: "putApplName", length: "MQ_PUT_APPL_NAME_LENGTH" },
    { field: "putDate", length: "MQ_PUT_DATE_LENGTH" },
    { field: "putTime", length: "MQ_PUT_TIME_LENGTH" },
    { field: "applOriginData", length: "MQ_APPL_ORIGIN_DATA_LENGTH" }
  ]

  it.effect.each(textFields)("accepts a $field of up to $length characters and refuses one more", ({ field, length }) =>
    Effect.gen(function*() {
      const max = headerNumber(length)
      yield* decodePut({ [field]: "x".repeat(max) })
      yield* decodePut({ [field]: "" })
      const error = yield* Effect.flip(decodePut({ [field]: "x".repeat(max + 1) }))
      assert.deepStrictEqual(issuePaths(error), [field])
    }))

  const byteFields = [
    { field: "msgId", length: "MQ_MSG_ID_LENGTH" },
    { field: "correlId", length: "MQ_CORREL_ID_LENGTH" },
    { field: "groupId", length: "MQ_GROUP_ID_LENGTH" },
    { field: "accountingToken", length: "MQ_ACCOUNTING_TOKEN_LENGTH" }
  ]

  it.effect.each(byteFields)("accepts a $field of exactly $length bytes and refuses any other length", ({ field, length }) =>
    Effect.gen(function*() {
      const exact = headerNumber(length)
      yield* decodePut({ [field]: bytes(exact) })
      for (const wrong of [0, exact - 1, exact + 1]) {
        const error = yield* Effect.flip(decodePut({ [field]: bytes(wrong) }))
        assert.deepStrictEqual(issuePaths(error), [field], `${wrong} bytes`)
      }
    }))
})

describe("MessageDescriptor", () => {
  const resolved = {
    report: 0,
    msgType: MsgType.DATAGRAM,
    expiry: -1,
    feedback: 0,
    encoding: 546,
    codedCharSetId: 1208,
    format: Format.STRING,
    priority: 0,
    persistence: Persistence.NOT_PERSISTENT,
    msgId: bytes(24),
    correlId: IDENTIFIER_NONE,
    backoutCount: 0,
    replyToQ: "",
    replyToQMgr: "QM1",
    userIdentifier: "app",
    accountingToken: bytes(32, 0),
    applIdentityData: "",
    putApplType: 6,
    putApplName: "orders",
    putDate: "20260101",
    putTime: "12000000",
    applOriginData: "",
    groupId: IDENTIFIER_NONE,
    msgSeqNumber: 1,
    offset: 0,
    msgFlags: 0,
    originalLength: -1
  }

  it.effect("accepts a descriptor as a get returns it", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* decodeResolved(resolved), resolved)
    }))

  it.effect("refuses persistence AS_Q_DEF: a put resolves it to 0 or 1", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeResolved({ ...resolved, persistence: Persistence.AS_Q_DEF }))
      assert.deepStrictEqual(issuePaths(error), ["persistence"])
    }))

  it.effect("refuses a descriptor missing a field, naming it", () =>
    Effect.gen(function*() {
      const { msgId: _msgId, ...withoutMsgId } = resolved
      const error = yield* Effect.flip(decodeResolved(withoutMsgId))
      assert.deepStrictEqual(issuePaths(error), ["msgId"])
    }))
})

describe("identifiers", () => {
  it("IDENTIFIER_NONE is MQMI_NONE: 24 zero bytes", () => {
    assert.strictEqual(IDENTIFIER_NONE.length, headerNumber("MQ_MSG_ID_LENGTH"))
    assert.isTrue(IDENTIFIER_NONE.every((b) => b === 0))
  })

  it("isNoIdentifier is true only when every byte is zero", () => {
    assert.isTrue(isNoIdentifier(IDENTIFIER_NONE))
    assert.isTrue(isNoIdentifier(new Uint8Array(24)))
    const id = new Uint8Array(24)
    id[23] = 1
    assert.isFalse(isNoIdentifier(id))
  })
})
