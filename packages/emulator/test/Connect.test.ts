import { assert, describe, it } from "@effect/vitest"
import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Effect, Exit, Redacted, Scope } from "effect"
import { Emulator } from "../src/index.ts"
import { reasonOf, withEmulator } from "./support.ts"

const twoListeners = withEmulator({
  queueManagers: [
    { name: "QM1", listeners: ["host1(1414)"], group: "GROUP" },
    { name: "QM2", listeners: ["host2(1415)"], group: "GROUP" }
  ]
})

describe("connecting by queue manager name", () => {
  it.effect("reaches the named queue manager and reports its name and QMID", () =>
    withEmulator({ queueManagers: [{ name: "QM1" }, { name: "QM2" }] })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* mqi.connect({ queueManager: "QM2" })
      const identity = yield* mqi.queueManager(hconn)
      assert.strictEqual(identity.name, "QM2")
      assert.strictEqual(identity.qmid, "QM2_1970-01-01_00.00.00")
    })))

  it.effect("a blank name reaches the first queue manager", () =>
    withEmulator({ queueManagers: [{ name: "QMA" }, { name: "QMB" }] })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const identity = yield* mqi.queueManager(yield* mqi.connect({}))
      assert.strictEqual(identity.name, "QMA")
    })))

  it.effect("an unknown name is 2058, a stopped queue manager 2059", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "NOPE" })), 2058)
      yield* QueueManagerControl.use((c) => c.stop("QM1", { mode: "immediate" }))
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "QM1" })), 2059)
      yield* QueueManagerControl.use((c) => c.start("QM1"))
      yield* mqi.connect({ queueManager: "QM1" })
    })))

  it.effect("a channel the queue manager does not define is 2540", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "QM1", channel: "MY.SVRCONN" })), 2540)
      yield* mqi.connect({ queueManager: "QM1", channel: "DEV.ADMIN.SVRCONN" })
    })))

  it.effect("an error names the verb and the queue manager", () =>
    withEmulator()(Effect.gen(function*() {
      const error = yield* Effect.flip(Mqi.use((mqi) => mqi.connect({ queueManager: "QM1", channel: "X" })))
      assert.strictEqual(error.verb, "MQCONNX")
      assert.strictEqual(error.queueManager, "QM1")
      assert.strictEqual(error.reasonName, "MQRC_UNKNOWN_CHANNEL_NAME")
    })))
})

describe("connecting through a connection name", () => {
  it.effect("tries each endpoint in order; nothing listening anywhere is 2538", () =>
    twoListeners(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* mqi.connect({ channel: "DEV.APP.SVRCONN", connectionName: "nowhere(1),host2(1415)" })
      assert.strictEqual((yield* mqi.queueManager(hconn)).name, "QM2")
      assert.strictEqual(
        yield* reasonOf(mqi.connect({ channel: "DEV.APP.SVRCONN", connectionName: "nowhere(1),host2(9)" })),
        2538
      )
    })))

  it.effect("a stopped queue manager does not listen until it starts", () =>
    twoListeners(Effect.gen(function*() {
      const mqi = yield* Mqi
      const control = yield* QueueManagerControl
      const options = { channel: "DEV.APP.SVRCONN", connectionName: "host1(1414),host2(1415)" }
      yield* control.stop("QM1", { mode: "immediate" })
      assert.strictEqual((yield* mqi.queueManager(yield* mqi.connect(options))).name, "QM2")
      yield* control.stop("QM2", { mode: "immediate" })
      assert.strictEqual(yield* reasonOf(mqi.connect(options)), 2538)
      yield* control.start("QM1")
      assert.strictEqual((yield* mqi.queueManager(yield* mqi.connect(options))).name, "QM1")
    })))

  it.effect("a specific name must be the queue manager that answers (2058); blank and *NAME accept it", () =>
    twoListeners(Effect.gen(function*() {
      const mqi = yield* Mqi
      const at = { channel: "DEV.APP.SVRCONN", connectionName: "host2(1415)" }
      assert.strictEqual(yield* reasonOf(mqi.connect({ ...at, queueManager: "QM1" })), 2058)
      yield* mqi.connect({ ...at, queueManager: "QM2" })
      yield* mqi.connect({ ...at, queueManager: "*QM1" })
      yield* mqi.connect({ ...at, queueManager: "" })
    })))

  it.effect("a default listener is the lower-case name on port 1414", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      yield* mqi.connect({ channel: "DEV.APP.SVRCONN", connectionName: "QM1(1414)" })
      yield* mqi.connect({ channel: "DEV.APP.SVRCONN", connectionName: "qm1" })
    })))
})

describe("queue-manager groups", () => {
  it.effect("*GROUP reaches a running member; none running is 2059; an unknown group 2058", () =>
    twoListeners(Effect.gen(function*() {
      const mqi = yield* Mqi
      const control = yield* QueueManagerControl
      const name = Effect.flatMap(mqi.connect({ queueManager: "*GROUP" }), mqi.queueManager)
      assert.strictEqual((yield* name).name, "QM1")
      yield* control.stop("QM1", { mode: "immediate" })
      const second = yield* name
      assert.deepStrictEqual(second, { name: "QM2", qmid: "QM2_1970-01-01_00.00.00" })
      yield* control.stop("QM2", { mode: "immediate" })
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "*GROUP" })), 2059)
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "*OTHER" })), 2058)
    })))

  it.effect("a member refusing connections gives way to the next", () =>
    twoListeners(Effect.gen(function*() {
      const mqi = yield* Mqi
      yield* QueueManagerControl.use((c) => c.refuseConnections("QM1", 2059))
      const hconn = yield* mqi.connect({ queueManager: "*GROUP" })
      assert.strictEqual((yield* mqi.queueManager(hconn)).name, "QM2")
    })))

  it.effect("queue managers can be added and grouped at runtime", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const emulator = yield* Emulator
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "*G" })), 2058)
      const added = yield* emulator.addQueueManager({ name: "QM9", qmid: "QM9_X" })
      assert.deepStrictEqual(added.listeners, ["qm9(1414)"])
      yield* emulator.setGroup("QM9", "G")
      assert.deepStrictEqual(yield* mqi.queueManager(yield* mqi.connect({ queueManager: "*G" })), {
        name: "QM9",
        qmid: "QM9_X"
      })
      assert.deepStrictEqual((yield* emulator.queueManagers).map((qm) => qm.group), [undefined, "G"])
    })))

  it.effect("the QMID outlives a restart", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const before = yield* mqi.queueManager(yield* mqi.connect({ queueManager: "QM1" }))
      yield* QueueManagerControl.use((c) => c.restart("QM1"))
      const after = yield* mqi.queueManager(yield* mqi.connect({ queueManager: "QM1" }))
      assert.strictEqual(after.qmid, before.qmid)
    })))
})

describe("authentication", () => {
  const secured = withEmulator({ queueManagers: [{ name: "QM1", users: { app: "passw0rd" } }] })

  it.effect("with users configured, a connection needs a known user and its password (else 2035)", () =>
    secured(Effect.gen(function*() {
      const mqi = yield* Mqi
      assert.strictEqual(yield* reasonOf(mqi.connect({ queueManager: "QM1" })), 2035)
      assert.strictEqual(
        yield* reasonOf(mqi.connect({ queueManager: "QM1", user: "app", password: Redacted.make("wrong") })),
        2035
      )
      assert.strictEqual(
        yield* reasonOf(mqi.connect({ queueManager: "QM1", user: "toString", password: Redacted.make("x") })),
        2035
      )
      yield* mqi.connect({ queueManager: "QM1", user: "app", password: Redacted.make("passw0rd") })
    })))
})

describe("connection handles", () => {
  it.effect("closing the scope disconnects; an explicit disconnect makes that a no-op", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const emulator = yield* Emulator
      const scope = yield* Scope.make()
      const first = yield* mqi.connect({ queueManager: "QM1", applicationName: "payments" }).pipe(Scope.provide(scope))
      const second = yield* mqi.connect({ queueManager: "QM1" }).pipe(Scope.provide(scope))
      const listed = yield* emulator.connections("QM1")
      assert.deepStrictEqual(listed.map((c) => c.hconn), [first.id, second.id])
      assert.strictEqual(listed[0]?.applicationName, "payments")
      yield* mqi.disconnect(first)
      assert.strictEqual(yield* reasonOf(mqi.queueManager(first)), 2018)
      assert.strictEqual(yield* reasonOf(mqi.disconnect(first)), 2018)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* emulator.connections("QM1"), [])
    })))
})

describe("options", () => {
  it.effect("two queue managers of one name, or one QMID, are a defect when the layer is built", () =>
    Effect.gen(function*() {
      const sameName = yield* Effect.exit(withEmulator({ queueManagers: [{ name: "QM1" }, { name: "QM1" }] })(Effect.void))
      assert.isTrue(Exit.hasDies(sameName))
      const sameQmid = yield* Effect.exit(
        withEmulator({ queueManagers: [{ name: "QM1", qmid: "X" }, { name: "QM2", qmid: "X" }] })(Effect.void)
      )
      assert.isTrue(Exit.hasDies(sameQmid))
    }))

  it.effect("default QMIDs differ even for queue managers created in the same second", () =>
    withEmulator({ queueManagers: [{ name: "QM1" }] })(Effect.gen(function*() {
      const emulator = yield* Emulator
      yield* emulator.addQueueManager({ name: "QM2", qmid: "QM3_1970-01-01_00.00.00" })
      const third = yield* emulator.addQueueManager({ name: "QM3" })
      assert.strictEqual(third.qmid, "QM3_1970-01-01_00.00.01")
    })))
})
