import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { type Hobj, Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  drain,
  expectMessage,
  expectMqError,
  expectNoMessage,
  group,
  openQueue,
  type SuiteLayer,
  text
} from "./helpers.ts"

/** Browses a message that must be there, returning its body. */
const browsed = (hobj: Hobj, browse: "first" | "next" | "under-cursor") =>
  Mqi.use((mqi) => expectMessage(mqi.get(hobj, { browse }), `a message to browse ${browse}`)).pipe(Effect.map(text))

/** The browse cursor (MQ-BEHAVIOUR §4.7). */
export const browseCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("browse", suiteLayer, (it) => {
    it.effect("browse first and next walk the queue in order and remove nothing", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "BROWSE")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true, browse: true })
        for (const body of ["a", "b", "c"]) yield* mqi.put(hobj, { body })
        assert.strictEqual(yield* browsed(hobj, "first"), "a")
        assert.strictEqual(yield* browsed(hobj, "next"), "b")
        assert.strictEqual(yield* browsed(hobj, "next"), "c")
        yield* expectNoMessage(mqi.get(hobj, { browse: "next" }), "nothing after the last message")
        assert.deepStrictEqual(yield* drain(hobj), ["a", "b", "c"], "browsing removed nothing")
      }))

    it.effect("browse next right after open starts at the first message", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "BROWSE")
        const hconn = yield* connect(target)
        const output = yield* openQueue(hconn, queue, { output: true })
        for (const body of ["a", "b"]) yield* mqi.put(output, { body })
        const hobj = yield* openQueue(hconn, queue, { browse: true })
        assert.strictEqual(yield* browsed(hobj, "next"), "a")
        assert.strictEqual(yield* browsed(hobj, "next"), "b")
      }))

    it.effect("a browse cursor sees messages that arrive behind it", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "BROWSE")
        const hobj = yield* openQueue(yield* connect(target), queue, { output: true, browse: true })
        for (const body of ["a", "b"]) yield* mqi.put(hobj, { body })
        assert.strictEqual(yield* browsed(hobj, "first"), "a")
        yield* mqi.put(hobj, { body: "c" })
        assert.strictEqual(yield* browsed(hobj, "next"), "b")
        assert.strictEqual(yield* browsed(hobj, "next"), "c")
        yield* expectNoMessage(mqi.get(hobj, { browse: "next" }))
      }))

    it.effect("a higher-priority message put ahead of the cursor is seen only after browse first", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "BROWSE", { deliverySequence: "priority" })
        const hobj = yield* openQueue(yield* connect(target), queue, { output: true, browse: true })
        for (const body of ["a", "b"]) yield* mqi.put(hobj, { body, descriptor: { priority: 0 } })
        assert.strictEqual(yield* browsed(hobj, "first"), "a")
        yield* mqi.put(hobj, { body: "urgent", descriptor: { priority: 9 } })
        assert.strictEqual(yield* browsed(hobj, "next"), "b")
        yield* expectNoMessage(mqi.get(hobj, { browse: "next" }), "the urgent message to be behind the cursor")
        assert.strictEqual(yield* browsed(hobj, "first"), "urgent")
      }))

    it.effect("browse under cursor returns the message under the cursor again", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "BROWSE")
        const hobj = yield* openQueue(yield* connect(target), queue, { output: true, browse: true })
        for (const body of ["a", "b"]) yield* mqi.put(hobj, { body })
        assert.strictEqual(yield* browsed(hobj, "first"), "a")
        assert.strictEqual(yield* browsed(hobj, "next"), "b")
        assert.strictEqual(yield* browsed(hobj, "under-cursor"), "b")
        assert.strictEqual(yield* browsed(hobj, "under-cursor"), "b")
      }))

    it.effect("a get under the cursor removes the browsed message", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "BROWSE")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true, browse: true })
        for (const body of ["a", "b", "c"]) yield* mqi.put(hobj, { body })
        assert.strictEqual(yield* browsed(hobj, "first"), "a")
        assert.strictEqual(yield* browsed(hobj, "next"), "b")
        const removed = yield* expectMessage(mqi.get(hobj, { underCursor: true }))
        assert.strictEqual(text(removed), "b")
        assert.deepStrictEqual(yield* drain(hobj), ["a", "c"])
      }))

    it.effect("under the cursor before any browse there is no message (2034)", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "BROWSE")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true, browse: true })
        yield* mqi.put(hobj, { body: "a" })
        yield* expectMqError(mqi.get(hobj, { browse: "under-cursor" }), "MQGET", 2034)
        yield* expectMqError(mqi.get(hobj, { underCursor: true }), "MQGET", 2034)
        assert.deepStrictEqual(yield* drain(hobj), ["a"])
      }))
  })
