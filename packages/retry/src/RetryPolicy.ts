import {
  Cause,
  Clock,
  Config,
  Context,
  Duration,
  Effect,
  Exit,
  Layer,
  Metric,
  Option,
  Predicate,
  Schema,
  Stream
} from "effect"
import * as CircuitBreaker from "effect/persistence/CircuitBreaker"
import { type Backoff, type Exhausted, nextDelay, parseDelayList } from "./Backoff.ts"
import { DurationInput } from "./DurationInput.ts"
import { CircuitOpen, ReconnectAborted, ReconnectTimedOut } from "./Errors.ts"
import { adviceFor, classOf, type FailureClass, reasonOf } from "./FailureClass.ts"

/** What to do after a failed attempt. */
export type Decision =
  /** A connection failure: reconnect after the delay, then try again. */
  | { readonly _tag: "Reconnect"; readonly delay: Duration.Duration }
  /** A transient failure: try again after the delay. */
  | { readonly _tag: "Retry"; readonly delay: Duration.Duration }
  /** Stop: the failure goes to the caller. */
  | { readonly _tag: "GiveUp"; readonly why: GiveUpReason }

/**
 * Why a failure is not retried: its class says so (`permanent`, `outcome-unknown`, `backed-out`), or
 * the class's attempts or deadline ran out.
 */
export type GiveUpReason = "permanent" | "outcome-unknown" | "backed-out" | Exhausted

/** The classes that are tried again, each under its own backoff. */
export type RetriedClass = "connection" | "transient"

/** A change of a circuit's state. */
export interface CircuitTransition {
  readonly key: string
  readonly from: "Closed" | "Open" | "HalfOpen"
  readonly to: "Closed" | "Open" | "HalfOpen"
}

/**
 * Decides, for every failure of an MQ call, whether to reconnect, retry or give up, and when; runs
 * reconnect loops and retries under those decisions; and fails calls fast while too many
 * consecutive connection failures keep the circuit open.
 */
export class RetryPolicy extends Context.Service<RetryPolicy, {
  /** The class of a failure: the application's classifier first, then the failure's own class. */
  readonly classify: (error: unknown) => FailureClass
  /** The backoff of a retried class. */
  readonly backoff: (failureClass: RetriedClass) => Backoff
  /** The decision after `failures` failed attempts, `elapsed` after the first of them. */
  readonly decide: (
    error: unknown,
    progress: { readonly failures: number; readonly elapsed: Duration.Input }
  ) => Effect.Effect<Decision>
  /**
   * Runs an effect, trying it again after transient failures under the transient backoff. Every
   * other failure, and the last transient one, goes to the caller as it is.
   */
  readonly retry: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Runs a connect attempt until it succeeds, under the connection backoff: connection and
   * transient failures are tried again after their delay (`onRetry` hears of each); a permanent
   * failure stops at once with `ReconnectAborted` saying what to fix; the deadline or the attempts
   * running out gives `ReconnectTimedOut`.
   */
  readonly reconnect: <A, E, R>(
    connect: Effect.Effect<A, E, R>,
    options?: {
      readonly onRetry?: (retry: { readonly attempt: number; readonly delay: Duration.Duration; readonly error: E }) => Effect.Effect<void>
    }
  ) => Effect.Effect<A, ReconnectAborted | ReconnectTimedOut, R>
  /**
   * Runs a call through the circuit `key` (default `"default"`): after `circuitBreaker.failures`
   * consecutive connection failures it fails at once with `CircuitOpen` until a probe after the open
   * duration succeeds. Without a circuit breaker it runs the call as it is.
   */
  readonly guard: <A, E, R>(effect: Effect.Effect<A, E, R>, key?: string) => Effect.Effect<A, E | CircuitOpen, R>
  /** Every change of a circuit's state. */
  readonly circuitTransitions: Stream.Stream<CircuitTransition>
}>()("@resilient-mq/retry/RetryPolicy") {}

const NotNegative = DurationInput.check(
  Schema.makeFilter((d) => Duration.toMillis(Duration.fromInputUnsafe(d)) >= 0 || "must not be negative")
)

const exponentialFields = ["initialDelay", "maxDelay", "multiplier", "jitter"] as const

const BackoffFields = {
  maxAttempts: Schema.optionalKey(
    Schema.Number.check(
      Schema.makeFilter((n) =>
        n === Number.POSITIVE_INFINITY || (Number.isInteger(n) && n >= 1) || "must be a whole number of at least 1, or Infinity"
      )
    )
  ),
  initialDelay: Schema.optionalKey(NotNegative),
  maxDelay: Schema.optionalKey(NotNegative),
  multiplier: Schema.optionalKey(Schema.Number.check(Schema.makeFilter((n) => n >= 1 || "must be at least 1"))),
  jitter: Schema.optionalKey(
    Schema.Number.check(Schema.makeFilter((n) => (n >= 0 && n <= 1) || "must be between 0 and 1"))
  ),
  deadline: Schema.optionalKey(NotNegative),
  delays: Schema.optionalKey(
    Schema.String.check(
      Schema.makeFilter((s) =>
        parseDelayList(s) !== undefined ||
        "expected an IBM delay list of milliseconds such as (1000,200)(2000,200)(4000,1000)"
      )
    )
  )
}

/** The backoff options, for every retried class at once or for one. */
export const BackoffOptions = Schema.Struct(BackoffFields).check(
  Schema.makeFilter((o) =>
    o.delays !== undefined && exponentialFields.some((f) => o[f] !== undefined)
      ? { path: ["delays"], issue: "a delay list replaces initialDelay, maxDelay, multiplier and jitter: give one or the other" }
      : undefined
  )
)

export type BackoffOptions = typeof BackoffOptions.Type

/** The application's own classifier: a class for the failures it knows, `undefined` for the rest. */
export type Classifier = (error: unknown) => FailureClass | undefined

/**
 * Options of a retry policy. Backoff options at the top apply to both retried classes; `connection`
 * and `transient` override them per class.
 */
export const RetryPolicyOptions = Schema.Struct({
  ...BackoffFields,
  connection: Schema.optionalKey(BackoffOptions),
  transient: Schema.optionalKey(BackoffOptions),
  classify: Schema.optionalKey(Schema.declare(Predicate.isFunction, { expected: "a function" })),
  circuitBreaker: Schema.optionalKey(
    Schema.Union([
      Schema.Literal(false),
      Schema.Struct({
        failures: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
        openDuration: Schema.optionalKey(NotNegative)
      })
    ])
  )
}).check(
  Schema.makeFilter((o) =>
    o.delays !== undefined && exponentialFields.some((f) => o[f] !== undefined)
      ? { path: ["delays"], issue: "a delay list replaces initialDelay, maxDelay, multiplier and jitter: give one or the other" }
      : undefined
  ),
  Schema.makeFilter((o) =>
    (["connection", "transient"] as const).flatMap((failureClass) => {
      const merged = merge(failureClass, o)
      return merged.delays === undefined &&
          Duration.toMillis(Duration.fromInputUnsafe(merged.maxDelay)) <
            Duration.toMillis(Duration.fromInputUnsafe(merged.initialDelay))
        ? [{ path: [failureClass, "maxDelay"], issue: "must not be below initialDelay" }]
        : []
    })
  )
)

export interface RetryPolicyOptions extends Omit<typeof RetryPolicyOptions.Type, "classify"> {
  readonly classify?: Classifier
}

/** The defaults: MQ's own reconnect timeout for connections, a handful of tries for transient failures. */
export const defaults: { readonly [C in RetriedClass]: Required<Omit<BackoffOptions, "delays" | "deadline">> & Pick<BackoffOptions, "deadline"> } = {
  connection: {
    maxAttempts: Number.POSITIVE_INFINITY,
    initialDelay: "100 millis",
    maxDelay: "30 seconds",
    multiplier: 2,
    jitter: 0.2,
    deadline: "1800 seconds"
  },
  transient: {
    maxAttempts: 5,
    initialDelay: "200 millis",
    maxDelay: "5 seconds",
    multiplier: 2,
    jitter: 0.2
  }
}

// The backoff options of a larger object, without the keys that are absent or undefined.
const pickBackoff = (o: { readonly [K in keyof BackoffOptions]?: BackoffOptions[K] | undefined }): BackoffOptions => {
  const picked: Record<string, unknown> = {}
  for (const key of Object.keys(BackoffFields)) {
    const value = o[key as keyof BackoffOptions]
    if (value !== undefined) picked[key] = value
  }
  return picked as BackoffOptions
}

// The class's own options win over the top-level ones; exponential options given for the class
// replace a delay list given at the top, and the other way round.
function merge(failureClass: RetriedClass, options: typeof RetryPolicyOptions.Type) {
  const top = pickBackoff(options)
  const own = pickBackoff(options[failureClass] ?? {})
  const ownExponential = exponentialFields.some((f) => own[f] !== undefined)
  const merged = { ...defaults[failureClass], ...top, ...own }
  return ownExponential && own.delays === undefined ? { ...merged, delays: undefined } : merged
}

const toBackoff = (options: ReturnType<typeof merge>): Backoff => ({
  maxAttempts: options.maxAttempts,
  deadline: options.deadline === undefined ? undefined : Duration.fromInputUnsafe(options.deadline),
  delays: options.delays !== undefined
    ? parseDelayList(options.delays)!
    : {
      _tag: "Exponential",
      initialDelay: Duration.fromInputUnsafe(options.initialDelay),
      maxDelay: Duration.fromInputUnsafe(options.maxDelay),
      multiplier: options.multiplier,
      jitter: options.jitter
    }
})

/** Validates retry policy options, failing with a `ConfigError` that names each option in error. */
export const validate = (options: RetryPolicyOptions): Effect.Effect<RetryPolicyOptions, Config.ConfigError> =>
  Schema.decodeUnknownEffect(RetryPolicyOptions)(options, { errors: "all" }).pipe(
    Effect.as(options),
    Effect.mapError((error) => new Config.ConfigError(error))
  )

/** The policy's metrics: failed attempts, attempts scheduled again, and failures handed back, by class. */
export const metrics = {
  attempts: Metric.counter("resilient_mq_retry_attempts_total", {
    description: "failed attempts seen by the retry policy, by failure class",
    incremental: true
  }),
  retries: Metric.counter("resilient_mq_retry_retries_total", {
    description: "attempts scheduled again (retries and reconnects), by failure class",
    incremental: true
  }),
  giveUps: Metric.counter("resilient_mq_retry_give_ups_total", {
    description: "failures handed back to the caller, by failure class and why",
    incremental: true
  })
} as const

const count = (metric: Metric.Metric<number, unknown>, attributes: Record<string, string>) =>
  Metric.update(Metric.withAttributes(metric, attributes), 1)

const giveUpFor: Record<Exclude<FailureClass, RetriedClass>, GiveUpReason> = {
  "permanent": "permanent",
  "outcome-unknown": "outcome-unknown",
  "backed-out": "backed-out"
}

const isRetried = (failureClass: FailureClass): failureClass is RetriedClass =>
  failureClass === "connection" || failureClass === "transient"

/** Builds a retry policy from options validated beforehand. */
const make = Effect.fnUntraced(function*(options: RetryPolicyOptions) {
  const backoffs: { readonly [C in RetriedClass]: Backoff } = {
    connection: toBackoff(merge("connection", options)),
    transient: toBackoff(merge("transient", options))
  }
  const classify = (error: unknown): FailureClass => options.classify?.(error) ?? classOf(error)

  const decide = Effect.fnUntraced(function*(
    error: unknown,
    progress: { readonly failures: number; readonly elapsed: Duration.Input }
  ) {
    const failureClass = classify(error)
    yield* count(metrics.attempts, { class: failureClass })
    const decision: Decision = isRetried(failureClass)
      ? yield* nextDelay(backoffs[failureClass], progress.failures, Duration.fromInputUnsafe(progress.elapsed)).pipe(
        Effect.map((next): Decision =>
          Duration.isDuration(next)
            ? { _tag: failureClass === "connection" ? "Reconnect" : "Retry", delay: next }
            : { _tag: "GiveUp", why: next }
        )
      )
      : { _tag: "GiveUp", why: giveUpFor[failureClass] }
    yield* decision._tag === "GiveUp"
      ? count(metrics.giveUps, { class: failureClass, why: decision.why })
      : count(metrics.retries, { class: failureClass })
    return decision
  })

  // Runs `attempt` until it succeeds or `next` says to stop, sleeping the decided delays.
  const loop = <A, E, R, E2>(
    attempt: Effect.Effect<A, E, R>,
    next: (error: E, failures: number, elapsed: number) => Effect.Effect<Duration.Duration, E2>
  ): Effect.Effect<A, E2, R> =>
    Effect.gen(function*() {
      let failures = 0
      let firstFailure: number | undefined
      while (true) {
        const exit = yield* Effect.exit(attempt)
        if (Exit.isSuccess(exit)) return exit.value
        const error = Cause.findErrorOption(exit.cause)
        if (Option.isNone(error)) return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
        const now = yield* Clock.currentTimeMillis
        firstFailure ??= now
        failures++
        yield* Effect.sleep(yield* next(error.value, failures, now - firstFailure))
      }
    })

  const retry = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    loop(effect, (error, failures, elapsed) =>
      classify(error) === "transient"
        ? Effect.flatMap(
          decide(error, { failures, elapsed }),
          (decision) => decision._tag === "Retry" ? Effect.succeed(decision.delay) : Effect.fail(error)
        )
        : Effect.fail(error))

  const reconnect = <A, E, R>(
    connect: Effect.Effect<A, E, R>,
    reconnectOptions?: {
      readonly onRetry?: (retry: { readonly attempt: number; readonly delay: Duration.Duration; readonly error: E }) => Effect.Effect<void>
    }
  ): Effect.Effect<A, ReconnectAborted | ReconnectTimedOut, R> =>
    loop(connect, (error, failures, elapsed) =>
      Effect.gen(function*() {
        const failureClass = classify(error)
        // A transient refusal while connecting (too many connections) waits like a lost connection.
        if (!isRetried(failureClass)) {
          yield* count(metrics.attempts, { class: failureClass })
          yield* count(metrics.giveUps, { class: failureClass, why: giveUpFor[failureClass] })
          const reason = reasonOf(error)
          return yield* new ReconnectAborted({
            ...(reason === undefined ? {} : { reason }),
            advice: adviceFor(reason),
            attempts: failures,
            cause: error
          })
        }
        const decision = yield* decide({ errorClass: "connection" }, { failures, elapsed })
        if (decision._tag === "GiveUp") {
          return yield* new ReconnectTimedOut({ attempts: failures, elapsed: Duration.millis(elapsed), cause: error })
        }
        if (reconnectOptions?.onRetry) {
          yield* reconnectOptions.onRetry({ attempt: failures + 1, delay: decision.delay, error })
        }
        return decision.delay
      }))

  const circuit = options.circuitBreaker === undefined || options.circuitBreaker === false
    ? { guard: <A, E, R>(effect: Effect.Effect<A, E, R>) => effect, circuitTransitions: Stream.empty }
    : yield* makeCircuit(options.circuitBreaker, classify)

  return RetryPolicy.of({
    classify,
    backoff: (failureClass) => backoffs[failureClass],
    decide,
    retry,
    reconnect,
    ...circuit
  })
})

const makeCircuit = Effect.fnUntraced(function*(
  options: { readonly failures: number; readonly openDuration?: Duration.Input },
  classify: (error: unknown) => FailureClass
) {
  const breaker = yield* CircuitBreaker.make({
    tripPolicy: CircuitBreaker.consecutive(options.failures),
    openDuration: options.openDuration ?? "5 seconds"
  }).pipe(Effect.provide(CircuitBreaker.layerStoreMemory()))

  const guard = <A, E, R>(effect: Effect.Effect<A, E, R>, key = "default"): Effect.Effect<A, E | CircuitOpen, R> =>
    breaker.execute(effect, {
      key,
      // Only a lost or unreachable queue manager counts against the circuit; a full queue does not.
      classify: (exit) =>
        Exit.isSuccess(exit)
          ? CircuitBreaker.success
          : Option.match(Cause.findErrorOption(exit.cause), {
            onNone: () => CircuitBreaker.ignored,
            onSome: (error) => classify(error) === "connection" ? CircuitBreaker.failure() : CircuitBreaker.ignored
          })
    }).pipe(
      Effect.catchIf(
        (error): error is CircuitBreaker.CircuitBreakerError => error instanceof CircuitBreaker.CircuitBreakerError,
        (error) =>
          error.reason._tag === "CircuitOpen"
            ? Effect.fail(new CircuitOpen({ key, retryAfter: error.reason.retryAfter }))
            : error.reason._tag === "CircuitHalfOpen"
            ? Effect.fail(new CircuitOpen({ key, retryAfter: Duration.zero }))
            : Effect.die(error)
      )
    )

  return { guard, circuitTransitions: breaker.transitions }
})

/** The policy from options, validated when the layer is built. */
export const layer = (options: RetryPolicyOptions = {}): Layer.Layer<RetryPolicy, Config.ConfigError> =>
  Layer.effect(RetryPolicy, Effect.flatMap(validate(options), make))

/** The policy with every default: MQ's reconnect timeout, five tries for transient failures, no circuit breaker. */
export const layerDefault: Layer.Layer<RetryPolicy> = Layer.effect(RetryPolicy, make({}))

const optional = <A>(config: Config.Config<A>) => Config.option(config).pipe(Config.map(Option.getOrUndefined))

const optionalBackoff: Config.Config<BackoffOptions> = Config.all({
  maxAttempts: optional(Config.Number("maxAttempts")),
  initialDelay: optional(Config.Duration("initialDelay")),
  maxDelay: optional(Config.Duration("maxDelay")),
  multiplier: optional(Config.Number("multiplier")),
  jitter: optional(Config.Number("jitter")),
  deadline: optional(Config.Duration("deadline")),
  delays: optional(Config.String("delays"))
}).pipe(Config.map(pickBackoff))

/**
 * The policy read from configuration: the backoff options at the top of the path, per class under
 * `connection` and `transient`, and `circuitBreaker.failures` / `circuitBreaker.openDuration`.
 */
export const layerConfig = (path?: string): Layer.Layer<RetryPolicy, Config.ConfigError> => {
  const config = Config.all({
    top: optionalBackoff,
    connection: Config.nested(optionalBackoff, "connection"),
    transient: Config.nested(optionalBackoff, "transient"),
    failures: Config.option(Config.nested(Config.Int("failures"), "circuitBreaker")),
    openDuration: Config.option(Config.nested(Config.Duration("openDuration"), "circuitBreaker"))
  })
  return Layer.unwrap(
    Effect.map(
      path === undefined ? config : Config.nested(config, path),
      ({ top, connection, transient, failures, openDuration }) =>
        layer({
          ...top,
          connection,
          transient,
          ...(Option.isSome(failures)
            ? {
              circuitBreaker: {
                failures: failures.value,
                ...(Option.isSome(openDuration) ? { openDuration: openDuration.value } : {})
              }
            }
            : {})
        })
    )
  )
}

