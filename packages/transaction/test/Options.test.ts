import { assert, describe, it } from "@effect/vitest"
import { layer as connectionLayer, type MqConnection } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { ConfigProvider, Effect, Layer } from "effect"
import { layer, layerConfig, TransactionGuard } from "../src/index.ts"

const connection = connectionLayer({
  connect: { queueManager: "QM1" },
  heartbeat: false
}).pipe(Layer.provideMerge(Retry.layerDefault), Layer.provide(Emulator.layer()))

const build = <E>(guard: Layer.Layer<TransactionGuard, E, MqConnection | Retry.RetryPolicy>) =>
  Effect.scoped(Layer.build(guard.pipe(Layer.provide(connection))))

describe("options", () => {
  it.effect("invalid options fail the layer with a ConfigError naming each option", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(build(layer({ ledgerQueue: "", backoutThreshold: -1 })))
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "ledgerQueue")
      assert.include(error.message, "backoutThreshold")
    }))

  it.effect("a ledger queue the queue manager does not know fails the layer with 2085", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(build(layer({ ledgerQueue: "NO.SUCH.LEDGER" })))
      assert.isTrue(error._tag === "MqError" && error.reason === 2085, String(error))
    }))

  it.effect("layerConfig reads the options under a path", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(build(layerConfig("guard")).pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ guard: { ledgerQueue: "NOT.DEFINED", backoutThreshold: 3 } })))
      ))
      assert.isTrue(error._tag === "MqError" && error.reason === 2085 && error.object === "NOT.DEFINED", String(error))
      const context = yield* build(layerConfig("guard")).pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ guard: { ledgerQueue: "DEV.QUEUE.3" } })))
      )
      assert.isDefined(context)
    }))
})
