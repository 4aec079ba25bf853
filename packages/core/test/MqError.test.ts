import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { ConnectionUnavailable } from "../src/MqConnection.ts"
import { classify, describeCause, type ErrorClass, isMqError, MqError, mqError, type Verb, Verbs } from "../src/MqError.ts"
import { allReasonCodes, CompletionCode, reasonName } from "../src/ReasonCode.ts"
import { issuePaths } from "./schemaIssues.ts"

describe("MqError", () => {
  it("reads like MQ: verb, object, reason name and number", () => {
    const error = mqError("MQPUT", 2053, { object: "DEV.QUEUE.1" })
    assert.strictEqual(error.message, "MQPUT on DEV.QUEUE.1: MQRC_Q_FULL (2053)")
  })

  it("leaves the object out of the message when there is none", () => {
    assert.strictEqual(mqError("MQCONNX", 2538).message, "MQCONNX: MQRC_HOST_NOT_AVAILABLE (2538)")
    assert.strictEqual(mqError("MQCMIT", 2003, { object: "" }).message, "MQCMIT: MQRC_BACKED_OUT (2003)")
  })

  it("names a reason MQ does not define by its number", () => {
    assert.strictEqual(mqError("MQGET", 1234, { object: "Q" }).message, "MQGET on Q: MQRC_UNKNOWN_1234 (1234)")
  })

  it("carries the verb, codes, reason name, object, queue manager and cause a caller needs", () => {
    const cause = new Error("from the binding")
    const error = mqError("MQPUT", 2053, { object: "DEV.QUEUE.1", queueManager: "QM1", cause })
    assert.strictEqual(error.verb, "MQPUT")
    assert.strictEqual(error.completionCode, CompletionCode.FAILED)
    assert.strictEqual(error.reason, 2053)
    assert.strictEqual(error.reasonName, "MQRC_Q_FULL")
    assert.strictEqual(error.object, "DEV.QUEUE.1")
    assert.strictEqual(error.queueManager, "QM1")
    assert.strictEqual(error.cause, cause)
  })

  it("keeps a warning completion code when given one", () => {
    const error = mqError("MQCMIT", 2003, { completionCode: CompletionCode.WARNING })
    assert.strictEqual(error.completionCode, CompletionCode.WARNING)
  })

  it("leaves optional fields absent rather than undefined", () => {
    const error = mqError("MQGET", 2016)
    assert.isFalse("object" in error)
    assert.isFalse("queueManager" in error)
    assert.isFalse("cause" in error)
  })

  it("is a Schema.TaggedError with _tag MqError, an Error and recognised by isMqError", () => {
    const error = mqError("MQOPEN", 2085, { object: "NO.SUCH.QUEUE" })
    assert.strictEqual(error._tag, "MqError")
    assert.instanceOf(error, MqError)
    assert.instanceOf(error, Error)
    assert.isTrue(isMqError(error))
    assert.isFalse(isMqError(new Error("MQOPEN on NO.SUCH.QUEUE: MQRC_UNKNOWN_OBJECT_NAME (2085)")))
  })

  it.effect("is yieldable: yielding it fails the Effect with that error", () =>
    Effect.gen(function*() {
      const error = mqError("MQPUT", 2053, { object: "DEV.QUEUE.1" })
      const failed = yield* Effect.flip(Effect.gen(function*() {
        return yield* error
      }))
      assert.strictEqual(failed, error)
    }))

  it.effect("is caught by its tag", () =>
    Effect.gen(function*() {
      const reason = yield* mqError("MQGET", 2009, { object: "DEV.QUEUE.1" }).pipe(
        Effect.catchTag("MqError", (error) => Effect.succeed(error.reason))
      )
      assert.strictEqual(reason, 2009)
    }))

  it.effect("decodes from its fields and refuses a completion code of OK or an unknown verb, naming the field", () =>
    Effect.gen(function*() {
      const decoded = yield* Schema.decodeUnknownEffect(MqError)({
        _tag: "MqError",
        verb: "MQPUT",
        completionCode: 2,
        reason: 2053,
        object: "DEV.QUEUE.1"
      })
      assert.instanceOf(decoded, MqError)
      assert.strictEqual(decoded.message, "MQPUT on DEV.QUEUE.1: MQRC_Q_FULL (2053)")

      const refused = yield* Effect.flip(
        Schema.decodeUnknownEffect(MqError)(
          { _tag: "MqError", verb: "MQFOO", completionCode: 0, reason: 2053 },
          { errors: "all" }
        )
      )
      assert.sameMembers([...issuePaths(refused)], ["verb", "completionCode"])
    }))

  it("answers its class through errorClass, by verb and reason", () => {
    assert.strictEqual(mqError("MQPUT", 2009).errorClass, "outcome-unknown")
    assert.strictEqual(mqError("MQGET", 2009).errorClass, "connection")
    assert.strictEqual(mqError("MQCMIT", 2003).errorClass, "backed-out")
    assert.strictEqual(mqError("MQPUT", 2053).errorClass, "transient")
    assert.strictEqual(mqError("MQCONNX", 2035).errorClass, "permanent")
  })
})

describe("describeCause", () => {
  it("gives a cause's own message, or its string form, and never throws", () => {
    assert.strictEqual(describeCause(new Error("from the binding")), "from the binding")
    assert.strictEqual(describeCause({ message: "serialized" }), "serialized")
    assert.strictEqual(describeCause(2009), "2009")
    assert.strictEqual(describeCause(Object.create(null)), "an error without a message")
  })

  it("is what ConnectionUnavailable says of its cause, even one without a prototype", () => {
    const error = new ConnectionUnavailable({ state: "failed", cause: Object.create(null) })
    assert.strictEqual(error.message, "the connection failed for good: an error without a message")
  })
})

// The classification of DESIGN.md ("MqError and classification"), with the codes `classify` names.
const effectfulVerbs: ReadonlyArray<Verb> = ["MQPUT", "MQPUT1", "MQCMIT"]
const otherVerbs: ReadonlyArray<Verb> = Verbs.filter((verb) => !effectfulVerbs.includes(verb))

/** Outcome unknown on put, put1 and commit (the call may have been done); connection on every other verb. */
const inFlightLost = [2009, 2162, 2203]
const outcomeUnknown = [2549]
const backedOut = [2003]
const connection = [2025, 2059, 2161, 2202, 2537, 2538, 2543, 2544, 2548, 2556, 2601]
const transient = [2016, 2024, 2042, 2051, 2053, 2071, 2102, 2192]
const permanent = [2035, 2085, 2030, 2046, 2058, 2393, 2547, 2539, 2540, 2033, 2018, 2019, 2080, 2546, 2555]

const named = (codes: ReadonlyArray<number>) => codes.map((code) => ({ code, name: reasonName(code) }))

const expectEveryVerb = (code: number, expected: ErrorClass, verbs: ReadonlyArray<Verb> = Verbs) => {
  for (const verb of verbs) assert.strictEqual(classify(verb, code), expected, `${code} on ${verb}`)
}

describe("classify", () => {
  it.each(effectfulVerbs)("2009 MQRC_CONNECTION_BROKEN on %s is outcome-unknown: the call may have completed", (verb) => {
    assert.strictEqual(classify(verb, 2009), "outcome-unknown")
  })

  it.each(otherVerbs)("2009 MQRC_CONNECTION_BROKEN on %s is a connection error", (verb) => {
    assert.strictEqual(classify(verb, 2009), "connection")
  })

  it.each(named([2162, 2203]))(
    "$code $name is outcome-unknown on put, put1 and commit and a connection error on every other verb",
    ({ code }) => {
      expectEveryVerb(code, "outcome-unknown", effectfulVerbs)
      expectEveryVerb(code, "connection", otherVerbs)
    }
  )

  it.each(named(outcomeUnknown))("$code $name is outcome-unknown on every verb", ({ code }) => {
    expectEveryVerb(code, "outcome-unknown")
  })

  it.each(named(backedOut))("$code $name is backed-out on every verb", ({ code }) => {
    expectEveryVerb(code, "backed-out")
  })

  it.each(named(connection))("$code $name is a connection error on every verb", ({ code }) => {
    expectEveryVerb(code, "connection")
  })

  it.each(named(transient))("$code $name is transient on every verb", ({ code }) => {
    expectEveryVerb(code, "transient")
  })

  it.each(named(permanent))("$code $name is permanent on every verb", ({ code }) => {
    expectEveryVerb(code, "permanent")
  })

  it("classifies every other code MQ defines as permanent, on every verb", () => {
    const listed = new Set([...inFlightLost, ...outcomeUnknown, ...backedOut, ...connection, ...transient])
    const others = [...allReasonCodes().keys()].filter((code) => code !== 0 && !listed.has(code))
    assert.isAbove(others.length, 400)
    for (const code of others) expectEveryVerb(code, "permanent")
  })

  it("classifies a code MQ does not define as permanent: an unknown failure is never retried", () => {
    expectEveryVerb(1234, "permanent")
    expectEveryVerb(950, "permanent")
    expectEveryVerb(99999, "permanent")
  })
})
