import { assert, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Result } from "effect"
import type { BufferStore, Envelope } from "../../BufferStore.ts"
import { type CapacityOptions, withCapacity } from "../../Capacity.ts"
import { appendAll, assertEnvelope, assertEnvelopes, envelope, everything, fresh, idsOf, type Target } from "./helpers.ts"

/** A fresh store of the target with a capacity enforced on it. */
const limited = (target: Target, options: CapacityOptions) =>
  Effect.flatMap(fresh(target), (store) => Effect.orDie(withCapacity(store, options)))

/** The `BufferFull` an append fails with (a case fails if it succeeds or fails otherwise). */
const refusal = (store: BufferStore["Service"], e: Envelope) =>
  Effect.flatMap(Effect.result(store.append(e)), (result) => {
    if (Result.isFailure(result) && result.failure._tag === "BufferFull") return Effect.succeed(result.failure)
    return Effect.die(new Error(`expected BufferFull, got ${Result.isSuccess(result) ? "a successful append" : String(result.failure)}`))
  })

/** Capacity and the overflow policies, enforced by `withCapacity` over the store under test. */
export const capacityCases = (target: Target): void => {
  it.live("reject: a full buffer refuses with BufferFull, in messages and in bytes, and takes again once acknowledged", () =>
    Effect.gen(function*() {
      const store = yield* limited(target, { messages: 3 })
      const appended = yield* appendAll(store, [1, 2, 3].map((n) => envelope("FULL.Q", n)))
      const full = yield* refusal(store, envelope("OTHER.Q", 4))
      assert.strictEqual(full.destination, "OTHER.Q")
      assert.strictEqual(full.messages, 3)
      assert.deepStrictEqual(full.capacity, { messages: 3, bytes: Number.POSITIVE_INFINITY })
      yield* store.acknowledge([appended[0]!.id])
      yield* store.append(envelope("OTHER.Q", 4))

      const sized = yield* limited(target, { messages: 100, bytes: 100 })
      yield* sized.append(envelope("BYTES.Q", 1, 60))
      const overBytes = yield* refusal(sized, envelope("BYTES.Q", 2, 41))
      assert.deepStrictEqual([overBytes.bytes, overBytes.capacity.bytes], [60, 100])
      yield* sized.append(envelope("BYTES.Q", 3, 40))
      yield* refusal(sized, envelope("BYTES.Q", 4, 101))
    }), target.timeout)

  it.live("drop-oldest: removes the oldest of the same destination, else the oldest of all, and reports it", () =>
    Effect.gen(function*() {
      const store = yield* limited(target, { messages: 3, overflow: "drop-oldest" })
      const [a1, a2, b3] = yield* appendAll(store, [envelope("DROP.A", 1), envelope("DROP.A", 2), envelope("DROP.B", 3)])
      const a4 = envelope("DROP.A", 4)
      const first = yield* store.append(a4)
      assert.deepStrictEqual(idsOf(first.dropped), [a1!.id])
      assertEnvelope(first.dropped[0], a1!)
      assertEnvelopes(yield* everything(store, "DROP.A"), [a2!, { ...a4, id: first.id }])
      const second = yield* store.append(envelope("DROP.C", 5))
      assert.deepStrictEqual(idsOf(second.dropped), [a2!.id], "no DROP.C to drop: the oldest of all goes")
      assertEnvelopes(yield* everything(store, "DROP.B"), [b3!])
      assert.strictEqual((yield* store.depth()).messages, 3)
    }), target.timeout)

  it.live("block: waits for an acknowledgement to make room, and gives up with BufferFull after its timeout", () =>
    Effect.gen(function*() {
      const store = yield* limited(target, { messages: 2, overflow: { block: "10 seconds" } })
      const [first] = yield* appendAll(store, [envelope("BLOCK.Q", 1), envelope("BLOCK.Q", 2)])
      const started = yield* Deferred.make<void>()
      const waiting = yield* Effect.forkChild(Effect.andThen(Deferred.succeed(started, undefined), store.append(envelope("BLOCK.Q", 3))))
      yield* Deferred.await(started)
      yield* Effect.sleep("100 millis")
      assert.isUndefined(waiting.pollUnsafe(), "the append waits while the buffer is full")
      yield* store.acknowledge([first!.id])
      const appended = yield* Fiber.join(waiting)
      assert.strictEqual((yield* store.take("BLOCK.Q", 10)).at(-1)?.id, appended.id)

      const impatient = yield* Effect.orDie(withCapacity(store, { messages: 2, overflow: { block: "50 millis" } }))
      yield* refusal(impatient, envelope("BLOCK.Q", 4))
    }), target.timeout)

  it.live("counts what the store already holds", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      yield* appendAll(store, [1, 2, 3].map((n) => envelope("HELD.Q", n)))
      const limitedStore = yield* Effect.orDie(withCapacity(store, { messages: 3 }))
      yield* refusal(limitedStore, envelope("HELD.Q", 4))
    }), target.timeout)

  it.live("concurrent appends never overfill it", () =>
    Effect.gen(function*() {
      const store = yield* limited(target, { messages: 10 })
      const results = yield* Effect.forEach(
        Array.from({ length: 40 }, (_, n) => envelope(`RACE.${n % 4}`, n)),
        (e) => Effect.result(store.append(e)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 10)
      assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "BufferFull"))
      assert.strictEqual((yield* store.depth()).messages, 10)
    }), target.timeout)
}
