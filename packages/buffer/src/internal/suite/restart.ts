import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { appendAll, assertEnvelope, assertEnvelopes, envelope, everything, idsOf, type Target, withStore } from "./helpers.ts"

/** A new store over the same data (durable stores only). */
export const restartCases = (target: Target): void => {
  it.live("a new store over the same data has exactly what was not acknowledged, in order, dead letters included", () =>
    Effect.gen(function*() {
      const location = yield* target.location
      const reason = "MQOPEN on RESTART.A: MQRC_UNKNOWN_OBJECT_NAME (2085)"
      const { a, b } = yield* withStore(target, location, (store) =>
        Effect.gen(function*() {
          const a = yield* appendAll(store, [0, 2, 4, 6, 8, 10].map((n) => envelope("RESTART.A", n)))
          const b = yield* appendAll(store, [1, 3, 5, 7].map((n) => envelope("RESTART.B", n)))
          yield* store.acknowledge([a[0]!.id, a[1]!.id, b[2]!.id])
          yield* store.deadLetter([a[3]!.id], reason)
          return { a, b }
        }))
      const a6 = envelope("RESTART.A", 12)
      const appendedAfter = yield* withStore(target, location, (store) =>
        Effect.gen(function*() {
          assertEnvelopes(yield* everything(store, "RESTART.A"), [a[2]!, a[4]!, a[5]!])
          assertEnvelopes(yield* everything(store, "RESTART.B"), [b[0]!, b[1]!, b[3]!])
          assert.deepStrictEqual([...(yield* store.destinations)].sort(), ["RESTART.A", "RESTART.B"])
          assert.strictEqual((yield* store.depth()).messages, 6)
          const letters = yield* store.deadLetters()
          assert.deepStrictEqual(idsOf(letters), [a[3]!.id])
          assertEnvelope(letters[0], a[3]!, a[3]!.id)
          assert.strictEqual(letters[0]!.reason, reason)
          // Appends after a restart go behind what was there, and ids from before still acknowledge.
          const appended = yield* store.append(a6)
          assert.deepStrictEqual(yield* store.acknowledge([a[2]!.id]), { messages: 1, bytes: a[2]!.body.length })
          return { ...a6, id: appended.id }
        }))
      yield* withStore(target, location, (store) =>
        Effect.map(everything(store, "RESTART.A"), (held) => assertEnvelopes(held, [a[4]!, a[5]!, appendedAfter])))
    }), target.timeout)
}
