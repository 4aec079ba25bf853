import { assert, describe, it } from "@effect/vitest"
import { MqConnection, MQGMO, MQPMO } from "@resilient-mq/core"
import { Cause, Deferred, Effect, Exit, Fiber, Option } from "effect"
import { OutsideSyncpoint, ReconnectIncompatible } from "../../Errors.ts"
import {
  connectGuard,
  defineQueue,
  depth,
  drainText,
  expectSome,
  feed,
  fresh,
  recordEvents,
  type SuiteLayer,
  type SuiteTarget,
  text
} from "./helpers.ts"

export const unitCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = fresh(suiteLayer, target)

  /** An input with one message, an output, a ledger, and a guard over them. */
  const setUp = Effect.gen(function*() {
    const input = yield* defineQueue(target, "IN")
    const output = yield* defineQueue(target, "OUT")
    const ledger = yield* defineQueue(target, "LEDGER")
    yield* feed(target, input, [{ body: "m1" }])
    const { guard, mq } = yield* connectGuard(target, { ledgerQueue: ledger })
    const source = yield* mq.open({ type: "queue", name: input }, { input: "shared" })
    const sink = yield* mq.open({ type: "queue", name: output }, { output: true })
    return { input, output, ledger, guard, mq, source, sink }
  })

  describe("units of work", () => {
    it.live("a unit's gets and puts commit together, and its ledger marker is removed", () =>
      on(Effect.gen(function*() {
        const { input, output, ledger, guard, source, sink } = yield* setUp
        const events = yield* recordEvents(guard)
        const moved = yield* guard.run((tx) =>
          Effect.gen(function*() {
            const message = expectSome(yield* tx.get(source))
            yield* tx.put(sink, { body: `out:${text(message)}` })
            return text(message)
          })
        )
        assert.strictEqual(moved, "m1")
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1"])
        assert.strictEqual(yield* depth(target, input), 0)
        assert.strictEqual(yield* depth(target, ledger), 0, "the marker of a committed unit is trimmed")
        const [committed] = yield* events.await("Committed")
        assert.strictEqual(committed?.attempt, 1)
      })))

    it.live("a failing unit is backed out and its own error returned as it is", () =>
      on(Effect.gen(function*() {
        const { input, output, guard, source, sink } = yield* setUp
        const events = yield* recordEvents(guard)
        const error = yield* Effect.flip(guard.run((tx) =>
          Effect.gen(function*() {
            const message = expectSome(yield* tx.get(source))
            yield* tx.put(sink, { body: `out:${text(message)}` })
            return yield* Effect.fail({ _tag: "TransformFailed", body: text(message) } as const)
          })
        ))
        assert.deepStrictEqual(error, { _tag: "TransformFailed", body: "m1" })
        assert.strictEqual(yield* depth(target, output), 0)
        assert.strictEqual(yield* depth(target, input), 1)
        yield* events.await("BackedOut")
        assert.lengthOf(yield* events.of("Rerun"), 0, "a unit's own failure is not run again")
      })))

    it.live("an interrupted unit is backed out", () =>
      on(Effect.gen(function*() {
        const { input, output, guard, source, sink } = yield* setUp
        const got = yield* Deferred.make<void>()
        const running = yield* Effect.forkChild(guard.run((tx) =>
          Effect.gen(function*() {
            yield* tx.get(source)
            yield* tx.put(sink, { body: "never committed" })
            yield* Deferred.succeed(got, undefined)
            return yield* Effect.never
          })
        ))
        yield* Deferred.await(got)
        assert.strictEqual(yield* depth(target, input), 0, "the message is taken while the unit runs")
        yield* Fiber.interrupt(running)
        assert.strictEqual(yield* depth(target, input), 1)
        assert.strictEqual(yield* depth(target, output), 0)
      })))

    it.live("a put or get outside syncpoint is refused with a typed error; through the connection in context it is a defect", () =>
      on(Effect.gen(function*() {
        const { input, output, guard, source, sink } = yield* setUp
        const put = yield* Effect.flip(guard.run((tx) => tx.put(sink, { body: "outside" }, { bits: MQPMO.NO_SYNCPOINT })))
        assert.instanceOf(put, OutsideSyncpoint)
        assert.include(put.message, "must be under syncpoint")
        const get = yield* Effect.flip(guard.run((tx) => tx.get(source, { bits: MQGMO.SYNCPOINT_IF_PERSISTENT })))
        assert.instanceOf(get, OutsideSyncpoint)
        const viaContext = yield* Effect.exit(guard.run(() => Effect.flatMap(MqConnection, (mq) => mq.put(sink, { body: "outside" }))))
        assert.isTrue(Exit.isFailure(viaContext) && Cause.squash(viaContext.cause) instanceof OutsideSyncpoint, String(viaContext))
        const commit = yield* Effect.exit(guard.run(() => Effect.flatMap(MqConnection, (mq) => mq.commit)))
        assert.isTrue(Exit.isFailure(commit) && Cause.hasDies(commit.cause), "a commit inside a unit is the guard's")
        assert.strictEqual(yield* depth(target, output), 0)
        assert.strictEqual(yield* depth(target, input), 1)
        // Under syncpoint, the connection in context works in the unit.
        yield* guard.run(() =>
          Effect.flatMap(MqConnection, (mq) =>
            Effect.andThen(mq.get(source, { syncpoint: true }), mq.put(sink, { body: "in the unit" }, { syncpoint: true })))
        )
        assert.deepStrictEqual(yield* drainText(target, output), ["in the unit"])
        assert.strictEqual(yield* depth(target, input), 0)
      })))

    it.live("logical order is refused before any call, saying why", () =>
      on(Effect.gen(function*() {
        const { input, output, guard, source, sink } = yield* setUp
        const get = yield* Effect.flip(guard.run((tx) => tx.get(source, { logicalOrder: true })))
        assert.instanceOf(get, ReconnectIncompatible)
        assert.include(get.message, "2547")
        const batch = yield* Effect.flip(guard.putBatch(sink, [{ body: "1" }, { body: "2" }], { logicalOrder: true }))
        assert.instanceOf(batch, ReconnectIncompatible)
        assert.strictEqual(yield* depth(target, input), 1)
        assert.strictEqual(yield* depth(target, output), 0)
      })))

    it.live("a browse in a unit is not work of the unit", () =>
      on(Effect.gen(function*() {
        const { input, ledger, guard, mq } = yield* setUp
        const browser = yield* mq.open({ type: "queue", name: input }, { browse: true })
        const seen = yield* guard.run((tx) => Effect.map(tx.get(browser, { browse: "first" }), Option.map(text)))
        assert.deepStrictEqual(seen, Option.some("m1"))
        assert.strictEqual(yield* depth(target, input), 1)
        assert.strictEqual(yield* depth(target, ledger), 0)
      })))
  })
}
