import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { type Hobj, Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  drain,
  expectMessage,
  expectMqError,
  expectNoMessage,
  group,
  openQueue,
  openQueueManager,
  type SuiteLayer,
  text
} from "./helpers.ts"

const depth = (hobj: Hobj) =>
  Mqi.use((mqi) => mqi.inquire(hobj, ["CurrentQDepth"])).pipe(Effect.map((a) => a.CurrentQDepth))

/** The syncpoint limit this suite reaches by putting; beyond it the case is skipped, saying so. */
const reachableLimit = 10_000

/** Local units of work (MQ-BEHAVIOUR §4.8, §5). */
export const syncpointCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("syncpoint", suiteLayer, (it) => {
    it.effect("a message put under syncpoint is invisible until commit", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "SYNC")
        const writer = yield* connect(target)
        const output = yield* openQueue(writer, queue, { output: true })
        const input = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        yield* mqi.put(output, { body: "pending" }, { syncpoint: true })
        yield* expectNoMessage(mqi.get(input), "the uncommitted put to be invisible")
        yield* mqi.commit(writer)
        const got = yield* expectMessage(mqi.get(input), "the committed put")
        assert.strictEqual(text(got), "pending")
      }))

    it.effect("backout removes a message put under syncpoint", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "SYNC")
        const hconn = yield* connect(target)
        const hobj = yield* openQueue(hconn, queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: "kept" })
        yield* mqi.put(hobj, { body: "backed out" }, { syncpoint: true })
        yield* mqi.backout(hconn)
        assert.deepStrictEqual(yield* drain(hobj), ["kept"])
      }))

    it.effect("a message got under syncpoint and backed out returns to its place with BackoutCount 1", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "SYNC")
        const hconn = yield* connect(target)
        const hobj = yield* openQueue(hconn, queue, { input: "shared", output: true })
        for (const body of ["first", "second"]) yield* mqi.put(hobj, { body })
        const got = yield* expectMessage(mqi.get(hobj, { syncpoint: true }))
        assert.strictEqual(text(got), "first")
        assert.strictEqual(got.descriptor.backoutCount, 0)
        yield* mqi.backout(hconn)
        const again = yield* expectMessage(mqi.get(hobj), "the backed-out message")
        assert.strictEqual(text(again), "first", "back in its original position")
        assert.strictEqual(again.descriptor.backoutCount, 1)
        const next = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(text(next), "second")
        assert.strictEqual(next.descriptor.backoutCount, 0)
      }))

    it.effect("a message got under syncpoint is hidden from others and removed by commit", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "SYNC")
        const reader = yield* connect(target)
        const input = yield* openQueue(reader, queue, { input: "shared", output: true })
        const other = yield* openQueue(yield* connect(target), queue, { input: "shared" })
        yield* mqi.put(input, { body: "taken" })
        yield* expectMessage(mqi.get(input, { syncpoint: true }))
        yield* expectNoMessage(mqi.get(other), "the message in the open unit of work to be hidden")
        yield* mqi.commit(reader)
        // A later backout ends a new unit of work; had the commit not ended the first, it would
        // bring the message back.
        yield* mqi.put(input, { body: "marker" }, { syncpoint: true })
        yield* mqi.backout(reader)
        yield* expectNoMessage(mqi.get(other), "the committed get to have removed the message")
      }))

    it.effect("CurrentQDepth counts uncommitted puts and not messages got under syncpoint", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "SYNC")
        const hconn = yield* connect(target)
        const hobj = yield* openQueue(hconn, queue, { input: "shared", output: true, inquire: true })
        for (const body of ["u1", "u2"]) yield* mqi.put(hobj, { body }, { syncpoint: true })
        assert.strictEqual(yield* depth(hobj), 2, "uncommitted puts count")
        yield* mqi.backout(hconn)
        assert.strictEqual(yield* depth(hobj), 0, "backout of the puts")
        for (const body of ["c1", "c2"]) yield* mqi.put(hobj, { body })
        yield* expectMessage(mqi.get(hobj, { syncpoint: true }))
        assert.strictEqual(yield* depth(hobj), 1, "a get under syncpoint takes the message off")
        yield* mqi.backout(hconn)
        assert.strictEqual(yield* depth(hobj), 2, "backout of the get puts it back")
        yield* expectMessage(mqi.get(hobj, { syncpoint: true }))
        yield* mqi.commit(hconn)
        assert.strictEqual(yield* depth(hobj), 1, "commit of the get")
      }))

    it.effect("uncommitted puts count toward the queue's maximum depth (2053)", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "SYNC", { maxDepth: 2 })
        const writer = yield* connect(target)
        const output = yield* openQueue(writer, queue, { output: true })
        for (const body of ["u1", "u2"]) yield* mqi.put(output, { body }, { syncpoint: true })
        const other = yield* openQueue(yield* connect(target), queue, { output: true })
        yield* expectMqError(mqi.put(other, { body: "one too many" }), "MQPUT", 2053)
      }))

    it.effect("a unit of work stops at MaxUncommittedMsgs with 2024 and stays open", (ctx) =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const hconn = yield* connect(target)
        const { MaxUncommittedMsgs: limit } = yield* mqi.inquire(yield* openQueueManager(hconn), [
          "MaxUncommittedMsgs"
        ])
        if (limit > reachableLimit) {
          return ctx.skip(`MaxUncommittedMsgs is ${limit}: more than the ${reachableLimit} puts this case makes`)
        }
        const queue = yield* defineQueue(target, "SYNC", { maxDepth: limit + 10 })
        const hobj = yield* openQueue(hconn, queue, { output: true, inquire: true })
        for (let i = 0; i < limit; i++) yield* mqi.put(hobj, { body: `m${i}` }, { syncpoint: true })
        yield* expectMqError(mqi.put(hobj, { body: "over the limit" }, { syncpoint: true }), "MQPUT", 2024)
        yield* mqi.commit(hconn)
        assert.strictEqual(yield* depth(hobj), limit, "the unit of work stayed open and committed its puts")
      }), 60_000)
  })
