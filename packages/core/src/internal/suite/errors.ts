import { assert } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { Inhibit } from "../../Attribute.ts"
import { Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  drain,
  expectMessage,
  expectMqError,
  group,
  openQueue,
  type SuiteLayer,
  text,
  uniqueName,
  within
} from "./helpers.ts"

/** The reason codes of refused opens, puts and gets (MQ-BEHAVIOUR §2.3, §3.3, §4, §7). */
export const errorCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("errors", suiteLayer, (it) => {
    it.effect("opening or put1 to an undefined queue fails with 2085", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const hconn = yield* connect(target)
        const missing = uniqueName("MISSING")
        yield* expectMqError(openQueue(hconn, missing, { output: true }), "MQOPEN", 2085)
        yield* expectMqError(mqi.put1(hconn, { type: "queue", name: missing }, { body: "x" }), "MQPUT1", 2085)
      }))

    it.effect("a put to a queue at its maximum depth fails with 2053", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR", { maxDepth: 2 })
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        for (const body of ["1", "2"]) yield* mqi.put(hobj, { body })
        yield* expectMqError(mqi.put(hobj, { body: "3" }), "MQPUT", 2053)
        yield* expectMessage(mqi.get(hobj))
        yield* mqi.put(hobj, { body: "3" })
        assert.deepStrictEqual(yield* drain(hobj), ["2", "3"])
      }))

    it.effect("a message longer than the queue's maximum message length fails with 2030", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR", { maxMessageLength: 16 })
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: new Uint8Array(16) })
        yield* expectMqError(mqi.put(hobj, { body: new Uint8Array(17) }), "MQPUT", 2030)
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(got.body.length, 16)
      }))

    it.effect("a put-inhibited queue refuses puts with 2051 until allowed again", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true, set: true })
        yield* mqi.set(hobj, { InhibitPut: Inhibit.INHIBITED })
        yield* expectMqError(mqi.put(hobj, { body: "refused" }), "MQPUT", 2051)
        yield* mqi.set(hobj, { InhibitPut: Inhibit.ALLOWED })
        yield* mqi.put(hobj, { body: "accepted" })
        assert.deepStrictEqual(yield* drain(hobj), ["accepted"])
      }))

    it.effect("a get-inhibited queue refuses gets with 2016 until allowed again", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true, set: true })
        yield* mqi.put(hobj, { body: "waiting" })
        yield* mqi.set(hobj, { InhibitGet: Inhibit.INHIBITED })
        yield* expectMqError(mqi.get(hobj), "MQGET", 2016)
        yield* mqi.set(hobj, { InhibitGet: Inhibit.ALLOWED })
        assert.deepStrictEqual(yield* drain(hobj), ["waiting"])
      }))

    it.effect("inhibiting gets ends a waiting get with 2016", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR")
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const setter = yield* openQueue(yield* connect(target), queue, { set: true })
        const waiting = yield* Effect.forkChild(mqi.get(input, { wait: "3 seconds" }))
        yield* Effect.sleep("100 millis")
        yield* mqi.set(setter, { InhibitGet: Inhibit.INHIBITED })
        yield* expectMqError(Fiber.join(waiting).pipe(within("4 seconds", "the waiting get")), "MQGET", 2016)
      }))

    it.effect("a handle used for what it was not opened for fails with 2036 to 2040", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR")
        const hconn = yield* connect(target)
        const outputOnly = yield* openQueue(hconn, queue, { output: true })
        const inputOnly = yield* openQueue(hconn, queue, { input: "shared" })
        yield* mqi.put(outputOnly, { body: "present" })
        yield* expectMqError(mqi.put(inputOnly, { body: "x" }), "MQPUT", 2039)
        yield* expectMqError(mqi.get(outputOnly), "MQGET", 2037)
        yield* expectMqError(mqi.get(inputOnly, { browse: "first" }), "MQGET", 2036)
        yield* expectMqError(mqi.inquire(outputOnly, ["CurrentQDepth"]), "MQINQ", 2038)
        yield* expectMqError(mqi.set(outputOnly, { InhibitPut: Inhibit.INHIBITED }), "MQSET", 2040)
        assert.deepStrictEqual(yield* drain(inputOnly), ["present"], "the refused calls changed nothing")
      }))

    it.effect("a closed handle fails with 2019", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR")
        const hobj = yield* openQueue(yield* connect(target), queue, {
          input: "shared",
          output: true,
          inquire: true
        })
        yield* mqi.close(hobj)
        yield* expectMqError(mqi.put(hobj, { body: "x" }), "MQPUT", 2019)
        yield* expectMqError(mqi.get(hobj), "MQGET", 2019)
        yield* expectMqError(mqi.inquire(hobj, ["CurrentQDepth"]), "MQINQ", 2019)
        yield* expectMqError(mqi.close(hobj), "MQCLOSE", 2019)
      }))

    it.effect("a queue open for exclusive input refuses any other input open with 2042", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ERR")
        const first = yield* connect(target)
        const second = yield* connect(target)
        const exclusive = yield* openQueue(first, queue, { input: "exclusive" })
        yield* expectMqError(openQueue(second, queue, { input: "exclusive" }), "MQOPEN", 2042)
        yield* expectMqError(openQueue(second, queue, { input: "shared" }), "MQOPEN", 2042)
        // Output is not input: it is still allowed.
        const output = yield* openQueue(second, queue, { output: true })
        yield* mqi.put(output, { body: "for the exclusive reader" })
        yield* mqi.close(exclusive)
        const reader = yield* openQueue(second, queue, { input: "exclusive" })
        assert.strictEqual(text(yield* expectMessage(mqi.get(reader))), "for the exclusive reader")
      }))

    it.effect("exclusive input is refused with 2042 while the queue is open for shared input", () =>
      Effect.gen(function*() {
        const queue = yield* defineQueue(target, "ERR")
        yield* openQueue(yield* connect(target), queue, { input: "shared" })
        yield* expectMqError(openQueue(yield* connect(target), queue, { input: "exclusive" }), "MQOPEN", 2042)
      }))
  })
