import { BufferStore, capacityConfig } from "@resilient-mq/buffer"
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import { Config, ConfigProvider, Context, Effect, Layer } from "effect"
import { layerSqlite, layerSqliteConfig, SqliteBufferStore, type SqliteStoreOptions } from "../src/index.ts"
import { envelope, failureTags, temporaryDatabase } from "./support/helpers.ts"

describe("options", () => {
  it.effect("are checked when the layer is built: a bad one fails it with a ConfigError naming it", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const bad: ReadonlyArray<[SqliteStoreOptions, string]> = [
        [{ filename: "" }, "filename"],
        [{ filename: ":memory:" }, "filename"],
        [{ filename, busyTimeout: "-1 seconds" }, "busyTimeout"],
        [{ filename, busyTimeout: "soon" as never }, "busyTimeout"],
        [{ filename, busyTimeout: Number.POSITIVE_INFINITY }, "busyTimeout"],
        [{ filename, synchronous: "off" as never }, "synchronous"],
        [{ filename, capacity: { messages: 0 } }, "messages"]
      ]
      for (const [options, named] of bad) {
        const error = yield* Effect.flip(Effect.scoped(Layer.build(layerSqlite(options))))
        assert.strictEqual(error._tag, "ConfigError", JSON.stringify(options))
        assert.include(error.message, named)
      }
      assert.isFalse(fs.existsSync(filename), "bad options leave no file behind")
    }))

  it.effect("can come from configuration", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const layer = layerSqliteConfig({
        filename: Config.String("file"),
        synchronous: Config.Literals(["full", "normal"], "synchronous"),
        busyTimeout: Config.Duration("busyTimeout"),
        capacity: capacityConfig("capacity")
      })
      const context = yield* Layer.build(layer).pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
          file: filename,
          synchronous: "normal",
          busyTimeout: "1 second",
          capacity: { messages: 1 }
        })))
      )
      const store = Context.get(context, BufferStore)
      yield* store.append(envelope(0))
      assert.deepStrictEqual(failureTags(yield* Effect.exit(store.append(envelope(1)))), ["BufferFull"])
      assert.strictEqual(Context.get(context, SqliteBufferStore).filename, filename)
    }))

  it.effect("enforce the capacity through withCapacity, counting what is already in the file", () =>
    Effect.gen(function*() {
      const filename = yield* temporaryDatabase
      const bounded = layerSqlite({ filename, capacity: { messages: 2 } })
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const store = Context.get(yield* Layer.build(bounded), BufferStore)
        yield* store.append(envelope(0))
        return yield* Effect.exit(Effect.forEach([1, 2], (n) => store.append(envelope(n))))
      }))
      assert.deepStrictEqual(failureTags(first), ["BufferFull"])
      const second = yield* Effect.scoped(Effect.gen(function*() {
        const store = Context.get(yield* Layer.build(bounded), BufferStore)
        return yield* Effect.exit(store.append(envelope(3)))
      }))
      assert.deepStrictEqual(failureTags(second), ["BufferFull"])
    }))
})
