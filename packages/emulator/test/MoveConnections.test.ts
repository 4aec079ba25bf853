import { assert, describe, it } from "@effect/vitest"
import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Context, Effect, Exit, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Emulator, EmulatorServer, layerClient, layerServer } from "../src/index.ts"
import { bodyOf, connect, openQueue, reasonOf, withEmulator } from "./support.ts"

// What the MQ client's own reconnect does to a connection (MQCNO_RECONNECT): it lands on another
// queue manager of the group and the application sees no broken connection.
const group = withEmulator({ queueManagers: [{ name: "QM1", group: "G" }, { name: "QM2", group: "G" }] })

const move = QueueManagerControl.use((control) => control.moveConnections("QM1", "QM2"))

const connectionsOf = (queueManager: string) =>
  Effect.map(Emulator.use((e) => e.connections(queueManager)), (all) => all.map((c) => c.hconn))

describe("moving connections to another queue manager", () => {
  it.effect("the connection keeps its handles, now on the other queue manager, which only MQINQ tells", () =>
    group(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect("QM1")
      const queue = yield* openQueue(hconn)
      const manager = yield* mqi.open(hconn, { type: "queue-manager" }, { inquire: true })
      yield* mqi.put(queue, { body: "left on QM1" })
      yield* mqi.put(yield* openQueue(yield* connect("QM2")), { body: "waiting on QM2" })
      const [qm1, qm2] = yield* Emulator.use((e) => e.queueManagers)
      yield* move
      const inquired = yield* mqi.inquire(manager, ["QMgrName", "QMgrIdentifier"])
      assert.deepStrictEqual(inquired, { QMgrName: "QM2", QMgrIdentifier: qm2!.qmid })
      assert.notStrictEqual(inquired.QMgrIdentifier, qm1!.qmid)
      assert.strictEqual(bodyOf(yield* mqi.get(queue)), "waiting on QM2")
      yield* mqi.put(queue, { body: "put after the move" })
      assert.strictEqual(bodyOf(yield* mqi.get(queue)), "put after the move")
      assert.deepStrictEqual(yield* connectionsOf("QM1"), [])
      assert.include(yield* connectionsOf("QM2"), hconn.id)
      assert.strictEqual(bodyOf(yield* mqi.get(yield* openQueue(yield* connect("QM1")))), "left on QM1")
    })))

  it.effect("a waiting get goes on waiting on the other queue manager", () =>
    group(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect("QM1"))
      const waiting = yield* Effect.forkChild(mqi.get(queue, { wait: "unlimited" }))
      yield* TestClock.adjust("1 second")
      yield* move
      yield* mqi.put(yield* openQueue(yield* connect("QM1")), { body: "too late for it" })
      yield* mqi.put(yield* openQueue(yield* connect("QM2")), { body: "for the moved get" })
      assert.strictEqual(bodyOf(yield* Fiber.join(waiting)), "for the moved get")
    })))

  it.effect("its unit of work is backed out: the next syncpoint call and the commit answer 2003", () =>
    group(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect("QM1")
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "got in the unit" })
      yield* mqi.get(queue, { syncpoint: true })
      yield* mqi.put(queue, { body: "put in the unit" }, { syncpoint: true })
      yield* move
      assert.strictEqual(yield* reasonOf(mqi.put(queue, { body: "more" }, { syncpoint: true })), 2003)
      const commit = yield* Effect.flip(mqi.commit(hconn))
      assert.strictEqual(commit.reason, 2003)
      yield* mqi.put(queue, { body: "a new unit" }, { syncpoint: true })
      yield* mqi.commit(hconn)
      const back = Option.getOrThrow(yield* mqi.get(yield* openQueue(yield* connect("QM1"))))
      assert.strictEqual(bodyOf(Option.some(back)), "got in the unit")
      assert.strictEqual(back.descriptor.backoutCount, 1)
      assert.strictEqual(bodyOf(yield* mqi.get(queue)), "a new unit")
    })))

  it.effect("a temporary dynamic queue it created is made again under its name, and goes from the first", () =>
    group(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect("QM1")
      const dynamic = yield* mqi.open(hconn, { type: "queue", name: "DEV.APP.MODEL.QUEUE" }, { input: "exclusive", output: true })
      yield* move
      yield* mqi.put(dynamic, { body: "on the new one" })
      assert.strictEqual(bodyOf(yield* mqi.get(dynamic)), "on the new one")
      const elsewhere = { type: "queue", name: dynamic.name } as const
      assert.strictEqual(yield* reasonOf(mqi.open(yield* connect("QM1"), elsewhere, { output: true })), 2085)
      assert.strictEqual(yield* reasonOf(mqi.open(yield* connect("QM2"), elsewhere, { input: "shared" })), 2042)
    })))

  it.effect("a connection with a subscription or an object the other does not have ends with 2548", () =>
    withEmulator({
      queueManagers: [{ name: "QM1", queues: { "ONLY.ON.QM1": {} } }, { name: "QM2" }]
    })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const subscriber = yield* connect("QM1")
      yield* mqi.subscribe(subscriber, { topicString: "moving/on" })
      const only = yield* openQueue(yield* connect("QM1"), "ONLY.ON.QM1")
      const plain = yield* openQueue(yield* connect("QM1"))
      yield* move
      assert.strictEqual(yield* reasonOf(mqi.put(only, { body: "x" })), 2548)
      assert.strictEqual(yield* reasonOf(openQueue(subscriber)), 2548)
      yield* mqi.put(plain, { body: "moved" })
      assert.deepStrictEqual(yield* connectionsOf("QM2"), [plain.hconn.id])
    })))

  it.live("over the control channel, as in process; an unknown queue manager is a defect", () =>
    Effect.gen(function*() {
      const server = yield* Layer.build(layerServer({ queueManagers: [{ name: "QM1" }, { name: "QM2" }] }))
      const control = Context.get(yield* Layer.build(layerClient({ port: Context.get(server, EmulatorServer).port })), QueueManagerControl)
      const mqi = Context.get(server, Mqi)
      const manager = yield* mqi.open(yield* mqi.connect({ queueManager: "QM1" }), { type: "queue-manager" }, { inquire: true })
      yield* control.moveConnections("QM1", "QM2")
      assert.strictEqual((yield* mqi.inquire(manager, ["QMgrName"])).QMgrName, "QM2")
      assert.isTrue(Exit.hasDies(yield* Effect.exit(control.moveConnections("QM2", "NO.SUCH.QMGR"))))
    }).pipe(Effect.scoped))
})
