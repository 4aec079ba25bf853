import { BufferStore } from "@resilient-mq/buffer"
import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Context, Effect, Exit, Layer } from "effect"
import { FileBufferStore, layerFile, layerFileConfig } from "../src/index.ts"
import { envelope, temporaryFolder } from "./support/helpers.ts"

const failureTag = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) ? exit.cause.reasons.map((reason) => reason._tag === "Fail" ? (reason.error as { _tag?: string })._tag : reason._tag) : []

describe("options", () => {
  it.effect("are checked when the layer is built: a bad one fails it with a ConfigError naming it", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      for (const options of [{ directory, segmentBytes: 100 }, { directory, segmentBytes: 1.5e9 }, { directory: "" }]) {
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(layerFile(options))))
        assert.deepStrictEqual(failureTag(exit), ["ConfigError"], JSON.stringify(options))
      }
    }))

  it.effect("can come from configuration", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      const layer = layerFileConfig({ directory: Config.String("directory"), segmentBytes: Config.Int("segmentBytes"), fsync: Config.succeed("never") })
      const context = yield* Layer.build(layer).pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ directory, segmentBytes: 8192 })))
      )
      const store = Context.get(context, BufferStore)
      yield* store.append(envelope(0))
      assert.strictEqual(Context.get(context, FileBufferStore).directory, directory)
      assert.strictEqual((yield* Context.get(context, FileBufferStore).statistics).fsyncs, 1) // the folder's, at opening
    }))

  it.effect("enforce a capacity through withCapacity when one is given, counting what is already on disk", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      const bounded = layerFile({ directory, capacity: { messages: 2 } })
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const store = Context.get(yield* Layer.build(bounded), BufferStore)
        yield* store.append(envelope(0))
        return yield* Effect.exit(Effect.forEach([1, 2], (n) => store.append(envelope(n))))
      }))
      assert.deepStrictEqual(failureTag(first), ["BufferFull"])
      const second = yield* Effect.scoped(Effect.gen(function*() {
        const store = Context.get(yield* Layer.build(bounded), BufferStore)
        return yield* Effect.exit(store.append(envelope(3)))
      }))
      assert.deepStrictEqual(failureTag(second), ["BufferFull"])
    }))

  it.effect("hold 10,000 messages when no capacity is given, as every store of @resilient-mq/buffer", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      const store = Context.get(yield* Layer.build(layerFile({ directory, fsync: "never" })), BufferStore)
      yield* Effect.forEach(Array.from({ length: 10_000 }, (_, n) => n), (n) => store.append(envelope(n)), {
        concurrency: 64,
        discard: true
      })
      assert.deepStrictEqual(failureTag(yield* Effect.exit(store.append(envelope(10_000)))), ["BufferFull"])
      assert.strictEqual((yield* store.depth()).messages, 10_000)
    }).pipe(Effect.scoped))
})
