import { assert, describe, it } from "@effect/vitest"
import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Effect, Fiber, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Emulator } from "../src/index.ts"
import { bodyOf, connect, drain, openQueue, reasonOf, withEmulator } from "./support.ts"


describe("breaking connections", () => {
  it.effect("every call, waiting get and consumer of the connection gets 2009; the queue manager goes on", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      const other = yield* openQueue(hconn, "DEV.QUEUE.2")
      const waiting = yield* Effect.forkChild(reasonOf(mqi.get(queue, { wait: "unlimited" })))
      const consumer = yield* Effect.forkChild(Effect.flip(Stream.runDrain(mqi.consume(other))))
      yield* TestClock.adjust("1 second")
      yield* (yield* QueueManagerControl).breakConnections("QM1")
      assert.strictEqual(yield* Fiber.join(waiting), 2009)
      const consumed = yield* Fiber.join(consumer)
      assert.strictEqual(consumed.reason, 2009)
      assert.strictEqual(consumed.verb, "MQGET")
      const put = yield* Effect.flip(mqi.put(queue, { body: "x" }))
      assert.strictEqual(put.reason, 2009)
      assert.strictEqual(put.errorClass, "outcome-unknown")
      assert.strictEqual(yield* reasonOf(mqi.commit(hconn)), 2009)
      assert.strictEqual(yield* reasonOf(mqi.disconnect(hconn)), 2009)
      yield* mqi.put(yield* openQueue(yield* connect()), { body: "new connection" })
    })))

  it.effect("the broken connection's unit of work is backed out, its temporary queues and subscriptions go", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "a" })
      yield* mqi.get(queue, { syncpoint: true })
      yield* mqi.put(queue, { body: "uncommitted" }, { syncpoint: true })
      const dynamic = yield* mqi.open(hconn, { type: "queue", name: "DEV.APP.MODEL.QUEUE" }, { input: "shared" })
      yield* mqi.subscribe(hconn, { topicString: "t", name: "NONDURABLE" })
      yield* (yield* QueueManagerControl).breakConnections("QM1")
      const fresh = yield* connect()
      const reader = yield* openQueue(fresh)
      const back = Option.getOrThrow(yield* mqi.get(reader))
      assert.strictEqual(back.descriptor.backoutCount, 1)
      assert.deepStrictEqual(yield* drain(reader), [])
      assert.strictEqual(yield* reasonOf(mqi.open(fresh, { type: "queue", name: dynamic.name }, { output: true })), 2085)
      assert.strictEqual(yield* reasonOf(mqi.subscribe(fresh, { topicString: "t", name: "NONDURABLE", mode: "resume" })), 2428)
      assert.deepStrictEqual((yield* Emulator.use((e) => e.connections("QM1"))).map((c) => c.hconn), [fresh.id])
    })))
})

describe("stopping and starting", () => {
  it.effect("quiesce: fail-if-quiescing calls 2161, others go on; the last disconnect stops the queue manager", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "a", descriptor: { persistence: 1 } })
      const waiting = yield* Effect.forkChild(
        reasonOf(mqi.get(queue, { wait: "unlimited", match: { correlId: new Uint8Array(24).fill(1) } }))
      )
      yield* TestClock.adjust("1 second")
      yield* (yield* QueueManagerControl).stop("QM1", { mode: "quiesce", reconnect: true })
      assert.strictEqual(yield* Fiber.join(waiting), 2161)
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "b" })), 2161)
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "QM1" })), 2161)
      yield* mqi.get(queue, { syncpoint: true, failIfQuiescing: false })
      yield* mqi.commit(hconn)
      const emulator = yield* Emulator
      assert.strictEqual((yield* emulator.queueManagers)[0]?.state, "quiescing")
      yield* mqi.disconnect(hconn)
      const [info] = yield* emulator.queueManagers
      assert.strictEqual(info?.state, "stopped")
      assert.isTrue(info?.reconnectRequested)
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "QM1" })), 2059)
      assert.strictEqual(
        yield* reasonOf(mqi.connect({ channel: "DEV.APP.SVRCONN", connectionName: "qm1(1414)" })),
        2538
      )
    })))

  it.effect("immediate: calls and waiting gets get 2162; preemptive: 2009", () =>
    withEmulator({ queueManagers: [{ name: "QM1" }, { name: "QM2" }] })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const c = yield* QueueManagerControl
      const queue1 = yield* openQueue(yield* connect("QM1"))
      const queue2 = yield* openQueue(yield* connect("QM2"))
      const waiting = yield* Effect.forkChild(reasonOf(mqi.get(queue1, { wait: "unlimited" })))
      yield* TestClock.adjust("1 second")
      yield* c.stop("QM1", { mode: "immediate" })
      yield* c.stop("QM2", { mode: "preemptive" })
      assert.strictEqual(yield* Fiber.join(waiting), 2162)
      assert.strictEqual(yield* reasonOf(mqi.put(queue1, { body: "x" })), 2162)
      assert.strictEqual(yield* reasonOf(mqi.put(queue2, { body: "x" })), 2009)
      assert.isFalse((yield* Emulator.use((e) => e.queueManagers))[0]?.reconnectRequested)
    })))

  it.effect("a restart keeps committed persistent messages, backout counts, permanent queues; drops the rest", () =>
    withEmulator({
      queueManagers: [{ name: "QM1", queues: { "PERM.MODEL": { type: "model", definitionType: "permanent" } } }]
    })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "persistent", descriptor: { persistence: 1 } })
      yield* mqi.put(queue, { body: "non-persistent" })
      yield* mqi.put(queue, { body: "uncommitted", descriptor: { persistence: 1 } }, { syncpoint: true })
      yield* mqi.get(queue, { syncpoint: true })
      const temporary = yield* mqi.open(hconn, { type: "queue", name: "DEV.APP.MODEL.QUEUE" }, { input: "shared" })
      const permanent = yield* mqi.open(hconn, { type: "queue", name: "PERM.MODEL" }, { output: true })
      yield* mqi.put(permanent, { body: "kept", descriptor: { persistence: 1 } })
      yield* (yield* QueueManagerControl).restart("QM1")
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "x" })), 2162)
      const after = yield* connect()
      const reader = yield* openQueue(after)
      const survivor = Option.getOrThrow(yield* mqi.get(reader))
      assert.strictEqual(bodyOf(Option.some(survivor)), "persistent")
      assert.strictEqual(survivor.descriptor.backoutCount, 1)
      assert.deepStrictEqual(yield* drain(reader), [])
      assert.strictEqual(yield* reasonOf(mqi.open(after, { type: "queue", name: temporary.name }, { output: true })), 2085)
      assert.deepStrictEqual(yield* drain(yield* openQueue(after, permanent.name)), ["kept"])
    })))
})

describe("injected failures", () => {
  it.effect("the next N calls of a verb answer the reason without doing anything", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      yield* (yield* QueueManagerControl).failNext("QM1", "MQPUT", 2053, { count: 2 })
      const failed = yield* Effect.flip(mqi.put(queue, { body: "1" }))
      assert.strictEqual(failed.reason, 2053)
      assert.strictEqual(failed.object, "DEV.QUEUE.1")
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "2" })), 2053)
      yield* mqi.put(queue, { body: "3" })
      assert.deepStrictEqual(yield* drain(queue), ["3"])
    })))

  it.effect("an injected 2009 on commit commits nothing and breaks the connection", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "unit" }, { syncpoint: true })
      yield* (yield* QueueManagerControl).failNext("QM1", "MQCMIT", 2009)
      const commit = yield* Effect.flip(mqi.commit(hconn))
      assert.strictEqual(commit.errorClass, "outcome-unknown")
      assert.strictEqual(yield* reasonOf(mqi.get(queue)), 2009)
      assert.deepStrictEqual(yield* drain(yield* openQueue(yield* connect())), [])
    })))

  it.effect("with after, the commit happens and then reports the reason", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "unit" }, { syncpoint: true })
      yield* QueueManagerControl.use((c) => c.failNext("QM1", "MQCMIT", 2549, { after: true }))
      assert.strictEqual(yield* reasonOf(mqi.commit(hconn)), 2549)
      assert.deepStrictEqual(yield* drain(queue), ["unit"])
    })))

  it.effect("a put that arrived but reports 2009 (after) leaves the message and a dead connection", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      yield* QueueManagerControl.use((c) => c.failNext("QM1", "MQPUT", 2009, { after: true }))
      const put = yield* Effect.flip(mqi.put(queue, { body: "arrived", descriptor: { persistence: 1 } }))
      assert.strictEqual(put.errorClass, "outcome-unknown")
      assert.strictEqual(yield* reasonOf(mqi.get(queue)), 2009)
      assert.deepStrictEqual(yield* drain(yield* openQueue(yield* connect())), ["arrived"])
    })))

  it.effect("an injected 2003 on a put backs the unit out", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "first" }, { syncpoint: true })
      yield* (yield* QueueManagerControl).failNext("QM1", "MQPUT", 2003)
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "second" }, { syncpoint: true })), 2003)
      assert.strictEqual(yield* reasonOf(mqi.commit(hconn)), 2003)
      assert.deepStrictEqual(yield* drain(queue), [])
    })))

  it.effect("an injected connect failure is answered by the queue manager reached", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      yield* (yield* QueueManagerControl).failNext("QM1", "MQCONNX", 2537)
      const error = yield* Effect.flip(mqi.connect({ queueManager: "QM1" }))
      assert.strictEqual(error.reason, 2537)
      assert.strictEqual(error.queueManager, "QM1")
      yield* mqi.connect({ queueManager: "QM1" })
    })))
})

describe("delays, refusals and clearing", () => {
  it.effect("a delayed verb waits on the clock before doing its work", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const c = yield* QueueManagerControl
      const queue = yield* openQueue(yield* connect())
      yield* c.delay("QM1", "MQPUT", "5 seconds")
      const put = yield* Effect.forkChild(mqi.put(queue, { body: "slow" }))
      yield* TestClock.adjust("4 seconds")
      assert.deepStrictEqual(yield* drain(queue), [])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(put)
      assert.deepStrictEqual(yield* drain(queue), ["slow"])
      yield* c.delay("QM1", "*", "1 second")
      const get = yield* Effect.forkChild(mqi.get(queue))
      yield* TestClock.adjust("1 second")
      assert.isTrue(Option.isNone(yield* Fiber.join(get)))
      yield* c.delay("QM1", "*", 0)
      yield* c.clearFaults("QM1")
      yield* mqi.put(queue, { body: "fast" })
    })))

  it.effect("refused connections answer the reason until accepted again", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const c = yield* QueueManagerControl
      yield* c.refuseConnections("QM1", 2035)
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "QM1" })), 2035)
      yield* c.refuseConnections("QM1", 2543)
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "QM1" })), 2543)
      yield* c.refuseConnections("QM1", undefined)
      yield* mqi.connect({ queueManager: "QM1" })
      yield* c.refuseConnections("QM1", 2059)
      yield* c.failNext("QM1", "MQGET", 2016)
      yield* c.clearFaults("QM1")
      const queue = yield* openQueue(yield* connect())
      assert.isTrue(Option.isNone(yield* mqi.get(queue)))
    })))

  it.effect("naming a queue manager the emulator does not have is a defect", () =>
    withEmulator()(Effect.gen(function*() {
      const exit = yield* Effect.exit((yield* QueueManagerControl).breakConnections("QM9"))
      assert.isTrue(exit._tag === "Failure")
    })))
})
