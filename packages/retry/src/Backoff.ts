import { Cause, Duration, Effect, Option, Random, Schedule } from "effect"

/**
 * When to try again: exponential (`initialDelay`, doubling by `multiplier`, capped at `maxDelay`, each
 * delay grown by up to `jitter` of itself at random) or an IBM-style delay list, within `maxAttempts`
 * and an overall `deadline` counted from the first failure.
 */
export interface Backoff {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number
  /** From the first failure; `undefined` for none. */
  readonly deadline: Duration.Duration | undefined
  readonly delays: ExponentialDelays | DelayList
}

export interface ExponentialDelays {
  readonly _tag: "Exponential"
  readonly initialDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly multiplier: number
  /** Between 0 and 1: a delay `d` becomes `d × (1 + jitter × r)` for a random `r` in [0, 1). */
  readonly jitter: number
}

/** `(1000,200)(2000,200)(4000,1000)`: each step a delay plus up to a random amount; the last step repeats. */
export interface DelayList {
  readonly _tag: "DelayList"
  readonly steps: ReadonlyArray<{ readonly delay: Duration.Duration; readonly random: Duration.Duration }>
}

const delayListPattern = /^(\(\s*\d+\s*(,\s*\d+\s*)?\))+$/

/**
 * Parses a delay list as `ReconDelay` in `mqclient.ini` writes it: milliseconds, each pair a delay and
 * an optional random addition. `undefined` when the text is not such a list.
 */
export const parseDelayList = (text: string): DelayList | undefined => {
  const compact = text.replace(/\s+/g, "")
  if (!delayListPattern.test(compact)) return undefined
  const steps = [...compact.matchAll(/\((\d+)(?:,(\d+))?\)/g)].map(([, delay, random]) => ({
    delay: Duration.millis(Number(delay)),
    random: Duration.millis(Number(random ?? 0))
  }))
  return { _tag: "DelayList", steps }
}

/**
 * The delay before the next attempt after `failures` failed attempts (1 for the first), given a
 * random number in [0, 1), in whole milliseconds.
 */
export const delayAfter = (backoff: Backoff, failures: number, random: number): Duration.Duration => {
  const delays = backoff.delays
  if (delays._tag === "DelayList") {
    const step = delays.steps[Math.min(failures, delays.steps.length) - 1]!
    return Duration.millis(Math.round(Duration.toMillis(step.delay) + Duration.toMillis(step.random) * random))
  }
  const base = Math.min(
    Duration.toMillis(delays.initialDelay) * delays.multiplier ** (failures - 1),
    Duration.toMillis(delays.maxDelay)
  )
  return Duration.millis(Math.round(base * (1 + delays.jitter * random)))
}

/** Why a backoff says to stop. */
export type Exhausted = "attempts" | "deadline"

/**
 * The next delay after `failures` failed attempts and `elapsed` time since the first failure, or why to
 * stop. A delay never carries past the deadline: the last attempt is made at it.
 */
export const nextDelay = (
  backoff: Backoff,
  failures: number,
  elapsed: Duration.Duration
): Effect.Effect<Duration.Duration | Exhausted> =>
  Effect.gen(function*() {
    if (failures >= backoff.maxAttempts) return "attempts"
    const remaining = Option.map(Option.fromUndefinedOr(backoff.deadline), (deadline) => Duration.subtract(deadline, elapsed))
    if (Option.isSome(remaining) && Duration.toMillis(remaining.value) <= 0) return "deadline"
    const delay = delayAfter(backoff, failures, yield* Random.next)
    return Option.isSome(remaining) ? Duration.min(delay, remaining.value) : delay
  })

/**
 * The backoff as an Effect `Schedule`, for `Effect.retry` and `Effect.repeat`: it outputs each delay
 * and stops when the attempts or the deadline run out.
 */
export const toSchedule = (backoff: Backoff): Schedule.Schedule<Duration.Duration, unknown> =>
  Schedule.fromStepWithMetadata(Effect.succeed((meta: Schedule.InputMetadata<unknown>) =>
    Effect.flatMap(nextDelay(backoff, meta.attempt, Duration.millis(meta.elapsed)), (next) =>
      Duration.isDuration(next) ? Effect.succeed([next, next] as [Duration.Duration, Duration.Duration]) : Cause.done(Duration.zero))
  ))
