import { assert, describe, it } from "@effect/vitest"
import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Effect, Exit, Option, Scope } from "effect"
import { connect, drain, openQueue, reasonOf, withEmulator } from "./support.ts"

describe("opening and closing", () => {
  it.effect("open errors: unknown 2085, no access option 2046, exclusive input in use 2042", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "queue", name: "NOPE" }, { output: true })), 2085)
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "queue", name: "DEV.QUEUE.1" }, {})), 2046)
      const q = { type: "queue", name: "DEV.QUEUE.1" } as const
      const shared = yield* mqi.open(hconn, q, { input: "shared" })
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, q, { input: "exclusive" })), 2042)
      yield* mqi.close(shared)
      yield* mqi.open(hconn, q, { input: "exclusive" })
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, q, { input: "as-queue-definition" })), 2042)
      yield* mqi.open(hconn, q, { output: true })
    })))

  it.effect("a closed handle is 2019; the scope's finalizer then does nothing", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const scope = yield* Scope.make()
      const queue = yield* openQueue(hconn).pipe(Scope.provide(scope))
      yield* mqi.close(queue)
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "x" })), 2019)
      assert.strictEqual(yield* reasonOf(mqi.close(queue)), 2019)
      yield* Scope.close(scope, Exit.void)
      const counts = yield* mqi.inquire(yield* openQueue(hconn), ["OpenInputCount", "OpenOutputCount"])
      assert.deepStrictEqual(counts, { OpenInputCount: 1, OpenOutputCount: 1 })
    })))

  it.effect("the queue-manager object opens for inquiry only (2045 otherwise)", () =>
    withEmulator({ queueManagers: [{ name: "QM1", qmid: "QM1_2025-04-22_03.01.05", maxUncommittedMessages: 50 }] })(
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const hconn = yield* connect()
        assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "queue-manager" }, { inquire: true, set: true })), 2045)
        const qmgr = yield* mqi.open(hconn, { type: "queue-manager" }, { inquire: true })
        const values = yield* mqi.inquire(qmgr, [
          "QMgrName",
          "QMgrIdentifier",
          "DeadLetterQName",
          "MaxUncommittedMsgs",
          "MaxMsgLength",
          "CodedCharSetId",
          "Platform",
          "MaxPriority"
        ])
        assert.deepStrictEqual(values, {
          QMgrName: "QM1",
          QMgrIdentifier: "QM1_2025-04-22_03.01.05",
          DeadLetterQName: "DEV.DEAD.LETTER.QUEUE",
          MaxUncommittedMsgs: 50,
          MaxMsgLength: 4194304,
          CodedCharSetId: 1208,
          Platform: 3,
          MaxPriority: 9
        })
        assert.strictEqual(yield* reasonOf(mqi.inquire(qmgr, ["CurrentQDepth"])), 2067)
        assert.strictEqual(yield* reasonOf(mqi.set(qmgr, { InhibitPut: 1 })), 2040)
      })
    ))
})

describe("dynamic queues", () => {
  it.effect("a model queue creates a queue with a generated name, deleted when its creating handle closes", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const dynamic = yield* mqi.open(hconn, { type: "queue", name: "DEV.APP.MODEL.QUEUE" }, { input: "shared", inquire: true })
      assert.match(dynamic.name, /^AMQ\.[0-9A-F]{16}$/)
      const named = yield* mqi.open(
        hconn,
        { type: "queue", name: "DEV.APP.MODEL.QUEUE", dynamicQueueName: "REPLY.*" },
        { input: "shared" }
      )
      assert.match(named.name, /^REPLY\.[0-9A-F]{16}$/)
      assert.notStrictEqual(dynamic.name, named.name)
      assert.deepStrictEqual(yield* mqi.inquire(dynamic, ["DefinitionType", "QType", "QName"]), {
        DefinitionType: 3,
        QType: 1,
        QName: dynamic.name
      })
      yield* mqi.put1(hconn, { type: "queue", name: dynamic.name }, { body: "x" })
      assert.strictEqual(
        yield* reasonOf(mqi.put1(hconn, { type: "queue", name: dynamic.name }, { body: "p", descriptor: { persistence: 1 } })),
        2048
      )
      yield* mqi.close(dynamic)
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "queue", name: dynamic.name }, { output: true })), 2085)
    })))

  it.effect("dynamic names: blank is 2011, a taken full name 2100", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const model = (dynamicQueueName: string) => ({ type: "queue", name: "DEV.APP.MODEL.QUEUE", dynamicQueueName }) as const
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, model(" "), { input: "shared" })), 2011)
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, model("A*B"), { input: "shared" })), 2011)
      yield* mqi.open(hconn, model("MY.REPLIES"), { input: "shared" })
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, model("MY.REPLIES"), { input: "shared" })), 2100)
    })))

  it.effect("a temporary dynamic queue ends with its connection; other handles on it answer 2052", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const owner = yield* connect()
      const dynamic = yield* mqi.open(owner, { type: "queue", name: "DEV.APP.MODEL.QUEUE" }, { input: "shared" })
      const other = yield* mqi.open(yield* connect(), { type: "queue", name: dynamic.name }, { output: true })
      yield* mqi.disconnect(owner)
      assert.strictEqual(yield* reasonOf(mqi.put(other, { body: "x" })), 2052)
      yield* mqi.close(other)
    })))

  it.effect("a permanent dynamic queue stays until closed with delete; 2055 while it has messages", () =>
    withEmulator({
      queueManagers: [{ name: "QM1", queues: { "PERM.MODEL": { type: "model", definitionType: "permanent" } } }]
    })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const first = yield* mqi.open(hconn, { type: "queue", name: "PERM.MODEL" }, { input: "shared", output: true })
      yield* mqi.put(first, { body: "kept", descriptor: { persistence: 1 } })
      yield* mqi.close(first)
      const again = yield* mqi.open(hconn, { type: "queue", name: first.name }, { input: "shared" })
      assert.strictEqual(yield* reasonOf(mqi.close(again, { delete: "if-empty" })), 2055)
      yield* mqi.close(again, { delete: "purge" })
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "queue", name: first.name }, { output: true })), 2085)
      const predefined = yield* openQueue(hconn)
      assert.strictEqual(yield* reasonOf(mqi.close(predefined, { delete: "purge" })), 2045)
    })))
})

describe("alias queues", () => {
  const aliased = withEmulator({
    queueManagers: [{
      name: "QM1",
      queues: {
        "APP.ALIAS": { type: "alias", target: "DEV.QUEUE.2" },
        "BROKEN.ALIAS": { type: "alias", target: "MISSING" }
      }
    }]
  })

  it.effect("puts and gets through the alias reach its target; its own inhibit switches apply", () =>
    aliased(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const alias = yield* mqi.open(hconn, { type: "queue", name: "APP.ALIAS" }, {
        output: true,
        input: "shared",
        inquire: true,
        set: true
      })
      assert.strictEqual(alias.name, "APP.ALIAS")
      yield* mqi.put(alias, { body: "via alias" })
      assert.deepStrictEqual(yield* mqi.inquire(alias, ["QType", "BaseQName", "InhibitPut"]), {
        QType: 3,
        BaseQName: "DEV.QUEUE.2",
        InhibitPut: 0
      })
      const notForAlias = yield* Effect.flip(mqi.inquire(alias, ["CurrentQDepth"]))
      assert.strictEqual(notForAlias.reason, 2068)
      assert.strictEqual(notForAlias.completionCode, 1)
      yield* mqi.set(alias, { InhibitPut: 1 })
      assert.strictEqual(yield* reasonOf(mqi.put(alias, { body: "x" })), 2051)
      const direct = yield* openQueue(hconn, "DEV.QUEUE.2")
      yield* mqi.put(direct, { body: "direct" })
      assert.deepStrictEqual(yield* drain(alias), ["via alias", "direct"])
      assert.strictEqual(
        yield* reasonOf(mqi.open(hconn, { type: "queue", name: "BROKEN.ALIAS" }, { output: true })),
        2082
      )
    })))
})

describe("inquire and set", () => {
  it.effect("inquire needs MQOO_INQUIRE (2038) and set MQOO_SET (2040)", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* mqi.open(yield* connect(), { type: "queue", name: "DEV.QUEUE.1" }, { output: true })
      assert.strictEqual(yield* reasonOf(mqi.inquire(queue, ["CurrentQDepth"])), 2038)
      assert.strictEqual(yield* reasonOf(mqi.set(queue, { InhibitPut: 1 })), 2040)
    })))

  it.effect("only the settable selectors can be set (2067), inhibit values are 0 or 1 (2020), all or nothing", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* mqi.open(yield* connect(), { type: "queue", name: "DEV.QUEUE.1" }, {
        inquire: true,
        set: true
      })
      const notSettable = { MaxQDepth: 1 } as unknown as Parameters<typeof mqi.set>[1]
      assert.strictEqual(yield* reasonOf(mqi.set(queue, notSettable)), 2067)
      assert.strictEqual(yield* reasonOf(mqi.set(queue, { InhibitPut: 1, InhibitGet: 2 })), 2020)
      assert.strictEqual((yield* mqi.inquire(queue, ["InhibitPut"])).InhibitPut, 0)
      yield* mqi.set(queue, { InhibitGet: 1, TriggerData: "data", TriggerDepth: 5 })
      assert.deepStrictEqual(yield* mqi.inquire(queue, ["InhibitGet", "TriggerData", "TriggerDepth"]), {
        InhibitGet: 1,
        TriggerData: "data",
        TriggerDepth: 5
      })
      assert.strictEqual(yield* reasonOf(mqi.set(queue, { TriggerMsgPriority: 10 })), 2077)
    })))

  it.effect("a get-inhibited queue still opens; its gets fail 2016", () =>
    withEmulator({ queueManagers: [{ name: "QM1", queues: { "SHUT.Q": { inhibitGet: true } } }] })(
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* openQueue(yield* connect(), "SHUT.Q")
        yield* mqi.put(queue, { body: "x" })
        assert.strictEqual(yield* reasonOf(mqi.get(queue)), 2016)
      })
    ))

  it.effect("the backout threshold and queue are kept for applications; the queue manager never moves messages", () =>
    withEmulator({
      queueManagers: [{ name: "QM1", queues: { "WORK.Q": { backoutThreshold: 2, backoutQueue: "DEV.DEAD.LETTER.QUEUE" } } }]
    })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn, "WORK.Q")
      assert.deepStrictEqual(yield* mqi.inquire(queue, ["BackoutThreshold", "BackoutRequeueQName"]), {
        BackoutThreshold: 2,
        BackoutRequeueQName: "DEV.DEAD.LETTER.QUEUE"
      })
      yield* mqi.put(queue, { body: "poison" })
      for (let i = 0; i < 4; i++) {
        yield* mqi.get(queue, { syncpoint: true })
        yield* mqi.backout(hconn)
      }
      const message = Option.getOrThrow(yield* mqi.get(queue))
      assert.strictEqual(message.descriptor.backoutCount, 4)
    })))
})

describe("objects defined at runtime", () => {
  it.effect("queues and topics can be defined and deleted through the control port", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const control = yield* QueueManagerControl
      const hconn = yield* connect()
      yield* control.defineQueue("QM1", "NEW.Q", { maxDepth: 1 })
      const queue = yield* openQueue(hconn, "NEW.Q")
      assert.strictEqual((yield* mqi.inquire(queue, ["MaxQDepth"])).MaxQDepth, 1)
      yield* control.deleteQueue("QM1", "NEW.Q")
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "x" })), 2052)
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "queue", name: "NEW.Q" }, { output: true })), 2085)
      yield* control.defineTopic("QM1", "PRICES", "prices")
      const topic = yield* mqi.open(hconn, { type: "topic", name: "PRICES", topicString: "fx" }, { output: true })
      assert.strictEqual(topic.name, "prices/fx")
    })))
})
