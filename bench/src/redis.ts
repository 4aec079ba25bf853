import { NodeRedis } from "@effect/platform-node"
import { layerRedis } from "@resilient-mq/buffer-redis"
import { redisServer } from "@resilient-mq/buffer-redis/testing"
import * as Retry from "@resilient-mq/retry"
import { Effect, Layer } from "effect"
import * as Redis from "effect/persistence/Redis"
import { Buffer } from "node:buffer"
import { type BenchResult, compare, perSecond } from "./Result.ts"
import { makeEnvelopes, storeRate, unbounded } from "./StoreAppends.ts"

const PRODUCERS = 64

/** `RPUSH` of the same bodies (as the store sends them: Latin-1 text), 64 commands in flight at a time. */
const rawRate = (bodies: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const redis = yield* Redis.Redis
    const start = performance.now()
    for (let i = 0; i < bodies.length; i += PRODUCERS) {
      yield* Effect.forEach(bodies.slice(i, i + PRODUCERS), (body) => redis.send("RPUSH", "bench:raw", body), {
        concurrency: "unbounded",
        discard: true
      })
    }
    const rate = perSecond(bodies.length, performance.now() - start)
    yield* redis.send("DEL", "bench:raw")
    return rate
  })

/**
 * Redis store appends from 64 concurrent producers against raw pipelined `RPUSH` of the same bodies,
 * through the same client to the same server (`appendfsync always`), in this run.
 */
export const redisStoreAppends: Effect.Effect<ReadonlyArray<BenchResult>, unknown> = Effect.gen(function*() {
  // Its own server, in a temporary folder, with the append-only file fsynced before every reply.
  const { port } = yield* redisServer({ appendfsync: "always" })
  const client = NodeRedis.layer({ socket: { host: "127.0.0.1", port }, disableOfflineQueue: true })
  const store = layerRedis({ prefix: "bench", capacity: unbounded }).pipe(Layer.provide(Retry.layerDefault))
  const envelopes = makeEnvelopes(PRODUCERS * 500)
  const bodies = envelopes.map((envelope) => Buffer.from(envelope.body).toString("latin1"))
  return yield* compare([{
    name: "redis store: appends from 64 concurrent producers vs raw pipelined RPUSH (appendfsync always)",
    unit: "appends/s",
    value: storeRate(envelopes, PRODUCERS),
    baseline: rawRate(bodies),
    target: 0.5
  }], 3).pipe(Effect.provide(store.pipe(Layer.provideMerge(client))))
}).pipe(Effect.scoped)
