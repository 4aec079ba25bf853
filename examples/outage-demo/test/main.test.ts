import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { runDemo } from "../src/main.ts"

describe("outage demo", () => {
  it.live("loses nothing through two outages and ends with its one-line summary", () =>
    Effect.gen(function*() {
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const result = yield* runDemo({
        interval: 10,
        duration: 4_000,
        print: (line) => Ref.update(lines, (all) => [...all, line])
      })
      const printed = yield* Ref.get(lines)
      assert.strictEqual(result.lost, 0)
      assert.strictEqual(result.outages, 2)
      assert.isAbove(result.sent, 100)
      assert.strictEqual(
        printed.at(-1),
        `demo: sent=${result.sent} delivered=${result.sent} lost=0 duplicates=${result.duplicates} outages=2`
      )
      assert.isTrue(printed.some((line) => /buffered=[1-9]/.test(line)), "some messages were buffered during an outage")
    }), 60_000)
})
