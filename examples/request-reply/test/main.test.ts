import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { program } from "../src/main.ts"

describe("request-reply example", () => {
  it.live("each policy handles the request left behind by a failover, and a silent move is found", () =>
    Effect.gen(function*() {
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const outcomes = yield* program((line) => Ref.update(lines, (all) => [...all, line]))
      assert.deepStrictEqual(outcomes.map((o) => [o.scenario, o.result]), [
        ["fail", "ReplyOrphaned"],
        ["resend", "answered"],
        ["pin", "ConnectionUnavailable"],
        ["fail (a move no event reports)", "ReplyOrphaned"]
      ])
      const printed = (yield* Ref.get(lines)).join("\n")
      assert.include(printed, `[resend] reply: QM2 answers "what time is it?"`)
      assert.include(printed, "[resend] event: the request is sent again through QM2")
      assert.include(printed, "no event said so: the QMID inquiry found it")
    }), 30_000)
})
