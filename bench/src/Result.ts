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
