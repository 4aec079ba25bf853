import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BufferStore, Stored } from "../../BufferStore.ts"
import { ACCEPTED_BASE, assertEnvelopes, envelope, everything, fresh, type Target, withStore } from "./helpers.ts"

const PRODUCERS = 64
const EACH = 25
const LARGE = 4 * 1024 * 1024

/** Many concurrent producers, and large bodies. */
export const volumeCases = (target: Target, durable: boolean): void => {
  it.live(`${PRODUCERS} concurrent producers: every envelope is there once, each producer's order kept per destination`, () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const destinations = ["MANY.0", "MANY.1", "MANY.2", "MANY.3"]
      const appended = yield* Effect.forEach(
        Array.from({ length: PRODUCERS }, (_, producer) => producer),
        (producer) =>
          Effect.forEach(Array.from({ length: EACH }, (_, i) => i), (i) => {
            const e = envelope(destinations[(producer + i) % destinations.length]!, producer * 1000 + i)
            return Effect.map(store.append(e), (a): Stored => ({ ...e, id: a.id }))
          }),
        { concurrency: "unbounded" }
      )
      const expected = new Map(appended.flat().map((e) => [e.id, e]))
      assert.strictEqual(expected.size, PRODUCERS * EACH, "every append has its own id")
      let total = 0
      for (const destination of destinations) {
        const held = yield* everything(store, destination)
        total += held.length
        // Each producer's envelopes for this destination, in the order that producer appended them.
        const byProducer = new Map<number, Array<Stored>>()
        for (const stored of held) {
          const producer = Math.floor((stored.acceptedAt - ACCEPTED_BASE) / 1000)
          byProducer.set(producer, [...(byProducer.get(producer) ?? []), stored])
        }
        for (const [producer, own] of byProducer) {
          const mine = appended[producer]!.filter((e) => e.destination === destination)
          assertEnvelopes(own, mine)
        }
      }
      assert.strictEqual(total, PRODUCERS * EACH, "nothing is there twice or missing")
    }), target.timeout)

  it.live(`large bodies (4 MiB) come back intact${durable ? ", after a restart too" : ""}`, () =>
    Effect.gen(function*() {
      const location = yield* target.location
      const large = [envelope("LARGE.A", 1, LARGE), envelope("LARGE.B", 2, LARGE), envelope("LARGE.A", 3, LARGE - 1)]
      const check = (held: { readonly a: ReadonlyArray<Stored>; readonly b: ReadonlyArray<Stored> }, stored: ReadonlyArray<Stored>) => {
        assertEnvelopes(held.a, [stored[0]!, stored[2]!])
        assertEnvelopes(held.b, [stored[1]!])
      }
      const read = (store: BufferStore["Service"]) =>
        Effect.all({ a: everything(store, "LARGE.A"), b: everything(store, "LARGE.B") })
      const stored = yield* withStore(target, location, (store) =>
        Effect.gen(function*() {
          const stored = yield* Effect.forEach(large, (e) => Effect.map(store.append(e), (a): Stored => ({ ...e, id: a.id })))
          check(yield* read(store), stored)
          assert.strictEqual((yield* store.depth()).bytes, 3 * LARGE - 1)
          return stored
        }))
      if (durable) yield* withStore(target, location, (store) => Effect.map(read(store), (held) => check(held, stored)))
    }), target.timeout)
}
