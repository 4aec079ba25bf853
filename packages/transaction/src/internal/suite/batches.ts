import { assert, describe, it } from "@effect/vitest"
import { QueueManagerControl } from "@resilient-mq/core"
import { Effect } from "effect"
import { BatchTooLarge } from "../../Errors.ts"
import {
  connectGuard,
  defineQueue,
  depth,
  drainText,
  fresh,
  inquireQueueManager,
  type SuiteLayer,
  type SuiteTarget
} from "./helpers.ts"

export const batchCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = fresh(suiteLayer, target)

  describe("transactional batches", () => {
    it.live("a batch is put whole, once, even when its commit is backed out first", () =>
      on(Effect.gen(function*() {
        const output = yield* defineQueue(target, "BATCH")
        const ledger = yield* defineQueue(target, "LEDGER")
        const { guard, mq } = yield* connectGuard(target, { ledgerQueue: ledger })
        const control = yield* QueueManagerControl
        const sink = yield* mq.open({ type: "queue", name: output }, { output: true })
        yield* control.failNext(target.queueManager, "MQCMIT", 2003)
        const bodies = ["1", "2", "3", "4", "5"]
        const descriptors = yield* guard.putBatch(sink, bodies.map((body) => ({ body })))
        assert.lengthOf(descriptors, bodies.length)
        assert.deepStrictEqual(yield* drainText(target, output), bodies)
        assert.strictEqual(yield* depth(target, ledger), 0)
      })))

    it.live("a batch larger than the syncpoint limit fails with BatchTooLarge naming the limit, and nothing is put", () =>
      on(Effect.gen(function*() {
        const output = yield* defineQueue(target, "BATCH")
        const { guard, mq } = yield* connectGuard(target)
        const sink = yield* mq.open({ type: "queue", name: output }, { output: true })
        const { MaxUncommittedMsgs: limit } = yield* inquireQueueManager(target, ["MaxUncommittedMsgs"])
        const size = limit + 1
        const error = yield* Effect.flip(
          guard.putBatch(sink, Array.from({ length: size }, (_, i) => ({ body: `m${i}` })))
        )
        assert.instanceOf(error, BatchTooLarge)
        assert.strictEqual(error.size, size)
        assert.strictEqual(error.limit, limit)
        assert.include(error.message, `${limit}`)
        assert.include(error.message, "nothing was put")
        assert.strictEqual(yield* depth(target, output), 0)
      })))
  })
}
