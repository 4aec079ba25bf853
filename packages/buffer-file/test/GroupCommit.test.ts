import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { envelope, numbers, open, temporaryFolder, withStore } from "./support/helpers.ts"

const PRODUCERS = 64

/** Statistics moved by `effect`. */
const delta = <A, E>(file: Effect.Success<ReturnType<typeof open>>["file"], effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const before = yield* file.statistics
    const value = yield* effect
    const after = yield* file.statistics
    return { value, appends: after.appends - before.appends, commits: after.commits - before.commits, fsyncs: after.fsyncs - before.fsyncs }
  })

describe("group commit", () => {
  for (const syncOnThreadPool of [false, true]) {
    it.effect(`${PRODUCERS} concurrent appends share a few write+fsync rounds (fsync ${syncOnThreadPool ? "on the thread pool" : "inline"})`, () =>
      Effect.gen(function*() {
        const { store, file } = yield* open(yield* temporaryFolder, { syncOnThreadPool })
        const { value: ids, appends, commits, fsyncs } = yield* delta(
          file,
          Effect.forEach(Array.from({ length: PRODUCERS }, (_, n) => n), (n) => store.append(envelope(n)), { concurrency: "unbounded" })
        )
        assert.strictEqual(new Set(ids.map((a) => a.id)).size, PRODUCERS)
        assert.strictEqual(appends, PRODUCERS)
        assert.isAtMost(commits, 4)
        assert.strictEqual(fsyncs, commits)
      }))
  }

  it.effect("keeps committing in groups while producers keep appending", () =>
    Effect.gen(function*() {
      const { store, file } = yield* open(yield* temporaryFolder)
      const { appends, fsyncs } = yield* delta(
        file,
        Effect.forEach(
          Array.from({ length: PRODUCERS }, (_, p) => p),
          (p) => Effect.forEach([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], (i) => store.append(envelope(p * 10 + i, `Q${p % 4}`))),
          { concurrency: "unbounded" }
        )
      )
      assert.strictEqual(appends, PRODUCERS * 10)
      assert.isAtMost(fsyncs, (PRODUCERS * 10) / 8)
    }))

  // Under the test clock no timer ever fires: an append that waited for one would never return.
  it.effect("commits a lone append at once: one producer awaiting each append waits for no timer", () =>
    Effect.gen(function*() {
      const { store, file } = yield* open(yield* temporaryFolder)
      const { commits, fsyncs } = yield* delta(file, Effect.forEach([0, 1, 2, 3, 4], (n) => store.append(envelope(n))))
      assert.strictEqual(commits, 5)
      assert.strictEqual(fsyncs, 5)
    }))

  // A completed append resumes its fiber at once, which appends again: were the next commit chained
  // through microtasks, timers and I/O would wait until the producers stopped.
  it.live("lets timers and I/O run between commits while producers keep appending", () =>
    Effect.gen(function*() {
      const { store } = yield* open(yield* temporaryFolder, { fsync: "never" })
      let appended = 0
      let appendedWhenTimerRan: number | undefined
      setTimeout(() => (appendedWhenTimerRan = appended), 0)
      yield* Effect.forEach(
        Array.from({ length: 8 }, (_, p) => p),
        (p) =>
          Effect.whileLoop({
            while: () => appendedWhenTimerRan === undefined && appended < 20_000,
            body: () => store.append(envelope(p)),
            step: () => appended++
          }),
        { concurrency: "unbounded", discard: true }
      )
      assert.isDefined(appendedWhenTimerRan)
      assert.isBelow(appended, 20_000)
    }))

  it.effect("splits a group at a segment boundary and keeps every producer's order, after a restart too", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryFolder
      const options = { segmentBytes: 4096 }
      yield* withStore(directory, ({ store }) =>
        Effect.forEach(
          Array.from({ length: 16 }, (_, p) => p),
          (p) => Effect.forEach([0, 1, 2, 3], (i) => store.append(envelope(p * 4 + i, `Q${p}`, 700))),
          { concurrency: "unbounded" }
        ), options)
      yield* withStore(directory, ({ store, file }) =>
        Effect.gen(function*() {
          assert.isAbove(file.recovery.segments, 8)
          for (let p = 0; p < 16; p++) {
            assert.deepStrictEqual(numbers(yield* store.take(`Q${p}`, 10)), [0, 1, 2, 3].map((i) => p * 4 + i))
          }
        }), options)
    }))

  it.effect("without fsync, appends return once written and no fsync is made", () =>
    Effect.gen(function*() {
      const { store, file } = yield* open(yield* temporaryFolder, { fsync: "never" })
      const { appends, fsyncs } = yield* delta(file, Effect.forEach([0, 1, 2], (n) => store.append(envelope(n))))
      assert.strictEqual(appends, 3)
      assert.strictEqual(fsyncs, 0)
      assert.deepStrictEqual(numbers(yield* store.take("Q1", 10)), [0, 1, 2])
    }))
})
