import { assert } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { IDENTIFIER_NONE } from "../../MessageDescriptor.ts"
import { Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  drain,
  expectMessage,
  expectMqError,
  expectNoMessage,
  group,
  hex,
  identifier,
  openQueue,
  type SuiteLayer,
  text,
  within
} from "./helpers.ts"

/** Which message a get returns, and when: matching, order, expiry, waiting, truncation (MQ-BEHAVIOUR §4). */
export const deliveryCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("delivery", suiteLayer, (it) => {
    it.effect("a get matching a message id returns that message", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "MATCH")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        for (const label of ["a", "b", "c"]) {
          yield* mqi.put(hobj, { body: label, descriptor: { msgId: identifier(`id-${label}`) } })
        }
        const b = yield* expectMessage(mqi.get(hobj, { match: { msgId: identifier("id-b") } }))
        assert.strictEqual(text(b), "b")
        assert.strictEqual(hex(b.descriptor.msgId), hex(identifier("id-b")))
        yield* expectNoMessage(mqi.get(hobj, { match: { msgId: identifier("id-b") } }), "b to be gone")
        yield* expectNoMessage(mqi.get(hobj, { match: { msgId: identifier("id-none") } }), "no match")
        assert.deepStrictEqual(yield* drain(hobj), ["a", "c"])
      }))

    it.effect("a get matching a correlation id returns the first message with it", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "MATCH")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const x = identifier("correl-x")
        const y = identifier("correl-y")
        yield* mqi.put(hobj, { body: "x1", descriptor: { correlId: x } })
        yield* mqi.put(hobj, { body: "y1", descriptor: { correlId: y } })
        yield* mqi.put(hobj, { body: "y2", descriptor: { correlId: y } })
        const first = yield* expectMessage(mqi.get(hobj, { match: { correlId: y } }))
        assert.strictEqual(text(first), "y1")
        assert.strictEqual(hex(first.descriptor.correlId), hex(y))
        assert.strictEqual(text(yield* expectMessage(mqi.get(hobj, { match: { correlId: y } }))), "y2")
        yield* expectNoMessage(mqi.get(hobj, { match: { correlId: y } }))
        assert.deepStrictEqual(yield* drain(hobj), ["x1"])
      }))

    it.effect("a get matching both identifiers needs both to match", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "MATCH")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const msgId = identifier("both-msg")
        const correlId = identifier("both-correl")
        yield* mqi.put(hobj, { body: "both", descriptor: { msgId, correlId } })
        yield* expectNoMessage(mqi.get(hobj, { match: { msgId, correlId: identifier("other") } }))
        const got = yield* expectMessage(mqi.get(hobj, { match: { msgId, correlId } }))
        assert.strictEqual(text(got), "both")
      }))

    it.effect("a zero identifier matches any message", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "MATCH")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: "one", descriptor: { msgId: identifier("m1"), correlId: identifier("c1") } })
        yield* mqi.put(hobj, { body: "two", descriptor: { msgId: identifier("m2"), correlId: identifier("c2") } })
        const first = yield* expectMessage(mqi.get(hobj, { match: { msgId: IDENTIFIER_NONE } }))
        assert.strictEqual(text(first), "one")
        const second = yield* expectMessage(
          mqi.get(hobj, { match: { msgId: IDENTIFIER_NONE, correlId: IDENTIFIER_NONE } })
        )
        assert.strictEqual(text(second), "two")
      }))

    it.effect("a priority queue delivers the highest priority first, in arrival order within a priority", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ORDER", { deliverySequence: "priority" })
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        for (const [body, priority] of [["p2", 2], ["p7a", 7], ["p4", 4], ["p7b", 7], ["p0", 0]] as const) {
          yield* mqi.put(hobj, { body, descriptor: { priority } })
        }
        assert.deepStrictEqual(yield* drain(hobj), ["p7a", "p7b", "p4", "p2", "p0"])
      }))

    it.effect("a FIFO queue delivers in arrival order whatever the priority", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ORDER", { deliverySequence: "fifo" })
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        for (const [body, priority] of [["p2", 2], ["p7", 7], ["p4", 4], ["p9", 9]] as const) {
          yield* mqi.put(hobj, { body, descriptor: { priority } })
        }
        const first = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(first.descriptor.priority, 2, "the priority is kept even though it does not order")
        assert.deepStrictEqual([text(first), ...(yield* drain(hobj))], ["p2", "p7", "p4", "p9"])
      }))

    it.effect("an expired message is never returned", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "EXPIRY")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true, browse: true })
        yield* mqi.put(hobj, { body: "short-lived", descriptor: { expiry: 1 } }) // a tenth of a second
        yield* mqi.put(hobj, { body: "lasting" })
        yield* Effect.sleep("300 millis")
        const browsed = yield* expectMessage(mqi.get(hobj, { browse: "first" }))
        assert.strictEqual(text(browsed), "lasting", "a browse skips the expired message")
        assert.deepStrictEqual(yield* drain(hobj), ["lasting"])
      }))

    it.effect("a get returns the remaining expiry", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "EXPIRY")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: "counting down", descriptor: { expiry: 600 } })
        yield* Effect.sleep("350 millis")
        const got = yield* expectMessage(mqi.get(hobj))
        assert.isAbove(got.descriptor.expiry, 0)
        assert.isBelow(got.descriptor.expiry, 600, "the time on the queue is taken off the expiry")
      }))

    it.effect("a get with wait returns a message put while it waits", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "WAIT")
        // Another connection puts: a waiting MQGET holds its own (shared) connection handle.
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const output = yield* openQueue(yield* connect(target), queue, { output: true })
        const waiting = yield* Effect.forkChild(mqi.get(input, { wait: "3 seconds" }))
        yield* Effect.sleep("100 millis")
        yield* mqi.put(output, { body: "arrived" })
        const got = yield* expectMessage(Fiber.join(waiting).pipe(within("4 seconds", "the waiting get")))
        assert.strictEqual(text(got), "arrived")
      }))

    it.effect("a get with wait answers no message when the wait ends", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "WAIT")
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        yield* expectNoMessage(mqi.get(input, { wait: "200 millis" }).pipe(within("3 seconds", "the waiting get")))
      }))

    it.effect("a message longer than maxLength fails the get with 2080 and stays on the queue", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "TRUNC")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const body = "0123456789".repeat(10)
        yield* mqi.put(hobj, { body })
        yield* expectMqError(mqi.get(hobj, { maxLength: 10 }), "MQGET", 2080)
        const got = yield* expectMessage(mqi.get(hobj), "the message that did not fit")
        assert.strictEqual(text(got), body)
      }))

    it.effect("acceptTruncated returns the start of the body and the full dataLength, and removes the message", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "TRUNC")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const body = "0123456789".repeat(10)
        yield* mqi.put(hobj, { body })
        const got = yield* expectMessage(mqi.get(hobj, { maxLength: 10, acceptTruncated: true }))
        assert.strictEqual(text(got), "0123456789")
        assert.strictEqual(got.dataLength, 100)
        yield* expectNoMessage(mqi.get(hobj), "the truncated message to be removed")
      }))
  })
