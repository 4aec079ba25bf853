import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { program } from "../src/main.ts"

describe("reconnect example", () => {
  it.live("prints the outages as they happen and keeps putting across them", () =>
    Effect.gen(function*() {
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      yield* program((line) => Ref.update(lines, (all) => [...all, line]))
      const printed = (yield* Ref.get(lines)).join("\n")
      assert.include(printed, "event: connection lost")
      assert.include(printed, "event: reconnecting: attempt")
      assert.include(printed, "event: reconnected to")
      assert.match(printed, /done: \d+ puts acknowledged/)
    }), 20_000)
})
