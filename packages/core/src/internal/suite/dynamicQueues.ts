import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { DefinitionType } from "../../Attribute.ts"
import { Persistence } from "../../MessageDescriptor.ts"
import { type Hconn, Mqi } from "../../Mqi.ts"
import type { OpenOptions } from "../../OpenOptions.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  drain,
  expectMqError,
  group,
  openQueue,
  type SuiteLayer,
  uniqueName
} from "./helpers.ts"

/** Opens a model queue, creating a dynamic queue whose name starts with `prefix.`. */
const openModel = (hconn: Hconn, model: string, prefix: string, options: OpenOptions) =>
  Mqi.use((mqi) => mqi.open(hconn, { type: "queue", name: model, dynamicQueueName: `${prefix}.*` }, options))

const readWrite: OpenOptions = { input: "shared", output: true, inquire: true }

/** Model queues and the dynamic queues they create (MQ-BEHAVIOUR §2.5, §2.6). */
export const dynamicQueueCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("dynamic queues", suiteLayer, (it) => {
    it.effect("opening a model queue creates a temporary dynamic queue named from the prefix", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const model = yield* defineQueue(target, "MODEL", { type: "model" })
        const prefix = uniqueName("DQ")
        const hconn = yield* connect(target)
        const first = yield* openModel(hconn, model, prefix, readWrite)
        const second = yield* openModel(hconn, model, prefix, readWrite)
        for (const hobj of [first, second]) {
          assert.isTrue(hobj.name.startsWith(`${prefix}.`), `${hobj.name} starts with ${prefix}.`)
          assert.isAbove(hobj.name.length, prefix.length + 1, "the * is replaced by a generated suffix")
        }
        assert.notStrictEqual(first.name, second.name, "each open creates its own queue")
        const attributes = yield* mqi.inquire(first, ["DefinitionType", "QName"])
        assert.strictEqual(attributes.DefinitionType, DefinitionType.TEMPORARY_DYNAMIC)
        assert.strictEqual(attributes.QName, first.name, "the handle refers to the new queue")
        yield* mqi.put(first, { body: "dynamic" })
        assert.deepStrictEqual(yield* drain(first), ["dynamic"])
        assert.deepStrictEqual(yield* drain(second), [], "the queues are distinct")
      }))

    it.effect("a temporary dynamic queue is deleted when its handle closes", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const model = yield* defineQueue(target, "MODEL", { type: "model", definitionType: "temporary" })
        const hconn = yield* connect(target)
        const dynamic = yield* openModel(hconn, model, uniqueName("DQ"), readWrite)
        yield* mqi.put(dynamic, { body: "discarded" })
        yield* mqi.close(dynamic)
        yield* expectMqError(openQueue(hconn, dynamic.name, { input: "shared" }), "MQOPEN", 2085)
      }))

    it.effect("a temporary dynamic queue is deleted when its creator disconnects", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const model = yield* defineQueue(target, "MODEL", { type: "model", definitionType: "temporary" })
        const creator = yield* connect(target)
        const dynamic = yield* openModel(creator, model, uniqueName("DQ"), readWrite)
        const other = yield* connect(target)
        const output = yield* openQueue(other, dynamic.name, { output: true })
        yield* mqi.put(output, { body: "seen by the creator" })
        yield* mqi.close(output)
        yield* mqi.disconnect(creator)
        yield* expectMqError(openQueue(other, dynamic.name, { output: true }), "MQOPEN", 2085)
      }))

    it.effect("a temporary dynamic queue refuses persistent messages with 2048", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const model = yield* defineQueue(target, "MODEL", { type: "model", definitionType: "temporary" })
        const dynamic = yield* openModel(yield* connect(target), model, uniqueName("DQ"), readWrite)
        yield* expectMqError(
          mqi.put(dynamic, { body: "persistent", descriptor: { persistence: Persistence.PERSISTENT } }),
          "MQPUT",
          2048
        )
        yield* mqi.put(dynamic, { body: "not persistent", descriptor: { persistence: Persistence.NOT_PERSISTENT } })
        assert.deepStrictEqual(yield* drain(dynamic), ["not persistent"])
      }))

    it.effect("a permanent dynamic queue outlives its handle until closed with delete", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const model = yield* defineQueue(target, "MODEL", { type: "model", definitionType: "permanent" })
        const hconn = yield* connect(target)
        const dynamic = yield* openModel(hconn, model, uniqueName("DQ"), readWrite)
        const attributes = yield* mqi.inquire(dynamic, ["DefinitionType"])
        assert.strictEqual(attributes.DefinitionType, DefinitionType.PERMANENT_DYNAMIC)
        yield* mqi.put(dynamic, { body: "kept", descriptor: { persistence: Persistence.PERSISTENT } })
        yield* mqi.close(dynamic)
        const reopened = yield* openQueue(hconn, dynamic.name, { input: "shared" })
        assert.deepStrictEqual(yield* drain(reopened), ["kept"])
        yield* mqi.close(reopened, { delete: "purge" })
        yield* expectMqError(openQueue(hconn, dynamic.name, { input: "shared" }), "MQOPEN", 2085)
      }))
  })
