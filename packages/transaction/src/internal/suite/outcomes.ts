import { assert, describe, it } from "@effect/vitest"
import { isMqError, type MqObject, QueueManagerControl } from "@resilient-mq/core"
import { Effect } from "effect"
import { OutcomeUnknown, UnitBackedOut } from "../../Errors.ts"
import { metrics } from "../metrics.ts"
import type { Transaction, TransactionGuardOptions } from "../../TransactionGuard.ts"
import {
  connectGuard,
  count,
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

export const outcomeCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = fresh(suiteLayer, target)
  const qm = target.queueManager

  /** An input with one message, an output, a ledger unless told otherwise, and a guard over them. */
  const setUp = (withLedger = true) =>
    Effect.gen(function*() {
      const input = yield* defineQueue(target, "IN")
      const output = yield* defineQueue(target, "OUT")
      const ledger = yield* defineQueue(target, "LEDGER")
      yield* feed(target, input, [{ body: "m1" }])
      const options: TransactionGuardOptions = withLedger ? { ledgerQueue: ledger } : {}
      const { guard, mq } = yield* connectGuard(target, options)
      const source = yield* mq.open({ type: "queue", name: input }, { input: "shared" })
      const sink = yield* mq.open({ type: "queue", name: output }, { output: true })
      const events = yield* recordEvents(guard)
      return { input, output, ledger, guard, source, sink, events }
    })

  /** Gets a message and puts its transformation; the attempts it ran in are noted in `attempts`. */
  const transfer = (source: MqObject, sink: MqObject, attempts: Array<number>, midway?: (tx: Transaction) => Effect.Effect<void>) =>
  (tx: Transaction) =>
    Effect.gen(function*() {
      attempts.push(tx.attempt)
      const message = expectSome(yield* tx.get(source))
      yield* tx.put(sink, { body: `out:${text(message)}` })
      if (midway !== undefined) yield* midway(tx)
      yield* tx.put(sink, { body: `more:${text(message)}` })
      return text(message)
    })

  describe("units cut off and commits of unknown outcome", () => {
    it.live("a break before the commit runs the unit again from the start, and nothing is duplicated", () =>
      on(Effect.gen(function*() {
        const { input, output, ledger, guard, source, sink, events } = yield* setUp()
        const control = yield* QueueManagerControl
        const attempts: Array<number> = []
        const moved = yield* guard.run(transfer(source, sink, attempts, (tx) =>
          tx.attempt === 1 ? control.breakConnections(qm) : Effect.void))
        assert.strictEqual(moved, "m1")
        assert.deepStrictEqual(attempts, [1, 2])
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1", "more:m1"])
        assert.strictEqual(yield* depth(target, input), 0)
        assert.strictEqual(yield* depth(target, ledger), 0)
        const [rerun] = yield* events.await("Rerun")
        assert.strictEqual(rerun?.attempt, 2)
        assert.include(rerun?.reason, "2003")
      })))

    it.live("a unit that caught the 2003 of its cut-off call still runs again: MQ threw its work away", () =>
      on(Effect.gen(function*() {
        const { input, output, guard, source, sink } = yield* setUp()
        const control = yield* QueueManagerControl
        const attempts: Array<number> = []
        const result = yield* guard.run((tx) =>
          Effect.gen(function*() {
            attempts.push(tx.attempt)
            const message = expectSome(yield* tx.get(source))
            if (tx.attempt === 1) yield* control.breakConnections(qm)
            const put = yield* Effect.result(tx.put(sink, { body: `out:${text(message)}` }))
            return put._tag === "Success" ? "put" : "carried on without the put"
          })
        )
        assert.strictEqual(result, "put")
        assert.deepStrictEqual(attempts, [1, 2])
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1"])
        assert.strictEqual(yield* depth(target, input), 0)
      })))

    it.live("a transient refusal runs the unit again under the transient backoff, then is returned as it is", () =>
      on(Effect.gen(function*() {
        const input = yield* defineQueue(target, "IN")
        const full = yield* defineQueue(target, "FULL", { maxDepth: 1 })
        yield* feed(target, input, [{ body: "m1" }])
        yield* feed(target, full, [{ body: "already there" }])
        const { guard, mq } = yield* connectGuard(target)
        const source = yield* mq.open({ type: "queue", name: input }, { input: "shared" })
        const sink = yield* mq.open({ type: "queue", name: full }, { output: true })
        const attempts: Array<number> = []
        const error = yield* Effect.flip(guard.run(transfer(source, sink, attempts)))
        assert.isTrue(isMqError(error) && error.reason === 2053, String(error))
        // The policy of the suite tries transient failures five times in all.
        assert.deepStrictEqual(attempts, [1, 2, 3, 4, 5])
        assert.strictEqual(yield* depth(target, input), 1)
      })))

    it.live("a commit answered with 2003 runs the unit again", () =>
      on(Effect.gen(function*() {
        const { input, output, guard, source, sink, events } = yield* setUp()
        const control = yield* QueueManagerControl
        yield* control.failNext(qm, "MQCMIT", 2003)
        const attempts: Array<number> = []
        yield* guard.run(transfer(source, sink, attempts))
        assert.deepStrictEqual(attempts, [1, 2])
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1", "more:m1"])
        assert.strictEqual(yield* depth(target, input), 0)
        yield* events.await("Rerun")
      })))

    it.live("2549 on a commit that happened: the ledger has the marker, the unit is done and not run again", () =>
      on(Effect.gen(function*() {
        const { input, output, ledger, guard, source, sink, events } = yield* setUp()
        const control = yield* QueueManagerControl
        yield* control.failNext(qm, "MQCMIT", 2549, { after: true })
        const resolvedBefore = yield* count(metrics.outcomes, { outcome: "committed" })
        const attempts: Array<number> = []
        assert.strictEqual(yield* guard.run(transfer(source, sink, attempts)), "m1")
        assert.isAbove(yield* count(metrics.outcomes, { outcome: "committed" }), resolvedBefore)
        assert.deepStrictEqual(attempts, [1])
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1", "more:m1"])
        assert.strictEqual(yield* depth(target, input), 0)
        assert.strictEqual(yield* depth(target, ledger), 0, "the resolved unit's marker is trimmed")
        const [resolved] = yield* events.await("OutcomeResolved")
        assert.strictEqual(resolved?.outcome, "committed")
      })))

    it.live("2549 on a commit that did not happen: the ledger has no marker, the unit runs again", () =>
      on(Effect.gen(function*() {
        const { input, output, ledger, guard, source, sink, events } = yield* setUp()
        const control = yield* QueueManagerControl
        yield* control.failNext(qm, "MQCMIT", 2549)
        const attempts: Array<number> = []
        assert.strictEqual(yield* guard.run(transfer(source, sink, attempts)), "m1")
        assert.deepStrictEqual(attempts, [1, 2])
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1", "more:m1"])
        assert.strictEqual(yield* depth(target, input), 0)
        assert.strictEqual(yield* depth(target, ledger), 0)
        const [resolved] = yield* events.await("OutcomeResolved")
        assert.strictEqual(resolved?.outcome, "backed-out")
      })))

    it.live("2009 cutting off a commit that happened: resolved as committed after the reconnect", () =>
      on(Effect.gen(function*() {
        const { input, output, ledger, guard, source, sink, events } = yield* setUp()
        const control = yield* QueueManagerControl
        yield* control.failNext(qm, "MQCMIT", 2009, { after: true })
        const attempts: Array<number> = []
        yield* guard.run(transfer(source, sink, attempts))
        assert.deepStrictEqual(attempts, [1])
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1", "more:m1"])
        assert.strictEqual(yield* depth(target, input), 0)
        assert.strictEqual(yield* depth(target, ledger), 0)
        const [resolved] = yield* events.await("OutcomeResolved")
        assert.strictEqual(resolved?.outcome, "committed")
      })))

    it.live("without a ledger, a commit of unknown outcome fails with OutcomeUnknown carrying the unit id, not run again", () =>
      on(Effect.gen(function*() {
        const { output, guard, source, sink, events } = yield* setUp(false)
        const control = yield* QueueManagerControl
        yield* control.failNext(qm, "MQCMIT", 2549, { after: true })
        const attempts: Array<number> = []
        let unitId = ""
        const error = yield* Effect.flip(guard.run((tx) => {
          unitId = tx.unitId
          return transfer(source, sink, attempts)(tx)
        }))
        assert.instanceOf(error, OutcomeUnknown)
        assert.strictEqual(error.unitId, unitId)
        assert.match(unitId, /^[0-9a-f]{48}$/)
        assert.include(error.message, "no ledger queue")
        assert.deepStrictEqual(attempts, [1])
        // Here the commit did happen: the guard did not guess either way.
        assert.deepStrictEqual(yield* drainText(target, output), ["out:m1", "more:m1"])
        const [unresolved] = yield* events.await("OutcomeUnresolved")
        assert.strictEqual(unresolved?.unitId, unitId)
      })))

    it.live("a unit that must not run twice fails with UnitBackedOut instead of running again", () =>
      on(Effect.gen(function*() {
        const { input, output, guard, source, sink } = yield* setUp()
        const control = yield* QueueManagerControl
        yield* control.failNext(qm, "MQCMIT", 2003)
        const attempts: Array<number> = []
        const error = yield* Effect.flip(guard.run(transfer(source, sink, attempts), { rerun: false }))
        assert.instanceOf(error, UnitBackedOut)
        assert.strictEqual(error.why, "not-rerun")
        assert.include(error.message, "rerun: false")
        assert.deepStrictEqual(attempts, [1])
        assert.strictEqual(yield* depth(target, output), 0)
        assert.strictEqual(yield* depth(target, input), 1)
      })))
  })
}
