import { assert, describe, it } from "@effect/vitest"
import { Mqi, Persistence, QueueManagerControl } from "@resilient-mq/core"
import { suite } from "@resilient-mq/core/testing"
import * as net from "node:net"
import { Context, Effect, Exit, Layer, Option, Schedule, type Scope } from "effect"
import { Emulator, EmulatorServer, layerClient, layerServer, type ServerOptions } from "../src/index.ts"
import { Op } from "../src/internal/wire/Frames.ts"
import { readDescriptor } from "../src/internal/wire/Mqmd.ts"
import { bodyOf, drain } from "./support.ts"
import { connectClient, MQGMO, MQOO, MQOT, MQPMO, readMessage } from "./support/WireClient.ts"

type Services = EmulatorServer | Mqi | QueueManagerControl | Emulator | Scope.Scope

/** Runs a test against a server on a free port, stopped when the test ends. */
const withServer = (options?: ServerOptions) => <A, E>(program: Effect.Effect<A, E, Services>) =>
  program.pipe(Effect.scoped, Effect.provide(layerServer(options)))

/** A wire client of the server, connected to QM1. */
const connected = Effect.gen(function*() {
  const client = yield* connectClient((yield* EmulatorServer).port)
  const answer = yield* client.connect("QM1")
  assert.strictEqual(answer.cc, 0, `CONNECT answered ${answer.rc}`)
  return client
})

const openQueue = (name = "DEV.QUEUE.1") =>
  Mqi.use((mqi) =>
    Effect.flatMap(mqi.connect({ queueManager: "QM1" }), (hconn) =>
      mqi.open(hconn, { type: "queue", name }, { input: "shared", output: true })
    )
  )

/** Waits until the server has dealt with a socket that closed: QM1 has no wire connection left. */
const noWireConnectionsLeft = Emulator.use((emulator) => emulator.connections("QM1")).pipe(
  Effect.filterOrFail((connections) => connections.every((c) => c.applicationName !== "test")),
  Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 200 })
)

describe("EmulatorServer", () => {
  it.live("connect, put under syncpoint, commit and get through the wire", () =>
    withServer()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const client = yield* connectClient((yield* EmulatorServer).port)
      const answer = yield* client.connect("QM1")
      const [qm1] = yield* Emulator.use((emulator) => emulator.queueManagers)
      assert.deepStrictEqual([answer.cc, answer.results.str(), answer.results.str()], [0, "QM1", qm1!.qmid])
      const hobj = yield* client.open("DEV.QUEUE.1", MQOO.OUTPUT | MQOO.INPUT_SHARED)
      const properties = { colour: "red", count: 7, big: 2n ** 40n, ratio: 0.5, flag: true, raw: Uint8Array.of(1, 2), none: null }
      const put = yield* client.put(hobj, "hello", {
        pmo: MQPMO.SYNCPOINT,
        descriptor: { persistence: Persistence.PERSISTENT },
        properties: { ...properties, "usr.short": "named without usr." }
      })
      assert.strictEqual(put.cc, 0)
      const resolved = readDescriptor(put.results)
      assert.strictEqual(new TextDecoder().decode(resolved.msgId.subarray(0, 7)), "AMQ QM1")
      assert.strictEqual(resolved.persistence, Persistence.PERSISTENT)
      assert.strictEqual(resolved.putApplName, "test")

      const other = yield* openQueue()
      assert.isUndefined(bodyOf(yield* mqi.get(other)), "invisible until committed")
      assert.strictEqual((yield* client.commit()).cc, 0)
      const got = readMessage(yield* client.get(hobj).answer)
      assert.strictEqual(got.text, "hello")
      assert.deepStrictEqual(got.descriptor.msgId, resolved.msgId)
      assert.deepStrictEqual(got.properties, { ...properties, short: "named without usr." })
    })))

  it.live("a waiting GET does not hold up a PUT on the same connection", () =>
    withServer()(Effect.gen(function*() {
      const client = yield* connected
      const hobj = yield* client.open("DEV.QUEUE.1", MQOO.OUTPUT | MQOO.INPUT_SHARED)
      const waiting = client.get(hobj, { wait: -1 })
      assert.strictEqual((yield* client.put(hobj, "arrives while waiting")).cc, 0)
      assert.strictEqual(readMessage(yield* waiting.answer).text, "arrives while waiting")
    })))

  it.live("CANCEL ends a waiting GET with 2033, or with the message it took already", () =>
    withServer()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const client = yield* connected
      const hobj = yield* client.open("DEV.QUEUE.1", MQOO.INPUT_SHARED)
      const waiting = client.get(hobj, { wait: -1 })
      client.wire.cancel(waiting.id)
      assert.deepStrictEqual(yield* waiting.answer.pipe(Effect.map((a) => [a.cc, a.rc])), [2, 2033])

      const taking = client.get(hobj, { wait: -1 })
      // A later request is answered after the GET began to wait: requests start in order.
      yield* client.backout()
      yield* mqi.put(yield* openQueue(), { body: "taken before the cancel" })
      client.wire.cancel(taking.id)
      assert.strictEqual(readMessage(yield* taking.answer).text, "taken before the cancel")
    })))

  it.live("a break answers outstanding requests with 2009 and closes the socket", () =>
    withServer()(Effect.gen(function*() {
      const control = yield* QueueManagerControl
      const client = yield* connected
      const hobj = yield* client.open("DEV.QUEUE.1", MQOO.OUTPUT | MQOO.INPUT_SHARED)
      yield* control.delay("QM1", "MQPUT", "1 minute")
      const waiting = client.get(hobj, { wait: -1 })
      const delayed = client.sendPut(hobj, "delayed")
      yield* client.backout()
      yield* control.breakConnections("QM1")
      assert.strictEqual((yield* waiting.answer).rc, 2009)
      assert.strictEqual((yield* delayed.answer).rc, 2009)
      yield* client.wire.closed
    })))

  it.live("a client whose socket closes loses its connection: unit of work backed out, temporary objects gone", () =>
    withServer()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue()
      for (const body of ["first", "second"]) yield* mqi.put(queue, { body })
      const dynamic = yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* connected
        const hobj = yield* client.open("DEV.QUEUE.1", MQOO.OUTPUT | MQOO.INPUT_SHARED)
        assert.strictEqual(readMessage(yield* client.get(hobj, { gmo: MQGMO.SYNCPOINT }).answer).text, "first")
        assert.strictEqual((yield* client.put(hobj, "uncommitted", { pmo: MQPMO.SYNCPOINT })).cc, 0)
        const opened = yield* client.call(Op.OPEN, (w) =>
          w.i32(MQOT.Q).str("SYSTEM.DEFAULT.MODEL.QUEUE").str("").str("AMQ.*").str("").i32(MQOO.INPUT_SHARED))
        opened.results.i32()
        return opened.results.str()
      }))
      yield* noWireConnectionsLeft
      const back = Option.getOrThrow(yield* mqi.get(queue))
      assert.strictEqual(new TextDecoder().decode(back.body), "first")
      assert.strictEqual(back.descriptor.backoutCount, 1)
      assert.deepStrictEqual(yield* drain(queue), ["second"])
      const reopened = yield* Effect.exit(
        Mqi.use((m) => Effect.flatMap(m.connect({}), (h) => m.open(h, { type: "queue", name: dynamic }, { output: true })))
      )
      assert.isTrue(Exit.isFailure(reopened), "the temporary dynamic queue is gone")
    })))

  it.live("DISCONNECT commits and the server closes the socket", () =>
    withServer()(Effect.gen(function*() {
      const client = yield* connected
      const hobj = yield* client.open("DEV.QUEUE.1", MQOO.OUTPUT)
      yield* client.put(hobj, "committed by DISCONNECT", { pmo: MQPMO.SYNCPOINT })
      assert.strictEqual((yield* client.disconnect()).cc, 0)
      yield* client.wire.closed
      assert.deepStrictEqual(yield* drain(yield* openQueue()), ["committed by DISCONNECT"])
    })))

  it.live("a message longer than the buffer: 2080 with its length, or 2079 with the part that fits", () =>
    withServer()(Effect.gen(function*() {
      const client = yield* connected
      const hobj = yield* client.open("DEV.QUEUE.1", MQOO.OUTPUT | MQOO.INPUT_SHARED)
      yield* client.put(hobj, "0123456789")
      const refused = yield* client.get(hobj, { bufferLength: 4 }).answer
      assert.deepStrictEqual([refused.cc, refused.rc, readMessage(refused).dataLength], [2, 2080, 10])
      const cut = yield* client.get(hobj, { bufferLength: 4, gmo: MQGMO.ACCEPT_TRUNCATED_MSG }).answer
      const message = readMessage(cut)
      assert.deepStrictEqual([cut.cc, cut.rc, message.dataLength, message.text], [1, 2079, 10, "0123"])
    })))

  it.live("INQUIRE answers in selector order; a selector of another queue type is 2068 with a placeholder", () =>
    withServer()(Effect.gen(function*() {
      const client = yield* connected
      const hobj = yield* client.open("DEV.QUEUE.2", MQOO.INQUIRE)
      const inquire = (selectors: ReadonlyArray<number>) =>
        client.call(Op.INQUIRE, (w) => {
          w.i32(hobj).i32(selectors.length)
          for (const selector of selectors) w.i32(selector)
        })
      const answer = yield* inquire([2016, 15, 3]) // QName, MaxQDepth, CurrentQDepth
      assert.deepStrictEqual([answer.cc, answer.results.str(), answer.results.i32(), answer.results.i32()], [
        0,
        "DEV.QUEUE.2",
        5000,
        0
      ])
      const warned = yield* inquire([2002, 15]) // BaseQName is an alias's
      assert.deepStrictEqual([warned.cc, warned.rc, warned.results.str(), warned.results.i32()], [1, 2068, "", 5000])
      assert.strictEqual((yield* inquire([9999])).rc, 2067)
    })))

  it.live("a managed subscription delivers publications to its destination handle; none is retained", () =>
    withServer()(Effect.gen(function*() {
      const client = yield* connected
      const subscribed = yield* client.subscribe("prices/eur", 0x2 | 0x20 | 0x2000) // CREATE | MANAGED | FIQ
      assert.strictEqual(subscribed.cc, 0)
      const hsub = subscribed.results.i32()
      const destination = subscribed.results.i32()
      assert.strictEqual(subscribed.results.str(), "prices/eur")
      yield* Mqi.use((mqi) =>
        Effect.flatMap(mqi.connect({}), (hconn) => mqi.put1(hconn, { type: "topic", topicString: "prices/eur" }, { body: "1.08" }))
      )
      const got = readMessage(yield* client.get(destination).answer)
      assert.strictEqual(got.text, "1.08")
      assert.strictEqual(got.properties.MQTopicString, "prices/eur")
      const retained = yield* client.call(Op.SUBSCRIPTION_REQUEST, (w) => w.i32(hsub).i32(1))
      assert.strictEqual(retained.rc, 2437, "no publication is retained")
    })))

  it.live("requests before CONNECT answer 2018, an unknown op or unreadable arguments 2195", () =>
    withServer()(Effect.gen(function*() {
      const client = yield* connectClient((yield* EmulatorServer).port)
      assert.strictEqual((yield* client.commit()).rc, 2018)
      assert.strictEqual((yield* client.call(99)).rc, 2195)
      const truncated = yield* client.call(Op.OPEN, (w) => w.i32(MQOT.Q))
      assert.deepStrictEqual([truncated.cc, truncated.rc], [2, 2195])
      assert.strictEqual((yield* client.connect("NO.SUCH.QMGR")).rc, 2058)
      assert.strictEqual((yield* client.connect("QM1")).cc, 0)
    })))

  it.live("a frame of an unknown kind closes the socket", () =>
    withServer()(Effect.gen(function*() {
      const { port } = yield* EmulatorServer
      yield* Effect.callback<void>((resume) => {
        const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(Uint8Array.of(5, 0, 0, 0, 9, 1, 0, 0, 0)))
        socket.on("close", () => resume(Effect.void))
      })
    })))
})

/** The in-process `Mqi` of a server, with the control of that server over the network. */
const remotelyControlled = Layer.effectContext(Effect.gen(function*() {
  const server = yield* Layer.build(layerServer())
  const client = yield* Layer.build(layerClient({ port: Context.get(server, EmulatorServer).port }))
  return Context.make(Mqi, Context.get(server, Mqi)).pipe(
    Context.add(QueueManagerControl, Context.get(client, QueueManagerControl))
  )
}))

suite("in-process Mqi, controlled over the network", remotelyControlled, {
  queueManager: "QM1",
  connect: { queueManager: "QM1" }
})

describe("the control client", () => {
  it.live("answers what Emulator answers in process, defines topics, stops with reconnect, and dies for an unknown queue manager", () =>
    Effect.gen(function*() {
      const server = yield* Layer.build(layerServer({ queueManagers: [{ name: "QM1" }] }))
      const local = Context.get(server, Emulator)
      const client = yield* Layer.build(layerClient({ port: Context.get(server, EmulatorServer).port }))
      const remote = Context.get(client, Emulator)
      const control = Context.get(client, QueueManagerControl)
      const added = yield* remote.addQueueManager({ name: "QM2", group: "G" })
      assert.deepStrictEqual(yield* remote.queueManagers, yield* local.queueManagers)
      assert.deepStrictEqual(added, (yield* local.queueManagers)[1])
      yield* remote.setGroup("QM2", undefined)
      assert.isUndefined((yield* local.queueManagers)[1]!.group)

      const mqi = Context.get(server, Mqi)
      const hconn = yield* mqi.connect({ queueManager: "QM1", applicationName: "remote-test" })
      const queue = yield* mqi.open(hconn, { type: "queue", name: "DEV.QUEUE.3" }, { input: "shared", output: true })
      yield* mqi.put(queue, { body: "in a unit of work" }, { syncpoint: true })
      assert.deepStrictEqual(yield* remote.connections("QM1"), yield* local.connections("QM1"))
      yield* remote.backOutUnitsOfWork("QM1")
      assert.strictEqual((yield* Effect.flip(mqi.commit(hconn))).reason, 2003)

      yield* control.defineTopic("QM1", "APP.TOPIC", "app/orders")
      const subscription = yield* mqi.subscribe(hconn, { topicObject: "APP.TOPIC" })
      assert.strictEqual(subscription.topicString, "app/orders")
      yield* control.stop("QM2", { mode: "immediate", reconnect: true })
      assert.deepStrictEqual(
        (yield* local.queueManagers).map((qm) => [qm.name, qm.state, qm.reconnectRequested]),
        [["QM1", "running", false], ["QM2", "stopped", true]]
      )

      const unknown = yield* Effect.exit(remote.connections("NO.SUCH.QMGR"))
      assert.isTrue(Exit.hasDies(unknown), "an unknown queue manager is a defect, as in process")
    }).pipe(Effect.scoped))
})
