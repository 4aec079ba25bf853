import { assert, describe, it } from "@effect/vitest"
import { ReasonCode } from "@resilient-mq/core"
import { Effect } from "effect"
import { makeCalls } from "../src/internal/Calls.ts"
import { EmulatorModel } from "../src/internal/Model.ts"

describe("the frame of a call", () => {
  it.effect("a connection ended between the frame's checks and the work answers its end, and the work is not done", () =>
    Effect.gen(function*() {
      const model = new EmulatorModel(() => Date.now())
      const queueManager = model.addQueueManager({ name: "QM1" })
      const connection = model.connect(queueManager, { queueManager: "QM1" })
      const { onConnection, run } = makeCalls(model, (_call, failure) => failure.reason)
      let done = false
      // Another fiber breaks the connection after the frame looked at it, before the work runs.
      const reason = yield* Effect.flip(onConnection("MQCMIT", connection.id, undefined, (_connection, call) =>
        Effect.andThen(
          Effect.sync(() => queueManager.breakConnections()),
          run(call, () => {
            done = true
          })
        )))
      assert.strictEqual(reason, ReasonCode.CONNECTION_BROKEN)
      assert.isFalse(done)
    }))
})
