import { BufferStore, type Envelope } from "@resilient-mq/buffer"
import * as SqliteStore from "@resilient-mq/buffer-sqlite"
import { Effect } from "effect"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { type BenchResult, median, perSecond, round, temporaryFolder } from "./Result.ts"

const RECORD = 256

const CONCURRENT_APPENDS = 64 * 500

/**
 * The envelopes to append, made once before any clock starts and appended in every round: the raw
 * inserts allocate nothing either, so that both sides measure the medium and what is put on it, not
 * the producer's allocations (nor the garbage collector moving fresh bodies during the round).
 */
const makeEnvelopes = (count: number): ReadonlyArray<Envelope> =>
  Array.from({ length: count }, (_, i) => ({
    destination: "BENCH.QUEUE",
    body: new Uint8Array(RECORD).fill(i & 0xff),
    descriptor: {},
    properties: {},
    msgId: new Uint8Array(24).fill(1),
    acceptedAt: 0
  }))

/**
 * The raw medium: `node:sqlite` in WAL with `synchronous=FULL`, `RECORD`-byte blobs inserted into a
 * plain table in transactions of `every` rows (`every` 1: a commit per row, without BEGIN).
 */
const rawRate = (count: number, every: number) =>
  Effect.scoped(Effect.gen(function*() {
    const dir = yield* temporaryFolder
    const db = new DatabaseSync(join(dir, "raw.db"))
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    const insert = db.prepare("INSERT INTO t (body) VALUES (?)")
    const body = new Uint8Array(RECORD).fill(7)
    const start = performance.now()
    for (let i = 0; i < count; i += every) {
      if (every > 1) db.exec("BEGIN IMMEDIATE")
      for (let k = 0; k < every; k++) insert.run(body)
      if (every > 1) db.exec("COMMIT")
    }
    const rate = perSecond(count, performance.now() - start)
    db.close()
    return rate
  }))

/** Appends `envelopes` through the SQLite store from `producers` fibers, each awaiting its own appends. */
const storeRate = (envelopes: ReadonlyArray<Envelope>, producers: number) =>
  Effect.scoped(Effect.gen(function*() {
    const dir = yield* temporaryFolder
    return yield* Effect.gen(function*() {
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
    }).pipe(
      Effect.provide(SqliteStore.layerSqlite({ filename: join(dir, "buffer.db"), capacity: { messages: Number.POSITIVE_INFINITY } }))
    )
  }))

const entry = (name: string, value: number, baseline: number, target: number): BenchResult => ({
  name,
  value: round(value, 0),
  unit: "appends/s",
  baseline: round(baseline, 0),
  ratio: round(value / baseline),
  target
})

/**
 * Measured rounds of each side, alternating store and raw, so that a passing disturbance of the
 * shared disk hits both; the median of each side is reported.
 */
const ROUNDS = 5

/**
 * Durable appends to the SQLite store against raw `node:sqlite` inserts, concurrent and one at a
 * time: the median of each side over `ROUNDS` alternating rounds, after a warm-up.
 */
export const sqliteStoreAppends: Effect.Effect<ReadonlyArray<BenchResult>, unknown> = Effect.gen(function*() {
  const concurrent: Array<number> = []
  const grouped: Array<number> = []
  const single: Array<number> = []
  const perRow: Array<number> = []
  const envelopes = makeEnvelopes(CONCURRENT_APPENDS)
  const few = envelopes.slice(0, 2_000)
  // Not measured: both sides once, so that the measured rounds run compiled code with a grown heap, as
  // a long-running application does (the first thousands of appends through Effect run much slower).
  yield* storeRate(envelopes, 64)
  yield* rawRate(CONCURRENT_APPENDS, 64)
  for (let round = 0; round < ROUNDS; round++) {
    concurrent.push(yield* storeRate(envelopes, 64))
    grouped.push(yield* rawRate(CONCURRENT_APPENDS, 64))
    single.push(yield* storeRate(few, 1))
    perRow.push(yield* rawRate(few.length, 1))
  }
  return [
    entry(
      "sqlite store: durable appends from 64 concurrent producers vs raw node:sqlite inserts in transactions of 64 rows (WAL, synchronous=FULL)",
      median(concurrent),
      median(grouped),
      0.5
    ),
    entry(
      "sqlite store: one producer awaiting each durable append vs raw node:sqlite single-row commits (WAL, synchronous=FULL)",
      median(single),
      median(perRow),
      0.8
    )
  ]
})
