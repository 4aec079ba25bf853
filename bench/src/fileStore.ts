import { BufferStore, type Envelope } from "@resilient-mq/buffer"
import * as FileStore from "@resilient-mq/buffer-file"
import { Effect } from "effect"
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs"
import { join } from "node:path"
import { type BenchResult, perSecond, round, temporaryFolder } from "./Result.ts"

const RECORD = 256

const envelope = (i: number): Envelope => ({
  destination: "BENCH.QUEUE",
  body: new Uint8Array(RECORD).fill(i & 0xff),
  descriptor: {},
  properties: {},
  msgId: new Uint8Array(24).fill(1),
  acceptedAt: 0
})

/** The raw medium: `write` of `RECORD`-byte records with an `fdatasync` every `every` records. */
const rawRate = (count: number, every: number) =>
  Effect.gen(function*() {
    const dir = yield* temporaryFolder
    const fd = openSync(join(dir, "raw"), "a", 0o600)
    const record = Buffer.alloc(RECORD, 7)
    const start = performance.now()
    for (let i = 1; i <= count; i++) {
      writeSync(fd, record)
      if (i % every === 0) fdatasyncSync(fd)
    }
    fdatasyncSync(fd)
    const rate = perSecond(count, performance.now() - start)
    closeSync(fd)
    return rate
  })

/** Appends through the file store from `producers` fibers, each awaiting its own appends. */
const storeRate = (count: number, producers: number) =>
  Effect.gen(function*() {
    const dir = yield* temporaryFolder
    return yield* Effect.gen(function*() {
      const store = yield* BufferStore
      const each = Math.ceil(count / producers)
      const start = performance.now()
      yield* Effect.forEach(
        Array.from({ length: producers }, (_, p) => p),
        (p) =>
          Effect.gen(function*() {
            for (let i = 0; i < each; i++) yield* store.append(envelope(p * each + i))
          }),
        { concurrency: "unbounded", discard: true }
      )
      return perSecond(each * producers, performance.now() - start)
    }).pipe(Effect.provide(FileStore.layerFile({ directory: dir })))
  })

const entry = (name: string, value: number, baseline: number, target: number): BenchResult => ({
  name,
  value: round(value, 0),
  unit: "appends/s",
  baseline: round(baseline, 0),
  ratio: round(value / baseline),
  target
})

/** Durable appends to the file store against the raw medium, concurrent and one at a time. */
export const fileStoreAppends: Effect.Effect<ReadonlyArray<BenchResult>, unknown> = Effect.gen(function*() {
  const concurrent = yield* storeRate(64 * 500, 64)
  const grouped = yield* rawRate(64 * 500, 64)
  const single = yield* storeRate(2_000, 1)
  const perRecord = yield* rawRate(2_000, 1)
  return [
    entry(
      "file store: durable appends from 64 concurrent producers vs raw write+fdatasync every 64 records",
      concurrent,
      grouped,
      0.5
    ),
    entry(
      "file store: one producer awaiting each durable append vs raw write+fdatasync per record",
      single,
      perRecord,
      0.8
    )
  ]
}).pipe(Effect.scoped)
