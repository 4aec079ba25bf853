import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { runTransfer } from "../src/main.ts"

describe("transfer example", () => {
  it.live("moves every order exactly once through queue manager restarts and cut-off commits", () =>
    Effect.gen(function*() {
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const result = yield* runTransfer({
        messages: 300,
        restarts: 3,
        print: (line) => Ref.update(lines, (all) => [...all, line])
      })
      const printed = yield* Ref.get(lines)
      assert.strictEqual(result.moved, 300)
      assert.strictEqual(result.duplicates, 0)
      assert.strictEqual(result.missing, 0)
      assert.strictEqual(result.restarts, 3)
      assert.isAbove(result.resolved, 0, "a cut-off commit was resolved through the ledger")
      assert.isTrue(printed.some((line) => line.includes("the ledger says committed")))
      assert.strictEqual(
        printed.at(-1),
        `transfer: moved=300 duplicates=0 missing=0 restarts=3 reruns=${result.reruns} resolved=${result.resolved}`
      )
    }), 60_000)
})
