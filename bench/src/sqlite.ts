import * as SqliteStore from "@resilient-mq/buffer-sqlite"
import { Effect } from "effect"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { type BenchResult, compare, perSecond, temporaryFolder } from "./Result.ts"
import { freshStoreRate, makeEnvelopes, RECORD, unbounded } from "./StoreAppends.ts"

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

const sqliteStoreRate = freshStoreRate((dir) => SqliteStore.layerSqlite({ filename: join(dir, "buffer.db"), capacity: unbounded }))

/** Durable appends to the SQLite store against raw `node:sqlite` inserts, concurrent and one at a time. */
export const sqliteStoreAppends: Effect.Effect<ReadonlyArray<BenchResult>, unknown> = Effect.suspend(() => {
  const envelopes = makeEnvelopes(64 * 500)
  const few = envelopes.slice(0, 2_000)
  return compare([
    {
      name: "sqlite store: durable appends from 64 concurrent producers vs raw node:sqlite inserts in transactions of 64 rows (WAL, synchronous=FULL)",
      unit: "appends/s",
      value: sqliteStoreRate(envelopes, 64),
      baseline: rawRate(envelopes.length, 64),
      target: 0.5
    },
    {
      name: "sqlite store: one producer awaiting each durable append vs raw node:sqlite single-row commits (WAL, synchronous=FULL)",
      unit: "appends/s",
      value: sqliteStoreRate(few, 1),
      baseline: rawRate(few.length, 1),
      target: 0.8
    }
  ])
})
