import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { program } from "../src/main.ts"

describe("quickstart", () => {
  it.effect("gets back the message it put, with the MsgId the put was given", () =>
    Effect.gen(function*() {
      const result = yield* program
      assert.deepStrictEqual(result, Option.some({ text: "hello from resilient-mq", sameMessage: true }))
    }))
})
