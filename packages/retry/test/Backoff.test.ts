import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { type Backoff, delayAfter, nextDelay, parseDelayList, toSchedule } from "../src/index.ts"
import { withRandom } from "./support.ts"

const exponential = (overrides: Partial<Backoff> = {}): Backoff => ({
  maxAttempts: Number.POSITIVE_INFINITY,
  deadline: undefined,
  delays: {
    _tag: "Exponential",
    initialDelay: Duration.millis(100),
    maxDelay: Duration.seconds(30),
    multiplier: 2,
    jitter: 0.2
  },
  ...overrides
})

const millis = (backoff: Backoff, failures: number, random: number) => Duration.toMillis(delayAfter(backoff, failures, random))

describe("parseDelayList", () => {
  it("reads delay and random pairs in milliseconds, as ReconDelay writes them", () => {
    const list = parseDelayList("(1000,200)(2000,200)(4000,1000)")
    assert.deepStrictEqual(
      list?.steps.map((s) => [Duration.toMillis(s.delay), Duration.toMillis(s.random)]),
      [[1000, 200], [2000, 200], [4000, 1000]]
    )
  })

  it("accepts a step without a random part and blanks between steps", () => {
    const list = parseDelayList(" (500) (1000, 100) ")
    assert.deepStrictEqual(
      list?.steps.map((s) => [Duration.toMillis(s.delay), Duration.toMillis(s.random)]),
      [[500, 0], [1000, 100]]
    )
  })

  it("refuses what is not a delay list", () => {
    for (const text of ["", "1000,200", "(1000,200", "(a,b)", "(1000,200)x", "(-5)"]) {
      assert.isUndefined(parseDelayList(text), text)
    }
  })
})

describe("delayAfter", () => {
  it("doubles from the initial delay and stops growing at the cap", () => {
    const backoff = exponential()
    assert.deepStrictEqual(
      [1, 2, 3, 4, 5, 9, 10, 20].map((n) => millis(backoff, n, 0)),
      [100, 200, 400, 800, 1600, 25600, 30000, 30000]
    )
  })

  it("grows each delay by at most the jitter fraction of itself", () => {
    const backoff = exponential()
    for (const failures of [1, 3, 12]) {
      const base = millis(backoff, failures, 0)
      assert.isAtLeast(millis(backoff, failures, 0.5), base)
      assert.isAtMost(millis(backoff, failures, 0.9999), Math.round(base * 1.2))
      assert.strictEqual(millis(backoff, failures, 0.5), Math.round(base * 1.1))
    }
  })

  it("walks a delay list adding up to each step's random part, and repeats the last step", () => {
    const backoff: Backoff = { ...exponential(), delays: parseDelayList("(1000,200)(2000,200)(4000,1000)")! }
    assert.deepStrictEqual([1, 2, 3, 4, 7].map((n) => millis(backoff, n, 0)), [1000, 2000, 4000, 4000, 4000])
    assert.deepStrictEqual([1, 2, 3, 4].map((n) => millis(backoff, n, 0.5)), [1100, 2100, 4500, 4500])
  })
})

describe("nextDelay", () => {
  it.effect("stops when the attempts run out", () =>
    Effect.gen(function*() {
      const backoff = exponential({ maxAttempts: 3 })
      assert.isTrue(Duration.isDuration(yield* nextDelay(backoff, 2, Duration.zero)))
      assert.strictEqual(yield* nextDelay(backoff, 3, Duration.zero), "attempts")
    }).pipe(withRandom(0)))

  it.effect("never sleeps past the deadline and stops once it has passed", () =>
    Effect.gen(function*() {
      const backoff = exponential({ deadline: Duration.seconds(10) })
      const clipped = yield* nextDelay(backoff, 20, Duration.millis(9_950))
      assert.strictEqual(Duration.isDuration(clipped) ? Duration.toMillis(clipped) : clipped, 50)
      assert.strictEqual(yield* nextDelay(backoff, 21, Duration.seconds(10)), "deadline")
    }).pipe(withRandom(0)))
})

describe("toSchedule", () => {
  it.effect("retries an effect at exactly the backoff's delays", () =>
    Effect.gen(function*() {
      const attemptsAt = yield* Ref.make<Array<number>>([])
      const flaky = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const seen = yield* Ref.updateAndGet(attemptsAt, (times) => [...times, now])
        if (seen.length < 5) return yield* Effect.fail("not yet")
        return "done"
      })
      const start = yield* Clock.currentTimeMillis
      const fiber = yield* Effect.forkChild(Effect.retry(flaky, toSchedule(exponential({ maxAttempts: 10 }))))
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* Fiber.join(fiber), "done")
      assert.deepStrictEqual((yield* Ref.get(attemptsAt)).map((t) => t - start), [0, 100, 300, 700, 1500])
    }).pipe(withRandom(0)))

  it.effect("gives up after maxAttempts attempts in all", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const fiber = yield* Effect.forkChild(
        Effect.retry(Effect.andThen(Ref.update(attempts, (n) => n + 1), Effect.fail("always")), toSchedule(exponential({ maxAttempts: 4 })))
          .pipe(Effect.flip)
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "always")
      assert.strictEqual(yield* Ref.get(attempts), 4)
    }).pipe(withRandom(0)))
})
