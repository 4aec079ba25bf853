import { assert } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  expectMessage,
  expectNoMessage,
  group,
  openQueue,
  type SuiteLayer,
  text,
  within
} from "./helpers.ts"

/**
 * Asynchronous consumers (MQCB/MQCTL, MQ-BEHAVIOUR §10). Producers use a connection of their own:
 * while a consumer runs, its connection is the callback thread's.
 */
export const consumeCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("consume", suiteLayer, (it) => {
    it.effect("a consumer receives messages put after it started, in order", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONSUME")
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const output = yield* openQueue(yield* connect(target), queue, { output: true })
        const consumer = yield* mqi.consume(input).pipe(Stream.take(3), Stream.runCollect, Effect.forkChild)
        yield* Effect.sleep("100 millis")
        for (const body of ["one", "two", "three"]) yield* mqi.put(output, { body })
        const received = yield* Fiber.join(consumer).pipe(within("3 seconds", "the consumer"))
        assert.deepStrictEqual(received.map(text), ["one", "two", "three"])
      }))

    it.effect("a consumer receives the messages already on the queue first", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONSUME")
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const output = yield* openQueue(yield* connect(target), queue, { output: true })
        for (const body of ["waiting 1", "waiting 2"]) yield* mqi.put(output, { body })
        const consumer = yield* mqi.consume(input).pipe(Stream.take(3), Stream.runCollect, Effect.forkChild)
        yield* Effect.sleep("100 millis")
        yield* mqi.put(output, { body: "new" })
        const received = yield* Fiber.join(consumer).pipe(within("3 seconds", "the consumer"))
        assert.deepStrictEqual(received.map(text), ["waiting 1", "waiting 2", "new"])
      }))

    it.effect("a consumer ends, without failing, when its handle is closed", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONSUME")
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const output = yield* openQueue(yield* connect(target), queue, { output: true })
        const consumer = yield* mqi.consume(input).pipe(Stream.runCollect, Effect.forkChild)
        yield* mqi.put(output, { body: "before close" })
        yield* Effect.sleep("100 millis")
        yield* mqi.close(input)
        const received = yield* Fiber.join(consumer).pipe(within("3 seconds", "the consumer"))
        assert.deepStrictEqual(received.map(text), ["before close"])
      }))

    it.effect("a message consumed under syncpoint is removed by commit", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONSUME")
        const consumerConn = yield* connect(target)
        const input = yield* openQueue(consumerConn, queue, { input: "shared" })
        const marker = yield* openQueue(consumerConn, queue, { output: true })
        const other = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(other, { body: "consumed" })
        const received = yield* mqi.consume(input, { syncpoint: true }).pipe(
          Stream.take(1),
          Stream.runCollect,
          within("3 seconds", "the consumer")
        )
        assert.deepStrictEqual(received.map(text), ["consumed"])
        yield* expectNoMessage(mqi.get(other), "the message in the consumer's unit of work to be hidden")
        yield* mqi.commit(consumerConn)
        // A later backout ends a new unit of work; had the commit not ended the consumer's, it
        // would bring the message back.
        yield* mqi.put(marker, { body: "marker" }, { syncpoint: true })
        yield* mqi.backout(consumerConn)
        yield* expectNoMessage(mqi.get(other), "the committed message to be gone")
      }))

    it.effect("a message consumed under syncpoint comes back on backout with BackoutCount 1", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONSUME")
        const consumerConn = yield* connect(target)
        const input = yield* openQueue(consumerConn, queue, { input: "shared" })
        const other = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(other, { body: "returned" })
        const received = yield* mqi.consume(input, { syncpoint: true }).pipe(
          Stream.take(1),
          Stream.runCollect,
          within("3 seconds", "the consumer")
        )
        assert.deepStrictEqual(received.map(text), ["returned"])
        yield* mqi.backout(consumerConn)
        const again = yield* expectMessage(mqi.get(other), "the backed-out message")
        assert.strictEqual(text(again), "returned")
        assert.strictEqual(again.descriptor.backoutCount, 1)
      }))
  })
