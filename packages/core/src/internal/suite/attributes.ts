import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { Inhibit } from "../../Attribute.ts"
import { Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  expectMqError,
  group,
  openQueue,
  type SuiteLayer,
  trimmed,
  uniqueName
} from "./helpers.ts"

/** MQINQ and MQSET on queues (MQ-BEHAVIOUR §7). */
export const attributeCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("inquire and set", suiteLayer, (it) => {
    it.effect("inquire answers the attributes a queue was defined with", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const backoutQueue = uniqueName("BOQ")
        const queue = yield* defineQueue(target, "ATTR", {
          maxDepth: 7,
          maxMessageLength: 1000,
          backoutThreshold: 3,
          backoutQueue,
          defaultPersistent: true,
          defaultPriority: 5,
          deliverySequence: "fifo"
        })
        const hobj = yield* openQueue(yield* connect(target), queue, { inquire: true })
        const attributes = yield* mqi.inquire(hobj, [
          "QName",
          "MaxQDepth",
          "MaxMsgLength",
          "BackoutThreshold",
          "BackoutRequeueQName",
          "DefPersistence",
          "DefPriority",
          "MsgDeliverySequence",
          "InhibitPut",
          "InhibitGet"
        ])
        assert.strictEqual(trimmed(attributes.QName), queue)
        assert.strictEqual(attributes.MaxQDepth, 7)
        assert.strictEqual(attributes.MaxMsgLength, 1000)
        assert.strictEqual(attributes.BackoutThreshold, 3)
        assert.strictEqual(trimmed(attributes.BackoutRequeueQName), backoutQueue)
        assert.strictEqual(attributes.DefPersistence, 1)
        assert.strictEqual(attributes.DefPriority, 5)
        assert.strictEqual(attributes.MsgDeliverySequence, 1, "MQMDS_FIFO")
        assert.strictEqual(attributes.InhibitPut, Inhibit.ALLOWED)
        assert.strictEqual(attributes.InhibitGet, Inhibit.ALLOWED)
      }))

    it.effect("a queue defined without attributes has IBM's defaults", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ATTR")
        const hobj = yield* openQueue(yield* connect(target), queue, { inquire: true })
        const attributes = yield* mqi.inquire(hobj, [
          "MaxQDepth",
          "MaxMsgLength",
          "BackoutThreshold",
          "BackoutRequeueQName",
          "DefPersistence",
          "DefPriority",
          "MsgDeliverySequence"
        ])
        assert.deepStrictEqual({ ...attributes, BackoutRequeueQName: trimmed(attributes.BackoutRequeueQName) }, {
          MaxQDepth: 5000,
          MaxMsgLength: 4194304,
          BackoutThreshold: 0,
          BackoutRequeueQName: "",
          DefPersistence: 0,
          DefPriority: 0,
          MsgDeliverySequence: 0
        })
      }))

    it.effect("CurrentQDepth follows puts and gets", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ATTR")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true, inquire: true })
        const depth = mqi.inquire(hobj, ["CurrentQDepth"]).pipe(Effect.map((a) => a.CurrentQDepth))
        assert.strictEqual(yield* depth, 0)
        for (const body of ["1", "2", "3"]) yield* mqi.put(hobj, { body })
        assert.strictEqual(yield* depth, 3)
        yield* mqi.get(hobj)
        assert.strictEqual(yield* depth, 2)
      }))

    it.effect("set changes InhibitPut and InhibitGet, and inquire shows it", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ATTR")
        const hobj = yield* openQueue(yield* connect(target), queue, { inquire: true, set: true })
        const inhibited = mqi.inquire(hobj, ["InhibitPut", "InhibitGet"])
        yield* mqi.set(hobj, { InhibitPut: Inhibit.INHIBITED })
        assert.deepStrictEqual({ ...(yield* inhibited) }, { InhibitPut: 1, InhibitGet: 0 })
        yield* mqi.set(hobj, { InhibitGet: Inhibit.INHIBITED, InhibitPut: Inhibit.ALLOWED })
        assert.deepStrictEqual({ ...(yield* inhibited) }, { InhibitPut: 0, InhibitGet: 1 })
      }))

    it.effect("set of an attribute MQSET cannot change fails with 2067 and changes nothing", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ATTR", { maxDepth: 10 })
        const hobj = yield* openQueue(yield* connect(target), queue, { inquire: true, set: true })
        // The port's type allows only settable attributes; this is what an untyped caller could send.
        const change = { InhibitPut: Inhibit.INHIBITED, MaxQDepth: 20 }
        yield* expectMqError(mqi.set(hobj, change), "MQSET", 2067)
        const attributes = yield* mqi.inquire(hobj, ["MaxQDepth", "InhibitPut"])
        assert.strictEqual(attributes.MaxQDepth, 10)
        assert.strictEqual(attributes.InhibitPut, Inhibit.ALLOWED, "MQSET is all or nothing")
      }))

    it.effect("set of an inhibit attribute to neither 0 nor 1 fails with 2020", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "ATTR")
        const hobj = yield* openQueue(yield* connect(target), queue, { inquire: true, set: true })
        yield* expectMqError(mqi.set(hobj, { InhibitPut: 5 }), "MQSET", 2020)
        const attributes = yield* mqi.inquire(hobj, ["InhibitPut"])
        assert.strictEqual(attributes.InhibitPut, Inhibit.ALLOWED)
      }))
  })
