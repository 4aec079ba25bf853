import { BufferStore, type Envelope } from "@resilient-mq/buffer"
import { Effect, type Layer } from "effect"
import { perSecond, temporaryFolder } from "./Result.ts"

/** The body size of every store benchmark. */
export const RECORD = 256

/**
 * The envelopes to append, made once before any clock starts and appended in every round: the raw
 * side allocates nothing either, so that both sides measure the medium and what is put on it, not
 * the producer's allocations (nor the garbage collector moving fresh bodies during the round).
 */
export const makeEnvelopes = (count: number): ReadonlyArray<Envelope> =>
  Array.from({ length: count }, (_, i) => ({
    destination: "BENCH.QUEUE",
    body: new Uint8Array(RECORD).fill(0x61 + (i % 26)),
    descriptor: {},
    properties: {},
    msgId: new Uint8Array(24).fill(1),
    acceptedAt: i
  }))

/** Appends `envelopes` through the store from `producers` fibers, each awaiting its own appends. */
export const storeRate = (envelopes: ReadonlyArray<Envelope>, producers: number) =>
  Effect.gen(function*() {
    const store = yield* BufferStore
    const each = Math.floor(envelopes.length / producers)
    const start = performance.now()
    yield* Effect.forEach(
      Array.from({ length: producers }, (_, p) => p),
      (p) =>
        Effect.gen(function*() {
          for (let i = 0; i < each; i++) yield* store.append(envelopes[p * each + i]!)
        }),
      { concurrency: "unbounded", discard: true }
    )
    return perSecond(each * producers, performance.now() - start)
  })

/** Appends through a fresh store (in a fresh temporary folder) from `producers` fibers. */
export const freshStoreRate = <E>(store: (folder: string) => Layer.Layer<BufferStore, E>) =>
(envelopes: ReadonlyArray<Envelope>, producers: number) =>
  Effect.scoped(Effect.flatMap(temporaryFolder, (folder) => Effect.provide(storeRate(envelopes, producers), store(folder))))

/** No capacity: the benchmarks append more than the default 10,000. */
export const unbounded = { messages: Number.POSITIVE_INFINITY }
