import { Effect, Random, Schema } from "effect"
import type { FailureClass } from "../src/index.ts"

/** A failure that carries its class and MQ reason, as `MqError` does (retry does not depend on core). */
export class Failure extends Schema.TaggedError<Failure>()("Failure", {
  errorClass: Schema.Literals(["connection", "outcome-unknown", "backed-out", "transient", "permanent"]),
  reason: Schema.Int
}) {}

export const failure = (errorClass: FailureClass, reason: number): Failure => new Failure({ errorClass, reason })

/** Runs with a Random whose every draw is `value`, so jittered delays are exact. */
export const withRandom = (value: number) =>
  Effect.provideService(Random.Random, { nextDoubleUnsafe: () => value, nextIntUnsafe: () => 0 })
