import { NodeRedis } from "@effect/platform-node"
import { BufferStore, type Envelope } from "@resilient-mq/buffer"
import { layerRedis } from "@resilient-mq/buffer-redis"
import { redisServer } from "@resilient-mq/buffer-redis/testing"
import * as Retry from "@resilient-mq/retry"
import { Effect, Layer } from "effect"
import * as Redis from "effect/persistence/Redis"
import { Buffer } from "node:buffer"
import { type BenchResult, perSecond, round } from "./Result.ts"

const BODY = 256
const PRODUCERS = 64
const COUNT = PRODUCERS * 500

const bodyOf = (i: number) => new Uint8Array(BODY).fill(0x61 + (i % 26))

const envelope = (i: number): Envelope => ({
  destination: "BENCH.QUEUE",
  body: bodyOf(i),
  descriptor: {},
  properties: {},
  msgId: new Uint8Array(24).fill(1),
  acceptedAt: i
})

/** `RPUSH` of the same bodies (as the store sends them: Latin-1 text), 64 commands in flight at a time. */
const rawRate = (count: number) =>
  Effect.gen(function*() {
    const redis = yield* Redis.Redis
    const bodies = Array.from({ length: count }, (_, i) => Buffer.from(bodyOf(i)).toString("latin1"))
    const start = performance.now()
    for (let i = 0; i < count; i += PRODUCERS) {
      yield* Effect.forEach(bodies.slice(i, i + PRODUCERS), (body) => redis.send("RPUSH", "bench:raw", body), {
        concurrency: "unbounded",
        discard: true
      })
    }
    const rate = perSecond(count, performance.now() - start)
    yield* redis.send("DEL", "bench:raw")
    return rate
  })

/** Appends through the store from 64 fibers, each awaiting its own appends. */
const storeRate = (count: number) =>
  Effect.gen(function*() {
    const store = yield* BufferStore
    const each = Math.ceil(count / PRODUCERS)
    const start = performance.now()
    yield* Effect.forEach(
      Array.from({ length: PRODUCERS }, (_, p) => p),
      (p) =>
        Effect.gen(function*() {
          for (let i = 0; i < each; i++) yield* store.append(envelope(p * each + i))
        }),
      { concurrency: "unbounded", discard: true }
    )
    return perSecond(each * PRODUCERS, performance.now() - start)
  })

/**
 * Redis store appends from 64 concurrent producers against raw pipelined `RPUSH` of the same bodies,
 * through the same client to the same server (`appendfsync always`), in this run. Each is measured
 * three times, alternately, after a warm-up, and the best of each counts: the machine is shared, and
 * a pause hits one measurement, not the comparison.
 */
export const redisStoreAppends: Effect.Effect<BenchResult, unknown> = Effect.gen(function*() {
  // Its own server, in a temporary folder, with the append-only file fsynced before every reply.
  const { port } = yield* redisServer({ appendfsync: "always" })
  const client = NodeRedis.layer({ socket: { host: "127.0.0.1", port }, disableOfflineQueue: true })
  const store = layerRedis({ prefix: "bench" }).pipe(Layer.provide(Retry.layerDefault))
  return yield* Effect.gen(function*() {
    yield* rawRate(2_000)
    yield* storeRate(2_000)
    const raw: Array<number> = []
    const appends: Array<number> = []
    for (let round = 0; round < 3; round++) {
      raw.push(yield* rawRate(COUNT))
      appends.push(yield* storeRate(COUNT))
    }
    return {
      name: "redis store: appends from 64 concurrent producers vs raw pipelined RPUSH (appendfsync always)",
      value: round(Math.max(...appends), 0),
      unit: "appends/s",
      baseline: round(Math.max(...raw), 0),
      ratio: round(Math.max(...appends) / Math.max(...raw)),
      target: 0.5
    } satisfies BenchResult
  }).pipe(Effect.provide(store.pipe(Layer.provideMerge(client))))
}).pipe(Effect.scoped)
