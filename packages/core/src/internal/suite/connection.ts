import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  expectMessage,
  expectMqError,
  group,
  openQueue,
  openQueueManager,
  type SuiteLayer,
  text,
  trimmed
} from "./helpers.ts"

/** MQCONNX, MQDISC and the queue manager's identity (MQ-BEHAVIOUR §1, §7.2). */
export const connectionCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("connection", suiteLayer, (it) => {
    it.effect("a connection reaches the named queue manager and reports a QMID", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const hconn = yield* connect(target)
        const identity = yield* mqi.queueManager(hconn)
        assert.strictEqual(trimmed(identity.name), target.queueManager)
        assert.isAbove(trimmed(identity.qmid).length, 0, "the QMID is not blank")
        assert.isAtMost(identity.qmid.length, 48, "a QMID has at most 48 characters")
      }))

    it.effect("the queue-manager object answers QMgrName and QMgrIdentifier as the connection reports them", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const hconn = yield* connect(target)
        const identity = yield* mqi.queueManager(hconn)
        const qmgr = yield* openQueueManager(hconn)
        const attributes = yield* mqi.inquire(qmgr, ["QMgrName", "QMgrIdentifier"])
        assert.strictEqual(trimmed(attributes.QMgrName), target.queueManager)
        assert.strictEqual(trimmed(attributes.QMgrIdentifier), trimmed(identity.qmid))
      }))

    it.effect("every connection to the same queue manager reports the same QMID", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const first = yield* mqi.queueManager(yield* connect(target))
        const second = yield* mqi.queueManager(yield* connect(target))
        assert.strictEqual(trimmed(second.qmid), trimmed(first.qmid))
      }))

    it.effect("after disconnect every call on the connection fails with 2018", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONN")
        const hconn = yield* connect(target)
        const hobj = yield* openQueue(hconn, queue, { input: "shared", output: true })
        yield* mqi.disconnect(hconn)
        yield* expectMqError(openQueue(hconn, queue, { output: true }), "MQOPEN", 2018)
        yield* expectMqError(mqi.put(hobj, { body: "after disconnect" }), "MQPUT", 2018)
        yield* expectMqError(mqi.get(hobj), "MQGET", 2018)
        yield* expectMqError(mqi.commit(hconn), "MQCMIT", 2018)
        yield* expectMqError(mqi.backout(hconn), "MQBACK", 2018)
      }))

    it.effect("a closing scope disconnects its connection", () =>
      Effect.gen(function*() {
        const queue = yield* defineQueue(target, "CONN")
        const hconn = yield* Effect.scoped(connect(target))
        yield* expectMqError(openQueue(hconn, queue, { output: true }), "MQOPEN", 2018)
      }))

    it.effect("a closing scope closes its object handle", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONN")
        const hconn = yield* connect(target)
        const hobj = yield* Effect.scoped(openQueue(hconn, queue, { output: true }))
        yield* expectMqError(mqi.put(hobj, { body: "after close" }), "MQPUT", 2019)
      }))

    it.effect("disconnect commits the connection's open unit of work", () =>
      Effect.gen(function*() {
        // MQDISC issues MQCMIT for the application (§1.8); only a connection ending without it backs out.
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "CONN")
        const writer = yield* connect(target)
        const output = yield* openQueue(writer, queue, { output: true })
        yield* mqi.put(output, { body: "committed by MQDISC" }, { syncpoint: true })
        yield* mqi.disconnect(writer)
        const reader = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        const message = yield* expectMessage(mqi.get(reader), "the message put before disconnect")
        assert.strictEqual(text(message), "committed by MQDISC")
      }))

    it.effect("begin fails on a client connection (2012, or 2018 for a shared handle)", () =>
      Effect.gen(function*() {
        // MQ-BEHAVIOUR §5 leaves open which check a shared client handle meets first.
        const mqi = yield* Mqi
        const hconn = yield* connect(target)
        yield* expectMqError(mqi.begin(hconn), "MQBEGIN", [2012, 2018])
      }))
  })
