import { assert } from "@effect/vitest"
import { Effect, Predicate } from "effect"
import { Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import { connect, defineQueue, expectMessage, group, hex, openQueue, type SuiteLayer, text } from "./helpers.ts"

/** Message properties (MQ-BEHAVIOUR §9), as the binding types them from JavaScript values (§0). */
export const propertyCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("message properties", suiteLayer, (it) => {
    it.effect("string, number, boolean and byte-string properties come back with their values", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PROPS")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const blob = new Uint8Array([0, 1, 2, 254, 255])
        yield* mqi.put(hobj, {
          body: "with properties",
          properties: { suiteText: "blue", suiteCount: 42, suiteNegative: -7, suiteFlag: true, suiteBlob: blob }
        })
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(text(got), "with properties", "properties do not leak into the body")
        const p = got.properties
        assert.strictEqual(p["suiteText"], "blue")
        assert.strictEqual(p["suiteCount"], 42)
        assert.strictEqual(p["suiteNegative"], -7)
        assert.strictEqual(p["suiteFlag"], true)
        const returnedBlob = p["suiteBlob"]
        if (!Predicate.isUint8Array(returnedBlob)) {
          return assert.fail(`a byte string comes back as bytes, got ${String(returnedBlob)}`)
        }
        assert.strictEqual(hex(returnedBlob), hex(blob))
      }))

    it.effect("a message put without properties has none of another message's", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PROPS")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: "with", properties: { suiteText: "first" } })
        yield* mqi.put(hobj, { body: "without" })
        const first = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(first.properties["suiteText"], "first")
        // Any properties left in a reused message handle are cleared before the next get (§9).
        const second = yield* expectMessage(mqi.get(hobj))
        assert.notProperty(second.properties, "suiteText")
      }))
  })
