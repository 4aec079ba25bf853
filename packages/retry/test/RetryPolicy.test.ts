import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Metric, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  CircuitOpen,
  type CircuitTransition,
  type Decision,
  ReconnectAborted,
  ReconnectTimedOut,
  RetryPolicy,
  type RetryPolicyOptions
} from "../src/index.ts"
import * as Retry from "../src/index.ts"
import { failure, withRandom } from "./support.ts"

const provide = (options?: RetryPolicyOptions) => Effect.provide(Retry.layer(options))

const delayOf = (decision: Decision): number | string =>
  decision._tag === "GiveUp" ? decision.why : Duration.toMillis(decision.delay)

/** The ConfigError that building a policy from these options gives, as text. */
const configError = (options: RetryPolicyOptions) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Layer.build(Retry.layer(options)).pipe(Effect.scoped))
    assert.isTrue(Exit.isFailure(exit), "the options should be refused")
    const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
    assert.isTrue(error?._tag === "Fail" && error.error instanceof Config.ConfigError)
    return error?._tag === "Fail" ? error.error.message : ""
  })

describe("RetryPolicy decisions", () => {
  it.effect("a connection failure reconnects after 100 ms, doubling, capped at 30 s, under the 1800 s deadline", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const lost = failure("connection", 2009)
      const delays: Array<number | string> = []
      for (const failures of [1, 2, 3, 9, 10, 50]) {
        delays.push(delayOf(yield* policy.decide(lost, { failures, elapsed: 0 })))
      }
      assert.deepStrictEqual(delays, [100, 200, 400, 25_600, 30_000, 30_000])
      assert.strictEqual((yield* policy.decide(lost, { failures: 1, elapsed: 0 }))._tag, "Reconnect")
      assert.strictEqual(delayOf(yield* policy.decide(lost, { failures: 60, elapsed: "1800 seconds" })), "deadline")
      assert.strictEqual(delayOf(yield* policy.decide(lost, { failures: 60, elapsed: "1799.99 seconds" })), 10)
    }).pipe(withRandom(0), provide()))

  it.effect("the default jitter adds up to a fifth of each connection delay", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const decision = yield* policy.decide(failure("connection", 2059), { failures: 3, elapsed: 0 })
      assert.strictEqual(delayOf(decision), 480)
    }).pipe(withRandom(0.9999), provide()))

  it.effect("a transient failure is retried after 200 ms, doubling, five attempts in all", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const full = failure("transient", 2053)
      const decisions: Array<number | string> = []
      for (const failures of [1, 2, 3, 4, 5]) decisions.push(delayOf(yield* policy.decide(full, { failures, elapsed: 0 })))
      assert.deepStrictEqual(decisions, [200, 400, 800, 1600, "attempts"])
      assert.strictEqual((yield* policy.decide(full, { failures: 1, elapsed: 0 }))._tag, "Retry")
    }).pipe(withRandom(0), provide()))

  it.effect("permanent, outcome-unknown and backed-out failures are never retried", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      for (
        const [error, why] of [
          [failure("permanent", 2035), "permanent"],
          [failure("outcome-unknown", 2549), "outcome-unknown"],
          [failure("backed-out", 2003), "backed-out"]
        ] as const
      ) {
        assert.deepStrictEqual(yield* policy.decide(error, { failures: 1, elapsed: 0 }), { _tag: "GiveUp", why })
      }
    }).pipe(provide()))

  it.effect("a failure that carries no class is permanent", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      assert.strictEqual(policy.classify(new Error("boom")), "permanent")
      assert.strictEqual(policy.classify("text"), "permanent")
      assert.deepStrictEqual(yield* policy.decide(new Error("boom"), { failures: 1, elapsed: 0 }), {
        _tag: "GiveUp",
        why: "permanent"
      })
    }).pipe(provide()))

  it.effect("top-level options apply to both classes and per-class options override them", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const connection = policy.backoff("connection")
      const transient = policy.backoff("transient")
      assert.strictEqual(connection.maxAttempts, 3)
      assert.strictEqual(transient.maxAttempts, 7)
      assert.deepStrictEqual(
        [connection.delays, transient.delays].map((d) => d._tag === "Exponential" ? Duration.toMillis(d.initialDelay) : 0),
        [1000, 50]
      )
      assert.strictEqual(delayOf(yield* policy.decide(failure("connection", 2009), { failures: 2, elapsed: 0 })), 3000)
    }).pipe(
      withRandom(0),
      provide({
        initialDelay: "1 second",
        multiplier: 3,
        jitter: 0,
        maxAttempts: 3,
        transient: { initialDelay: "50 millis", maxAttempts: 7 }
      })
    ))

  it.effect("an IBM delay list replaces the exponential delays, its last step repeating", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const lost = failure("connection", 2009)
      const delays: Array<number | string> = []
      for (const failures of [1, 2, 3, 4]) delays.push(delayOf(yield* policy.decide(lost, { failures, elapsed: 0 })))
      assert.deepStrictEqual(delays, [1100, 2100, 4500, 4500])
    }).pipe(withRandom(0.5), provide({ connection: { delays: "(1000,200)(2000,200)(4000,1000)" } })))

  it.effect("an application's classifier decides first and falls back to the failure's own class", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      assert.strictEqual(policy.classify(failure("permanent", 2085)), "transient")
      assert.strictEqual(policy.classify(failure("permanent", 2035)), "permanent")
      assert.strictEqual(policy.classify(new Error("ECONNRESET")), "connection")
      assert.strictEqual((yield* policy.decide(failure("permanent", 2085), { failures: 1, elapsed: 0 }))._tag, "Retry")
    }).pipe(
      provide({
        classify: (error) =>
          error instanceof Error && error.message === "ECONNRESET"
            ? "connection"
            : Retry.reasonOf(error) === 2085
            ? "transient"
            : undefined
      })
    ))

  it.effect("decisions are counted per class", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const retries = Metric.withAttributes(Retry.metrics.retries, { class: "transient" })
      const giveUps = Metric.withAttributes(Retry.metrics.giveUps, { class: "permanent", why: "permanent" })
      const retriesBefore = (yield* Metric.value(retries)).count
      const giveUpsBefore = (yield* Metric.value(giveUps)).count
      yield* policy.decide(failure("transient", 2053), { failures: 1, elapsed: 0 })
      yield* policy.decide(failure("transient", 2053), { failures: 2, elapsed: 0 })
      yield* policy.decide(failure("permanent", 2035), { failures: 1, elapsed: 0 })
      assert.strictEqual((yield* Metric.value(retries)).count - retriesBefore, 2)
      assert.strictEqual((yield* Metric.value(giveUps)).count - giveUpsBefore, 1)
    }).pipe(provide()))
})

describe("RetryPolicy.retry", () => {
  it.effect("tries a transient failure again at the policy's delays until it succeeds", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const calls = yield* Ref.make(0)
      const flaky = Effect.gen(function*() {
        const n = yield* Ref.updateAndGet(calls, (c) => c + 1)
        return n < 3 ? yield* failure("transient", 2053) : n
      })
      const fiber = yield* Effect.forkChild(policy.retry(flaky))
      yield* TestClock.adjust("599 millis")
      assert.strictEqual(yield* Ref.get(calls), 2)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 3)
    }).pipe(withRandom(0), provide()))

  it.effect("hands back the last transient failure when the attempts run out", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const calls = yield* Ref.make(0)
      const fiber = yield* Effect.forkChild(
        policy.retry(Effect.andThen(Ref.update(calls, (c) => c + 1), failure("transient", 2053))).pipe(Effect.flip)
      )
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, 2053)
      assert.strictEqual(yield* Ref.get(calls), 5)
    }).pipe(withRandom(0), provide()))

  it.effect("does not retry connection, permanent or outcome-unknown failures", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      for (const error of [failure("connection", 2009), failure("permanent", 2085), failure("outcome-unknown", 2549)]) {
        const calls = yield* Ref.make(0)
        const result = yield* policy.retry(Effect.andThen(Ref.update(calls, (c) => c + 1), error)).pipe(Effect.flip)
        assert.strictEqual(result, error)
        assert.strictEqual(yield* Ref.get(calls), 1)
      }
    }).pipe(provide()))
})

describe("RetryPolicy.reconnect", () => {
  it.effect("reconnects after each connection failure at the policy's delays and reports every retry", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const calls = yield* Ref.make(0)
      const retries = yield* Ref.make<ReadonlyArray<ReadonlyArray<number>>>([])
      const connect = Effect.gen(function*() {
        const n = yield* Ref.updateAndGet(calls, (c) => c + 1)
        return n <= 3 ? yield* failure("connection", n === 1 ? 2538 : 2059) : "connected"
      })
      const fiber = yield* Effect.forkChild(policy.reconnect(connect, {
        onRetry: ({ attempt, delay, error }) =>
          Ref.update(retries, (r) => [...r, [attempt, Duration.toMillis(delay), error.reason]])
      }))
      yield* TestClock.adjust("700 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "connected")
      assert.deepStrictEqual(yield* Ref.get(retries), [[2, 100, 2538], [3, 200, 2059], [4, 400, 2059]])
    }).pipe(withRandom(0), provide()))

  it.effect("a transient refusal while connecting waits like a lost connection", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const calls = yield* Ref.make(0)
      const connect = Effect.gen(function*() {
        const n = yield* Ref.updateAndGet(calls, (c) => c + 1)
        return n === 1 ? yield* failure("transient", 2071) : "connected"
      })
      const fiber = yield* Effect.forkChild(policy.reconnect(connect))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "connected")
    }).pipe(withRandom(0), provide()))

  it.effect("gives up with ReconnectTimedOut at the deadline", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const calls = yield* Ref.make(0)
      const fiber = yield* Effect.forkChild(
        policy.reconnect(Effect.andThen(Ref.update(calls, (c) => c + 1), failure("connection", 2538))).pipe(Effect.flip)
      )
      yield* TestClock.adjust("9 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 seconds")
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, ReconnectTimedOut)
      // Attempts at 0, 1, 3, 7 seconds and the last one at the deadline.
      assert.strictEqual(yield* Ref.get(calls), 5)
      assert.strictEqual(error._tag === "ReconnectTimedOut" ? Duration.toMillis(error.elapsed) : 0, 10_000)
    }).pipe(withRandom(0), provide({ connection: { initialDelay: "1 second", deadline: "10 seconds" } })))

  it.effect.each([
    [2035, "user and password"],
    [2393, "cipher spec"],
    [2539, "server-connection channel"],
    [2540, "channel name"]
  ] as const)("a %s while reconnecting stops the loop at once, saying what to fix", ([reason, advice]) =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const calls = yield* Ref.make(0)
      const error = yield* policy.reconnect(
        Effect.andThen(Ref.update(calls, (c) => c + 1), failure("permanent", reason))
      ).pipe(Effect.flip)
      assert.instanceOf(error, ReconnectAborted)
      assert.strictEqual(yield* Ref.get(calls), 1)
      assert.include(error.message, advice)
      assert.strictEqual(error._tag === "ReconnectAborted" ? error.reason : undefined, reason)
    }).pipe(provide()))
})

describe("RetryPolicy.guard", () => {
  it.effect("opens after consecutive connection failures, fails fast, and closes after a probe succeeds", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const transitions = yield* Ref.make<Array<CircuitTransition>>([])
      yield* Effect.forkChild(Stream.runForEach(policy.circuitTransitions, (t) => Ref.update(transitions, (all) => [...all, t])))
      yield* Effect.yieldNow
      const calls = yield* Ref.make(0)
      const call = (result: Effect.Effect<string, ReturnType<typeof failure>>) =>
        policy.guard(Effect.andThen(Ref.update(calls, (c) => c + 1), result), "QM1")

      yield* call(Effect.fail(failure("transient", 2053))).pipe(Effect.flip)
      for (let i = 0; i < 3; i++) yield* call(Effect.fail(failure("connection", 2009))).pipe(Effect.flip)
      const open = yield* call(Effect.succeed("not run")).pipe(Effect.flip)
      assert.instanceOf(open, CircuitOpen)
      assert.strictEqual(yield* Ref.get(calls), 4)

      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* call(Effect.succeed("probe")), "probe")
      assert.strictEqual(yield* call(Effect.succeed("closed")), "closed")
      yield* Effect.yieldNow
      assert.deepStrictEqual(
        (yield* Ref.get(transitions)).map((t) => `${t.from}->${t.to}`),
        ["Closed->Open", "Open->HalfOpen", "HalfOpen->Closed"]
      )
    }).pipe(provide({ circuitBreaker: { failures: 3, openDuration: "10 seconds" } })))

  it.effect("without a circuit breaker every call runs", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      for (let i = 0; i < 10; i++) yield* policy.guard(Effect.fail(failure("connection", 2009))).pipe(Effect.flip)
      assert.strictEqual(yield* policy.guard(Effect.succeed("ran")), "ran")
    }).pipe(provide()))
})

describe("RetryPolicy options", () => {
  it.effect.each([
    [{ initialDelay: -5 }, "initialDelay", "negative"],
    [{ multiplier: 0.5 }, "multiplier", "at least 1"],
    [{ connection: { initialDelay: "10 seconds", maxDelay: "1 second" } }, "maxDelay", "below initialDelay"],
    [{ delays: "(1000,200" }, "delays", "delay list"],
    [{ delays: "(1000)", initialDelay: 100 }, "delays", "one or the other"],
    [{ transient: { jitter: 2 } }, "jitter", "between 0 and 1"],
    [{ maxAttempts: 0 }, "maxAttempts", "at least 1"],
    [{ deadline: "soon" }, "deadline", "duration"],
    [{ circuitBreaker: { failures: 0 } }, "failures", "1"]
  ] as const)("%j is refused with a ConfigError naming the option", ([options, name, words]) =>
    Effect.gen(function*() {
      const message = yield* configError(options as RetryPolicyOptions)
      assert.include(message, name)
      assert.include(message, words)
    }))

  it.effect("several invalid options are all named", () =>
    Effect.gen(function*() {
      const message = yield* configError({ multiplier: 0, jitter: -1 })
      assert.include(message, "multiplier")
      assert.include(message, "jitter")
    }))

  it.effect("layerConfig reads the options from configuration", () =>
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const connection = policy.backoff("connection")
      assert.strictEqual(connection.delays._tag === "Exponential" ? Duration.toMillis(connection.delays.initialDelay) : 0, 1000)
      assert.strictEqual(policy.backoff("transient").maxAttempts, 3)
      for (let i = 0; i < 2; i++) yield* policy.guard(Effect.fail(failure("connection", 2009))).pipe(Effect.flip)
      assert.instanceOf(yield* policy.guard(Effect.succeed(1)).pipe(Effect.flip), CircuitOpen)
    }).pipe(
      Effect.provide(Retry.layerConfig("retry")),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
        retry: {
          connection: { initialDelay: "1 second" },
          transient: { maxAttempts: 3 },
          circuitBreaker: { failures: 2 }
        }
      })))
    ))
})
