import { assert, describe, it } from "@effect/vitest"
import { type Hobj, Mqi } from "@resilient-mq/core"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { Emulator } from "../src/index.ts"
import { bodyOf, connect, drain, openQueue, reasonOf, text, withEmulator } from "./support.ts"

const depth = (queue: Hobj) =>
  Mqi.use((mqi) => mqi.inquire(queue, ["CurrentQDepth"])).pipe(Effect.map((a) => a.CurrentQDepth))

describe("units of work", () => {
  it.effect("a syncpoint put is invisible until commit but counts in the depth; backout removes it", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const producer = yield* connect()
      const out = yield* openQueue(producer)
      const reader = yield* openQueue(yield* connect())
      yield* mqi.put(out, { body: "a" }, { syncpoint: true })
      assert.strictEqual(yield* depth(reader), 1)
      assert.isTrue(Option.isNone(yield* mqi.get(reader)))
      yield* mqi.commit(producer)
      yield* mqi.put(out, { body: "b" }, { syncpoint: true })
      yield* mqi.backout(producer)
      assert.strictEqual(yield* depth(reader), 1)
      assert.deepStrictEqual(yield* drain(reader), ["a"])
    })))

  it.effect("a syncpoint get hides the message; backout restores it in place with BackoutCount + 1", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      for (const body of ["a", "b", "c"]) yield* mqi.put(queue, { body })
      const got = Option.getOrThrow(yield* mqi.get(queue, { syncpoint: true }))
      assert.strictEqual(text(got), "a")
      assert.strictEqual(got.descriptor.backoutCount, 0)
      assert.strictEqual(yield* depth(queue), 2)
      yield* mqi.backout(hconn)
      assert.strictEqual(yield* depth(queue), 3)
      const again = Option.getOrThrow(yield* mqi.get(queue, { syncpoint: true }))
      assert.strictEqual(text(again), "a")
      assert.strictEqual(again.descriptor.backoutCount, 1)
      yield* mqi.commit(hconn)
      assert.deepStrictEqual(yield* drain(queue), ["b", "c"])
    })))

  it.effect("a waiting get receives a message when its put is committed", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const producer = yield* connect()
      const out = yield* openQueue(producer)
      const reader = yield* openQueue(yield* connect())
      yield* mqi.put(out, { body: "committed" }, { syncpoint: true })
      const waiting = yield* Effect.forkChild(mqi.get(reader, { wait: "1 minute" }))
      yield* TestClock.adjust("1 second")
      yield* mqi.commit(producer)
      assert.strictEqual(bodyOf(yield* Fiber.join(waiting)), "committed")
    })))

  it.effect("MAXUMSGS counts puts and gets of the unit (2024); the unit stays open", () =>
    withEmulator({ queueManagers: [{ name: "QM1", maxUncommittedMessages: 2 }] })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "a" })
      yield* mqi.get(queue, { syncpoint: true })
      yield* mqi.put(queue, { body: "b" }, { syncpoint: true })
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "c" }, { syncpoint: true })), 2024)
      yield* mqi.put(queue, { body: "outside" })
      yield* mqi.commit(hconn)
      assert.deepStrictEqual(yield* drain(queue), ["b", "outside"])
    })))

  it.effect("uncommitted puts count toward a full queue (2053)", () =>
    withEmulator({ queueManagers: [{ name: "QM1", queues: { "TWO.Q": { maxDepth: 2 } } }] })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect(), "TWO.Q")
      yield* mqi.put(queue, { body: "a" }, { syncpoint: true })
      yield* mqi.put(queue, { body: "b" }, { syncpoint: true })
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "c" })), 2053)
    })))

  it.effect("get if persistent takes only persistent messages into the unit", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "persistent", descriptor: { persistence: 1 } })
      yield* mqi.put(queue, { body: "plain", descriptor: { persistence: 0 } })
      yield* mqi.get(queue, { syncpoint: "if-persistent" })
      yield* mqi.get(queue, { syncpoint: "if-persistent" })
      yield* mqi.backout(hconn)
      assert.deepStrictEqual(yield* drain(queue), ["persistent"])
    })))

  it.effect("MQBEGIN is 2012 for a client; commit with nothing to commit is fine", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      assert.strictEqual(yield* reasonOf(mqi.begin(hconn)), 2012)
      yield* mqi.commit(hconn)
      yield* mqi.backout(hconn)
    })))

  it.effect("disconnecting commits the unit of work", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "kept" }, { syncpoint: true })
      yield* mqi.disconnect(hconn)
      assert.deepStrictEqual(yield* drain(yield* openQueue(yield* connect())), ["kept"])
    })))

  it.effect("a unit the queue manager backed out fails syncpoint calls 2003 and its commit reports 2003", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "a" })
      yield* mqi.get(queue, { syncpoint: true })
      yield* mqi.put(queue, { body: "b" }, { syncpoint: true })
      yield* Emulator.use((e) => e.backOutUnitsOfWork("QM1"))
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "c" }, { syncpoint: true })), 2003)
      const commit = yield* Effect.flip(mqi.commit(hconn))
      assert.strictEqual(commit.reason, 2003)
      assert.strictEqual(commit.completionCode, 1)
      assert.strictEqual(commit.errorClass, "backed-out")
      yield* mqi.put(queue, { body: "c" }, { syncpoint: true })
      yield* mqi.commit(hconn)
      const messages = yield* drain(queue)
      assert.deepStrictEqual(messages, ["a", "c"])
    })))
})
