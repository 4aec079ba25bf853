import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { INDEX_BYTES_PER_RECORD } from "../src/internal/RecordIndex.ts"
import { envelope, open, temporaryFolder } from "./support/helpers.ts"

const COUNT = 200_000
const PRODUCERS = 64
// The index grows in chunks of 4096 records: a partly filled last chunk per segment and per queue.
const CHUNK_SLACK = 8 * 4096 * 16

describe("the in-memory index", () => {
  it("costs a fixed, small number of bytes per buffered envelope: 1,000,000 fit in 32 MB", () => {
    assert.isAtMost(INDEX_BYTES_PER_RECORD * 1_000_000, 32 * 1024 * 1024)
  })

  it.effect(`holds ${COUNT.toLocaleString("en")} envelopes in about that many bytes each, and gives them back once acknowledged`, () =>
    Effect.gen(function*() {
      const { store, file } = yield* open(yield* temporaryFolder, { fsync: "never", segmentBytes: 4 * 1024 * 1024 })
      yield* Effect.forEach(
        Array.from({ length: PRODUCERS }, (_, p) => p),
        (p) =>
          Effect.gen(function*() {
            for (let i = 0; i < COUNT / PRODUCERS; i++) yield* store.append(envelope(i, `Q${p % 4}`, 16))
          }),
        { concurrency: "unbounded", discard: true }
      )
      const full = yield* file.statistics
      assert.strictEqual((yield* store.depth()).messages, COUNT)
      assert.isAtMost(full.indexBytes, COUNT * INDEX_BYTES_PER_RECORD + full.segments * CHUNK_SLACK)
      for (const destination of yield* store.destinations) {
        while (true) {
          const batch = yield* store.take(destination, 5000)
          if (batch.length === 0) break
          yield* store.acknowledge(batch.map((stored) => stored.id))
        }
      }
      const empty = yield* file.statistics
      assert.strictEqual(empty.segments, 1)
      assert.isAtMost(empty.indexBytes, CHUNK_SLACK)
    }), 60_000)
})
