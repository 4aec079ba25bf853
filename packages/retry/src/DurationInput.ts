import { Duration, Option, Schema } from "effect"

const isDurationInput = (u: unknown): u is Duration.Input => {
  try {
    return Option.isSome(Duration.fromInput(u as Duration.Input))
  } catch {
    // `fromInput` throws on some malformed strings instead of answering `None`.
    return false
  }
}

/**
 * A `Duration.Input` ("5 seconds", a number of milliseconds, a `Duration`) in an options schema, for
 * the options of every package of resilient-mq: a value that is none names the option in the
 * `ConfigError` with what was expected. Add the bounds the option needs with `.check`.
 */
export const DurationInput = Schema.declare(isDurationInput, {
  expected: "a duration such as \"5 seconds\" or a number of milliseconds"
})
