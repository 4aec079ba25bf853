import { layer as connectionLayer, MqConnection, Mqi, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { Duration, Effect, Exit, Fiber, Layer, Option, Ref, Stream } from "effect"
import { type BenchResult, median, perSecond, round } from "./Result.ts"

const body = new Uint8Array(256).fill(0x61)
const QUEUE = "BENCH.PUT"

/** Milliseconds that `effect` takes, on the wall clock. */
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    yield* effect
    return performance.now() - start
  })

/**
 * `count` calls, one after the other, in a plain loop (no schedule in the timing). Each call makes its
 * effect anew, as an application does: a traced verb pays for its call site on every call.
 */
const loop = <A, E, R>(count: number, call: () => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < count; i++) yield* call()
  })

/**
 * Puts through `MqConnection` against puts through the bare `Mqi` layer it wraps, on the same
 * in-process emulator, in many short rounds that alternate which side goes first (the machine's
 * noise then falls on both sides alike); the median of the rounds' ratios counts.
 */
export const connectionPutRate = (puts = 5_000, rounds = 21): Effect.Effect<BenchResult, unknown> =>
  Effect.gen(function*() {
    const control = yield* QueueManagerControl
    yield* control.defineQueue("QM1", QUEUE, { maxDepth: 100_000_000 })
    const mqi = yield* Mqi
    const mq = yield* MqConnection
    const hconn = yield* mqi.connect({ queueManager: "QM1" })
    const bare = yield* mqi.open(hconn, { type: "queue", name: QUEUE }, { output: true, input: "shared" })
    const resilient = yield* mq.open({ type: "queue", name: QUEUE }, { output: true })
    // Empties the queue between timings, so that both sides put to a queue of the same depth.
    const drain = Effect.gen(function*() {
      while (Option.isSome(yield* mqi.get(bare))) {
        // taking every message
      }
    })
    const measure = (put: () => Effect.Effect<unknown, unknown>) =>
      Effect.gen(function*() {
        const millis = yield* timed(loop(puts, put))
        yield* drain
        return perSecond(puts, millis)
      })
    const bareRates: Array<number> = []
    const resilientRates: Array<number> = []
    const ratios: Array<number> = []
    const putBare = () => mqi.put(bare, { body })
    const putResilient = () => mq.put(resilient, { body })
    yield* measure(putBare)
    yield* measure(putResilient)
    for (let round = 0; round < rounds; round++) {
      const first = round % 2 === 0 ? putBare : putResilient
      const second = first === putBare ? putResilient : putBare
      const firstRate = yield* measure(first)
      const secondRate = yield* measure(second)
      const [bareRate, resilientRate] = first === putBare ? [firstRate, secondRate] : [secondRate, firstRate]
      bareRates.push(bareRate)
      resilientRates.push(resilientRate)
      ratios.push(resilientRate / bareRate)
    }
    return {
      name: "put rate through MqConnection vs the bare Mqi layer (in-process emulator)",
      value: round(median(resilientRates), 0),
      unit: "puts/s",
      baseline: round(median(bareRates), 0),
      ratio: round(median(ratios)),
      target: 0.9
    }
  }).pipe(
    Effect.scoped,
    Effect.provide(
      connectionLayer({ connect: { queueManager: "QM1" }, heartbeat: false }).pipe(
        Layer.provide(Retry.layerDefault),
        Layer.provideMerge(Emulator.layer())
      )
    )
  )

/**
 * After the queue manager returns, how long until the first put succeeds, against how long until
 * the policy's next reconnect attempt (constant 200 ms delays); the queue manager returns at a
 * different point between attempts in each trial.
 */
export const timeToFirstPut = (trials = 5): Effect.Effect<BenchResult, unknown> =>
  Effect.gen(function*() {
    const control = yield* QueueManagerControl
    const mq = yield* MqConnection
    const queue = yield* mq.open({ type: "queue", name: "DEV.QUEUE.1" }, { output: true })
    const nextAttemptAt = yield* Ref.make(0)
    yield* Effect.forkScoped(Stream.runForEach(mq.events, (event) =>
      event._tag === "Reconnecting"
        ? Ref.set(nextAttemptAt, performance.now() + Duration.toMillis(event.delay))
        : Effect.void))
    const waits: Array<number> = []
    const actual: Array<number> = []
    for (let trial = 0; trial < trials; trial++) {
      yield* control.stop("QM1", { mode: "immediate", reconnect: true })
      const firstPut = yield* Effect.forkChild(Effect.gen(function*() {
        while (Exit.isFailure(yield* Effect.exit(mq.put(queue, { body })))) {
          // the put cut off by the stop has an unknown outcome; the next one waits for the reconnect
        }
        return performance.now()
      }))
      yield* Effect.sleep(`${430 + 37 * trial} millis`)
      const startedAt = performance.now()
      yield* control.start("QM1")
      const putAt = yield* Fiber.join(firstPut)
      waits.push((yield* Ref.get(nextAttemptAt)) - startedAt)
      actual.push(putAt - startedAt)
    }
    const value = actual.reduce((a, b) => a + b) / trials
    const baseline = waits.reduce((a, b) => a + b) / trials
    return {
      name: "time from the queue manager's return to the first successful put vs the policy's next attempt",
      value: round(value, 1),
      unit: "ms",
      baseline: round(baseline, 1),
      ratio: round(baseline / value),
      target: 0.9
    }
  }).pipe(
    Effect.scoped,
    Effect.provide(
      connectionLayer({ connect: { queueManager: "QM1" }, heartbeat: false }).pipe(
        Layer.provide(Retry.layer({
          connection: { initialDelay: "200 millis", multiplier: 1, maxDelay: "200 millis", jitter: 0, deadline: "60 seconds" }
        })),
        Layer.provideMerge(Emulator.layer())
      )
    )
  )
