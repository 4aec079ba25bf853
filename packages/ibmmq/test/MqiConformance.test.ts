import { assert, describe, it } from "@effect/vitest"
import { type ConnectOptions, Mqi } from "@resilient-mq/core"
import { suite } from "@resilient-mq/core/testing"
import * as Emulator from "@resilient-mq/emulator"
import { Effect, Fiber, Layer, Stream } from "effect"
import { afterAll } from "vitest"
import * as IbmMq from "../src/index.ts"
import { startServer } from "./support.ts"

// One mq-emulator process for the suite: its cases use names of their own and restore what they
// stop or break, through the control channel.
const server = await startServer()
afterAll(() => server.stop())

const connectTo = (connectionName: string): ConnectOptions => ({
  queueManager: "QM1",
  channel: "DEV.APP.SVRCONN",
  connectionName
})

suite(
  "ibmmq binding with the stand-in MQ client library and mq-emulator",
  Layer.mergeAll(IbmMq.layer, Emulator.layerClient({ port: server.port })),
  { queueManager: "QM1", connect: connectTo(server.connectionName) }
)

describe("a killed mq-emulator process", () => {
  it.live("the next call fails with 2009, and so does a waiting consumer", () =>
    Effect.gen(function*() {
      const mqi = yield* Mqi
      // A server of its own, killed with SIGKILL: nothing is said to the client library, its socket closes.
      const doomed = yield* Effect.acquireRelease(Effect.promise(() => startServer()), (s) => Effect.promise(() => s.stop()))
      const hconn = yield* mqi.connect(connectTo(doomed.connectionName))
      const output = yield* mqi.open(hconn, { type: "queue", name: "DEV.QUEUE.1" }, { output: true })
      const input = yield* mqi.open(
        yield* mqi.connect(connectTo(doomed.connectionName)),
        { type: "queue", name: "DEV.QUEUE.2" },
        { input: "shared" }
      )
      const consumer = yield* mqi.consume(input).pipe(Stream.runDrain, Effect.flip, Effect.forkChild)
      yield* mqi.put(output, { body: "before the kill" })
      yield* Effect.sleep("100 millis")
      yield* Effect.promise(() => doomed.stop("SIGKILL"))
      const put = yield* Effect.flip(mqi.put(output, { body: "after the kill" }))
      assert.strictEqual(put.verb, "MQPUT")
      assert.strictEqual(put.reason, 2009)
      const consumed = yield* Fiber.join(consumer)
      assert.strictEqual(consumed.reason, 2009)
      assert.oneOf(consumed.verb, ["MQGET", "MQCB", "MQCTL"])
    }).pipe(Effect.scoped, Effect.provide(IbmMq.layer)))
})
