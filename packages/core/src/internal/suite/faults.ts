import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, type Scope, Stream } from "effect"
import { Persistence } from "../../MessageDescriptor.ts"
import { Mqi } from "../../Mqi.ts"
import { QueueManagerControl, type StopOptions } from "../../QueueManagerControl.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  drain,
  expectMessage,
  expectMqError,
  expectNoMessage,
  openQueue,
  type SuiteLayer,
  type SuiteServices,
  text,
  within
} from "./helpers.ts"

/**
 * Returns the queue manager's stop and start, and makes sure it is running and free of injected
 * faults when the case ends, however it ends. Call it first in a case: finalizers run in reverse,
 * so this one runs after the case's connections are closed.
 */
const lifecycle = Effect.fnUntraced(function*(target: SuiteTarget) {
  const control = yield* QueueManagerControl
  const qm = target.queueManager
  let stopped = false
  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      if (stopped) yield* control.start(qm)
      yield* control.clearFaults(qm)
    }).pipe(Effect.exit, Effect.asVoid)
  )
  return {
    // endmqm -c and -i return at once (MQ-BEHAVIOUR §6.1): a stop that waits for this case's own
    // connections would never end.
    stop: (options: StopOptions) =>
      control.stop(qm, options).pipe(
        within("3 seconds", `stopping the queue manager (${options.mode})`),
        Effect.tap(() => Effect.sync(() => (stopped = true)))
      ),
    start: control.start(qm).pipe(Effect.tap(() => Effect.sync(() => (stopped = false))))
  }
})

// A consumer's failure may be reported by the verb that delivered it (the binding says MQGET) or
// by the MQCB/MQCTL machinery behind it.
const consumerVerbs = ["MQGET", "MQCB", "MQCTL"] as const

/**
 * Faults inflicted through `QueueManagerControl` (MQ-BEHAVIOUR §1.8, §5, §6). These cases break,
 * stop and restart the queue manager, so each builds the layer afresh instead of sharing one.
 */
export const faultCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  describe("faults", () => {
    const qm = target.queueManager
    const test = (
      name: string,
      body: () => Effect.Effect<void, unknown, SuiteServices | Scope.Scope>
    ): void =>
      it.live(name, () =>
        Effect.suspend(body).pipe(
          // The case's own scope closes first, while the layer it uses is still there.
          Effect.scoped,
          Effect.provide(suiteLayer)
        ))

    test("after breakConnections the next call fails with 2009 and a new connection works", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { output: true })
        yield* control.breakConnections(qm)
        yield* expectMqError(mqi.put(hobj, { body: "lost" }), "MQPUT", 2009)
        const again = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(again, { body: "after the break" })
        assert.deepStrictEqual(yield* drain(again), ["after the break"])
      }))

    test("a broken connection's unit of work is backed out: its get returns, its put is gone", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        for (const body of ["got", "behind"]) yield* mqi.put(hobj, { body })
        const got = yield* expectMessage(mqi.get(hobj, { syncpoint: true }))
        assert.strictEqual(text(got), "got")
        yield* mqi.put(hobj, { body: "uncommitted" }, { syncpoint: true })
        yield* control.breakConnections(qm)
        yield* expectMqError(mqi.get(hobj), "MQGET", 2009)
        const reader = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const back = yield* expectMessage(mqi.get(reader), "the message got in the broken unit of work")
        assert.strictEqual(text(back), "got", "back in its original position")
        // Whether an implicit backout counts is unconfirmed (MQ-BEHAVIOUR §4.8, appendix B.9).
        assert.oneOf(back.descriptor.backoutCount, [0, 1])
        assert.deepStrictEqual(yield* drain(reader), ["behind"], "the uncommitted put was backed out")
      }))

    test("a commit after the connection broke fails with 2009 (or reports 2003) and the work is gone", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hconn = yield* connect(target)
        const hobj = yield* openQueue(hconn, queue, { output: true })
        yield* mqi.put(hobj, { body: "never committed" }, { syncpoint: true })
        yield* control.breakConnections(qm)
        yield* expectMqError(mqi.commit(hconn), "MQCMIT", [2009, 2003])
        yield* expectNoMessage(mqi.get(yield* openQueue(yield* connect(target), queue, { input: "shared" })))
      }))

    test("a waiting get ends with 2009 when the connection breaks", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const waiting = yield* Effect.forkChild(mqi.get(input, { wait: "5 seconds" }))
        yield* Effect.sleep("100 millis")
        yield* control.breakConnections(qm)
        yield* expectMqError(Fiber.join(waiting).pipe(within("3 seconds", "the waiting get")), "MQGET", 2009)
      }))

    test("a consumer stream fails with 2009 when the connection breaks", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const output = yield* openQueue(yield* connect(target), queue, { output: true })
        const consumer = yield* mqi.consume(input).pipe(Stream.runCollect, Effect.forkChild)
        yield* mqi.put(output, { body: "before the break" })
        yield* Effect.sleep("100 millis")
        yield* control.breakConnections(qm)
        yield* expectMqError(Fiber.join(consumer).pipe(within("3 seconds", "the consumer")), consumerVerbs, 2009)
      }))

    test("while the queue manager quiesces, fail-if-quiescing calls and new connections are refused", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const { stop } = yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* stop({ mode: "quiesce" })
        // 2161 for the queue manager, 2202 for the channel: which one a client sees is unconfirmed (§6.1).
        yield* expectMqError(mqi.put(hobj, { body: "refused" }, { failIfQuiescing: true }), "MQPUT", [2161, 2202])
        yield* expectMqError(mqi.get(hobj, { failIfQuiescing: true }), "MQGET", [2161, 2202])
        yield* expectMqError(connect(target), "MQCONNX", [2161, 2202, 2059])
      }))

    test("an immediate stop fails calls with 2162 or 2009 and refuses connections until started", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const { start, stop } = yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { output: true })
        yield* stop({ mode: "immediate" })
        yield* expectMqError(mqi.put(hobj, { body: "refused" }), "MQPUT", [2162, 2203, 2009])
        // A stopped queue manager behind a listener answers 2059; with nothing listening, 2538 (§1.6).
        yield* expectMqError(connect(target), "MQCONNX", [2059, 2538])
        yield* start
        const again = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(again, { body: "after start" })
        assert.deepStrictEqual(yield* drain(again), ["after start"])
      }))

    test("a restart keeps persistent messages and discards non-persistent ones", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { output: true })
        yield* mqi.put(hobj, { body: "persistent", descriptor: { persistence: Persistence.PERSISTENT } })
        yield* mqi.put(hobj, { body: "non-persistent", descriptor: { persistence: Persistence.NOT_PERSISTENT } })
        yield* mqi.put(hobj, { body: "persistent too", descriptor: { persistence: Persistence.PERSISTENT } })
        yield* control.restart(qm)
        const reader = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        assert.deepStrictEqual(yield* drain(reader), ["persistent", "persistent too"])
      }))

    test("failNext answers the next call of a verb with the reason, and the call after works", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* control.failNext(qm, "MQPUT", 2053)
        yield* expectMqError(mqi.put(hobj, { body: "refused" }), "MQPUT", 2053)
        yield* mqi.put(hobj, { body: "accepted" })
        yield* control.failNext(qm, "MQGET", 2016, { count: 2 })
        yield* expectMqError(mqi.get(hobj), "MQGET", 2016)
        yield* expectMqError(mqi.get(hobj), "MQGET", 2016)
        assert.deepStrictEqual(yield* drain(hobj), ["accepted"], "the failed put did nothing")
      }))

    test("failNext with 2009 breaks the connection: the call is not done and the next call fails too", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { output: true })
        yield* control.failNext(qm, "MQPUT", 2009)
        yield* expectMqError(mqi.put(hobj, { body: "not done" }), "MQPUT", 2009)
        yield* expectMqError(mqi.put(hobj, { body: "on a broken connection" }), "MQPUT", 2009)
        yield* expectNoMessage(mqi.get(yield* openQueue(yield* connect(target), queue, { input: "shared" })))
      }))

    test("failNext after the call reports the reason for work that was done", () =>
      Effect.gen(function*() {
        // A commit whose outcome the client cannot know (2009, 2549) may have happened: this is that case.
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hconn = yield* connect(target)
        const hobj = yield* openQueue(hconn, queue, { output: true })
        yield* mqi.put(hobj, { body: "committed after all" }, { syncpoint: true })
        yield* control.failNext(qm, "MQCMIT", 2009, { after: true })
        yield* expectMqError(mqi.commit(hconn), "MQCMIT", 2009)
        const reader = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        assert.deepStrictEqual(yield* drain(reader), ["committed after all"])
      }))

    test("a delayed call still completes", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* control.delay(qm, "MQPUT", "150 millis")
        yield* mqi.put(hobj, { body: "slow put" })
        yield* control.delay(qm, "MQPUT", 0)
        yield* control.delay(qm, "*", "50 millis")
        const other = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const got = yield* expectMessage(mqi.get(other))
        assert.strictEqual(text(got), "slow put")
      }))

    test("refused connections fail with the chosen reason until accepted again; existing ones work", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        for (const reason of [2059, 2538, 2035]) {
          yield* control.refuseConnections(qm, reason)
          yield* expectMqError(connect(target), "MQCONNX", reason)
        }
        yield* mqi.put(hobj, { body: "existing connection" })
        yield* control.refuseConnections(qm, undefined)
        const other = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        assert.deepStrictEqual(yield* drain(other), ["existing connection"])
      }))

    test("clearFaults removes injected failures, delays and refusals", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* lifecycle(target)
        const queue = yield* defineQueue(target, "FAULT")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* control.failNext(qm, "MQPUT", 2053, { count: 5 })
        yield* control.delay(qm, "*", "100 millis")
        yield* control.refuseConnections(qm, 2059)
        yield* control.clearFaults(qm)
        yield* mqi.put(hobj, { body: "after clearFaults" })
        const other = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        assert.deepStrictEqual(yield* drain(other), ["after clearFaults"])
      }))
  })
}
