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
