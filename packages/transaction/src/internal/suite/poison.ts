import { assert, describe, it } from "@effect/vitest"
import { Format, type MqObject } from "@resilient-mq/core"
import { Effect, Option } from "effect"
import { decodeDeadLetterHeader } from "../../DeadLetterHeader.ts"
import type { TransactionGuard } from "../../TransactionGuard.ts"
import { hex } from "../format.ts"
import { metrics } from "../metrics.ts"
import {
  connectGuard,
  count,
  defineQueue,
  depth,
  expectSome,
  feed,
  fresh,
  inquireQueueManager,
  recordEvents,
  type SuiteLayer,
  type SuiteTarget,
  take,
  text
} from "./helpers.ts"

const decoder = new TextDecoder()

export const poisonCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = fresh(suiteLayer, target)

  /** A unit that cannot process any message it gets; "empty" when there is none. */
  const failing = (guard: TransactionGuard["Service"], source: MqObject) =>
    guard.run((tx) =>
      Effect.flatMap(tx.get(source), (found) =>
        Option.isSome(found)
          ? Effect.fail(`cannot process ${text(found.value)}` as const)
          : Effect.succeed("empty" as const))
    )

  describe("poison messages", () => {
    it.live("a message backed out as often as the queue's BOTHRESH is moved to its BOQNAME, with an event", () =>
      on(Effect.gen(function*() {
        const backoutQueue = yield* defineQueue(target, "BOQ")
        const input = yield* defineQueue(target, "POISON", { backoutThreshold: 2, backoutQueue })
        const [put] = yield* feed(target, input, [{ body: "bad", descriptor: { format: Format.STRING } }])
        const { guard, mq } = yield* connectGuard(target)
        const events = yield* recordEvents(guard)
        const source = yield* mq.open({ type: "queue", name: input }, { input: "shared" })
        // Backed out twice by its unit's failure...
        assert.strictEqual(yield* Effect.flip(failing(guard, source)), "cannot process bad")
        assert.strictEqual(yield* Effect.flip(failing(guard, source)), "cannot process bad")
        // ... so the third get finds it at the threshold: moved aside, and the unit runs on without it.
        assert.strictEqual(yield* failing(guard, source), "empty")
        assert.strictEqual(yield* depth(target, input), 0)
        const moved = expectSome(yield* take(target, backoutQueue, put!.msgId), "the message on the backout queue")
        assert.strictEqual(text(moved), "bad")
        assert.strictEqual(hex(moved.descriptor.correlId), hex(put!.correlId))
        assert.strictEqual(yield* count(metrics.poisonMessages, { queue: input }), 1)
        const [event] = yield* events.await("PoisonMessageMoved")
        assert.deepInclude(event, {
          queue: input,
          msgId: hex(put!.msgId),
          backoutCount: 2,
          threshold: 2,
          destination: backoutQueue,
          deadLetterHeader: false
        })
      })))

    it.live("without a backout queue, a poison message goes to the dead-letter queue behind a dead-letter header", () =>
      on(Effect.gen(function*() {
        const input = yield* defineQueue(target, "POISON")
        const [put] = yield* feed(target, input, [{ body: "bad", descriptor: { format: Format.STRING } }])
        // The configured threshold overrides the queue's BOTHRESH (0: none).
        const { guard, mq } = yield* connectGuard(target, { backoutThreshold: 1 })
        const events = yield* recordEvents(guard)
        const source = yield* mq.open({ type: "queue", name: input }, { input: "shared" })
        assert.strictEqual(yield* Effect.flip(failing(guard, source)), "cannot process bad")
        assert.strictEqual(yield* failing(guard, source), "empty")
        const { DeadLetterQName, QMgrName } = yield* inquireQueueManager(target, ["DeadLetterQName", "QMgrName"])
        const dead = expectSome(yield* take(target, DeadLetterQName, put!.msgId), "the message on the dead-letter queue")
        assert.strictEqual(dead.descriptor.format, Format.DEAD_LETTER_HEADER)
        const decoded = decodeDeadLetterHeader(dead)
        assert.isDefined(decoded)
        assert.deepInclude(decoded!.header, {
          reason: 2362,
          destQName: input,
          destQMgrName: QMgrName,
          format: Format.STRING,
          putApplName: "resilient-mq/transaction"
        })
        assert.strictEqual(decoder.decode(decoded!.body), "bad")
        const [event] = yield* events.await("PoisonMessageMoved")
        assert.deepInclude(event, { destination: DeadLetterQName, deadLetterHeader: true, threshold: 1 })
      })))
  })
}
