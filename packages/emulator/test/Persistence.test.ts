import { assert, describe, it } from "@effect/vitest"
import { Inhibit, Mqi, Persistence, QueueManagerControl } from "@resilient-mq/core"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Option, type Scope } from "effect"
import { Emulator, layer } from "../src/index.ts"
import { drain, reasonOf, text } from "./support.ts"

const temporaryDirectory = () => fs.mkdtempSync(path.join(os.tmpdir(), "mq-emulator-data-"))

/** One run of the "process": a layer on the data directory, ended when the program ends. */
const run = (data: string) =>
<A, E>(program: Effect.Effect<A, E, Mqi | QueueManagerControl | Emulator | Scope.Scope>) =>
  program.pipe(Effect.scoped, Effect.provide(layer({ data, queueManagers: [{ name: "QM1" }] })))

const connect = Mqi.use((mqi) => mqi.connect({ queueManager: "QM1" }))

const open = (name: string) =>
  Effect.flatMap(connect, (hconn) =>
    Mqi.use((mqi) => mqi.open(hconn, { type: "queue", name }, { input: "shared", output: true, inquire: true, set: true })))

const persistent = { persistence: Persistence.PERSISTENT } as const

describe("data kept across restarts of the process (data)", () => {
  it.effect("committed persistent messages with their BackoutCount, and the QMID, are kept; nothing else is", () =>
    Effect.gen(function*() {
      const data = temporaryDirectory()
      const first = yield* run(data)(Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* open("DEV.QUEUE.1")
        yield* mqi.put(queue, { body: "got and gone", descriptor: persistent })
        yield* mqi.get(queue)
        yield* mqi.put(queue, { body: "backed out once", descriptor: persistent })
        yield* mqi.put(queue, { body: "not persistent" })
        yield* mqi.get(queue, { syncpoint: true })
        yield* mqi.backout(queue.hconn)
        yield* mqi.put(queue, { body: "in a unit of work", descriptor: persistent }, { syncpoint: true })
        yield* mqi.put(queue, { body: "put later, committed first", descriptor: persistent })
        yield* mqi.commit(queue.hconn)
        yield* mqi.put(queue, { body: "backed out", descriptor: persistent }, { syncpoint: true })
        yield* mqi.backout(queue.hconn)
        const [qm1] = yield* Emulator.use((e) => e.queueManagers)
        return { qmid: qm1!.qmid }
      }))
      yield* run(data)(Effect.gen(function*() {
        const mqi = yield* Mqi
        const [qm1] = yield* Emulator.use((e) => e.queueManagers)
        assert.strictEqual(qm1!.qmid, first.qmid)
        const queue = yield* open("DEV.QUEUE.1")
        const backedOut = Option.getOrThrow(yield* mqi.get(queue))
        assert.deepStrictEqual([text(backedOut), backedOut.descriptor.backoutCount], ["backed out once", 1])
        assert.deepStrictEqual(yield* drain(queue), ["in a unit of work", "put later, committed first"], "in put order")
        // Identifiers generated now never repeat those of kept messages.
        const before = backedOut.descriptor.msgId
        const after = yield* mqi.put(queue, { body: "new" })
        assert.notDeepEqual(after.msgId, before)
      }))
    }))

  it.effect("administered objects, permanent dynamic queues, durable subscriptions and MQSET values are kept", () =>
    Effect.gen(function*() {
      const data = temporaryDirectory()
      const dynamic = yield* run(data)(Effect.gen(function*() {
        const mqi = yield* Mqi
        const control = yield* QueueManagerControl
        yield* control.defineQueue("QM1", "APP.QUEUE", { maxDepth: 7 })
        yield* control.defineQueue("QM1", "APP.MODEL", { type: "model", definitionType: "permanent" })
        yield* control.deleteQueue("QM1", "DEV.QUEUE.3")
        yield* control.defineTopic("QM1", "APP.TOPIC", "app")
        const hconn = yield* connect
        yield* mqi.put((yield* open("APP.QUEUE")), { body: "on a defined queue", descriptor: persistent })
        const permanent = yield* mqi.open(hconn, { type: "queue", name: "APP.MODEL", dynamicQueueName: "APP.PERM.*" }, {
          output: true
        })
        yield* mqi.put(permanent, { body: "on a dynamic queue", descriptor: persistent })
        const subscription = yield* mqi.subscribe(hconn, { topicObject: "APP.TOPIC", topicString: "x", name: "SUB1", durable: true })
        yield* mqi.unsubscribe(subscription, { subscription: "keep" })
        yield* mqi.set(yield* open("DEV.QUEUE.2"), { InhibitPut: Inhibit.INHIBITED })
        return permanent.name
      }))
      yield* run(data)(Effect.gen(function*() {
        const mqi = yield* Mqi
        const hconn = yield* connect
        const queue = yield* open("APP.QUEUE")
        assert.strictEqual((yield* mqi.inquire(queue, ["MaxQDepth"])).MaxQDepth, 7)
        assert.deepStrictEqual(yield* drain(queue), ["on a defined queue"])
        assert.deepStrictEqual(yield* drain(yield* open(dynamic)), ["on a dynamic queue"])
        assert.strictEqual(yield* reasonOf(open("DEV.QUEUE.3")), 2085)
        assert.strictEqual(yield* reasonOf(mqi.put(yield* open("DEV.QUEUE.2"), { body: "inhibited" })), 2051)
        yield* mqi.put1(hconn, { type: "topic", name: "APP.TOPIC", topicString: "x" }, { body: "published" })
        const resumed = yield* mqi.subscribe(hconn, { name: "SUB1", durable: true, mode: "resume" })
        assert.deepStrictEqual(yield* drain(resumed.destination), ["published"])
      }))
    }))

  it.effect("journal files are readable by the owner only", () =>
    Effect.gen(function*() {
      const data = path.join(temporaryDirectory(), "created")
      yield* run(data)(Effect.void)
      assert.strictEqual(fs.statSync(data).mode & 0o777, 0o700)
      assert.strictEqual(fs.statSync(path.join(data, "QM1.journal")).mode & 0o777, 0o600)
    }))

  it.effect("a record cut short by a kill is dropped; a file that is not a journal fails the layer", () =>
    Effect.gen(function*() {
      const data = temporaryDirectory()
      yield* run(data)(Effect.flatMap(open("DEV.QUEUE.1"), (queue) =>
        Mqi.use((mqi) => mqi.put(queue, { body: "whole", descriptor: persistent }))))
      fs.appendFileSync(path.join(data, "QM1.journal"), Uint8Array.of(200, 0, 0, 0, 10, 1))
      yield* run(data)(Effect.flatMap(open("DEV.QUEUE.1"), (queue) =>
        Effect.map(drain(queue), (bodies) => assert.deepStrictEqual(bodies, ["whole"]))))

      fs.writeFileSync(path.join(data, "QM1.journal"), "not a journal")
      const exit = yield* Effect.exit(run(data)(Effect.void))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "EmulatorDataError")
    }))
})
