import * as FileStore from "@resilient-mq/buffer-file"
import { Effect } from "effect"
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs"
import { join } from "node:path"
import { type BenchResult, compare, perSecond, temporaryFolder } from "./Result.ts"
import { freshStoreRate, makeEnvelopes, RECORD, unbounded } from "./StoreAppends.ts"

/** The raw medium: `write` of `RECORD`-byte records with an `fdatasync` every `every` records. */
const rawRate = (count: number, every: number) =>
  Effect.scoped(Effect.gen(function*() {
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
  }))

const fileStoreRate = freshStoreRate((directory) => FileStore.layerFile({ directory, capacity: unbounded }))

/** Durable appends to the file store against the raw medium, concurrent and one at a time. */
export const fileStoreAppends: Effect.Effect<ReadonlyArray<BenchResult>, unknown> = Effect.suspend(() => {
  const envelopes = makeEnvelopes(64 * 500)
  const few = envelopes.slice(0, 2_000)
  return compare([
    {
      name: "file store: durable appends from 64 concurrent producers vs raw write+fdatasync every 64 records",
      unit: "appends/s",
      value: fileStoreRate(envelopes, 64),
      baseline: rawRate(envelopes.length, 64),
      target: 0.5
    },
    {
      name: "file store: one producer awaiting each durable append vs raw write+fdatasync per record",
      unit: "appends/s",
      value: fileStoreRate(few, 1),
      baseline: rawRate(few.length, 1),
      target: 0.8
    }
  ])
})
