import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import { capacityConfig, layerMemory, makeMemory, validateProducerOptions, withCapacity } from "../src/index.ts"

/** The message of the `ConfigError` an effect fails with. */
const configError = <A, E extends { readonly _tag: string; readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => {
    assert.strictEqual(error._tag, "ConfigError")
    return error.message
  })

describe("options", () => {
  it.effect("invalid capacity options fail with a ConfigError naming each of them", () =>
    Effect.gen(function*() {
      const store = yield* makeMemory
      const message = yield* configError(withCapacity(store, { messages: 0, bytes: 1.5, overflow: { block: "soon" as never } }))
      assert.include(message, `["messages"]`)
      assert.include(message, `["bytes"]`)
      assert.include(message, `["overflow"]["block"]`)
      assert.include(yield* configError(withCapacity(store, { overflow: "wait" as never })), `["overflow"]`)
      assert.include(yield* configError(Layer.build(layerMemory({ messages: -1 }))), `["messages"]`)
    }))

  it.effect("capacity options read from configuration", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        capacityConfig("BUFFER").parse(ConfigProvider.fromEnvRecord(env))
      assert.deepStrictEqual(yield* read({}), {})
      assert.deepStrictEqual(yield* read({ BUFFER_messages: "5", BUFFER_bytes: "1000", BUFFER_overflow: "drop-oldest" }), {
        messages: 5,
        bytes: 1000,
        overflow: "drop-oldest"
      })
      const blocking = yield* read({ BUFFER_overflow: "block", BUFFER_blockFor: "2 seconds" })
      assert.isTrue(typeof blocking.overflow === "object" && Duration.toMillis(Duration.fromInputUnsafe(blocking.overflow.block)) === 2000)
      assert.include(String(yield* Effect.flip(read({ BUFFER_overflow: "wait" }))), "overflow")
    }))

  it.effect("Infinity is accepted as a limit and as how long to block", () =>
    Effect.gen(function*() {
      const store = yield* withCapacity(yield* makeMemory, { messages: Infinity, overflow: { block: "Infinity" } })
      yield* store.append({ destination: "Q", body: new Uint8Array(1), descriptor: {}, properties: {}, msgId: new Uint8Array(24), acceptedAt: 0 })
    }))

  it.effect("invalid producer options fail with a ConfigError naming each of them", () =>
    Effect.gen(function*() {
      const message = yield* configError(validateProducerOptions({ batchSize: 0, deadLetterQueue: "", retryDelay: -1 }))
      assert.include(message, `["batchSize"]`)
      assert.include(message, `["deadLetterQueue"]`)
      assert.include(message, `["retryDelay"]`)
    }))
})
