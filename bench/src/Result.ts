import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * One line of `bench/results.json`: what was measured (`value`), the reference measured in the same
 * run (`baseline`), `ratio` = value against baseline with higher better, and the lowest acceptable ratio.
 */
export interface BenchResult {
  readonly name: string
  readonly value: number
  readonly unit: string
  readonly baseline: number
  readonly ratio: number
  readonly target: number
}

/** A rate per second from a count and elapsed milliseconds. */
export const perSecond = (count: number, millis: number): number => (count * 1000) / millis

export const round = (n: number, digits = 3): number => Number(n.toFixed(digits))

/** The middle value (the upper one of an even count). */
export const median = (values: ReadonlyArray<number>): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** A fresh folder on the same disk as every other measurement of this run, removed with the scope. */
export const temporaryFolder = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "resilient-mq-bench-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** A rate measured against its reference, each measured afresh every time it runs. */
export interface Comparison<RV, RB> {
  readonly name: string
  readonly unit: string
  readonly value: Effect.Effect<number, unknown, RV>
  readonly baseline: Effect.Effect<number, unknown, RB>
  readonly target: number
  /** Run once before the measured rounds; default: each side once as measured. */
  readonly warmUp?: Effect.Effect<unknown, unknown, RV | RB>
}

/**
 * Each comparison measured in `rounds` rounds after an unmeasured warm-up (so that measured rounds
 * run compiled code with a grown heap, as a long-running application does), the two sides
 * alternating which goes first so that a passing disturbance of the shared machine hits both; the
 * median of the rounds' ratios is the result, the medians of each side are shown beside it.
 */
export const compare = <RV, RB>(
  comparisons: ReadonlyArray<Comparison<RV, RB>>,
  rounds = 5
): Effect.Effect<ReadonlyArray<BenchResult>, unknown, RV | RB> =>
  Effect.forEach(comparisons, (comparison) =>
    Effect.gen(function*() {
      yield* comparison.warmUp ?? Effect.andThen(comparison.value, comparison.baseline)
      const values: Array<number> = []
      const baselines: Array<number> = []
      const ratios: Array<number> = []
      for (let i = 0; i < rounds; i++) {
        let value: number
        let baseline: number
        if (i % 2 === 0) {
          value = yield* comparison.value
          baseline = yield* comparison.baseline
        } else {
          baseline = yield* comparison.baseline
          value = yield* comparison.value
        }
        values.push(value)
        baselines.push(baseline)
        ratios.push(value / baseline)
      }
      return {
        name: comparison.name,
        value: round(median(values), 0),
        unit: comparison.unit,
        baseline: round(median(baselines), 0),
        ratio: round(median(ratios)),
        target: comparison.target
      } satisfies BenchResult
    }))
