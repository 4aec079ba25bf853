import { Effect, SubscriptionRef } from "effect"
import type { BufferEvent } from "../BufferedProducer.ts"
import type { Metrics } from "./metrics.ts"

/**
 * How many envelopes each destination has in the store (or on their way into it), counted in memory
 * so that every send can tell at once whether it must queue behind older messages. The counts are
 * exact because stores report what an acknowledgement or dead letter really removed.
 */
export interface Backlog {
  readonly of: (destination: string) => number
  /** Destinations with something buffered. */
  readonly destinations: () => ReadonlyArray<string>
  /** An append begins: counted before it lands, so that sends after it already queue behind it. */
  readonly begin: (destination: string) => Effect.Effect<void>
  /** An append that began failed: it never was in the store. */
  readonly cancel: (destination: string) => Effect.Effect<void>
  /** Envelopes left the store (delivered, dead-lettered, dropped); emptying it is `BacklogCleared`. */
  readonly settle: (destination: string, count: number) => Effect.Effect<void>
  readonly total: SubscriptionRef.SubscriptionRef<number>
}

export const makeBacklog = Effect.fnUntraced(function*(
  initial: ReadonlyMap<string, number>,
  publish: (event: BufferEvent) => Effect.Effect<unknown>,
  metrics: Metrics
) {
  const counts = new Map(initial)
  let sum = 0
  for (const count of counts.values()) sum += count
  const total = yield* SubscriptionRef.make(sum)
  for (const [destination, count] of counts) yield* metrics.depth(destination, count)

  // The count changes in one synchronous step; what it was and became, for the effects that follow.
  const change = (destination: string, delta: number) =>
    Effect.suspend(() => {
      const before = counts.get(destination) ?? 0
      const after = Math.max(0, before + delta)
      if (after === before) return Effect.succeed(false)
      if (after === 0) counts.delete(destination)
      else counts.set(destination, after)
      return Effect.as(
        Effect.andThen(metrics.depth(destination, after), SubscriptionRef.update(total, (n) => n + after - before)),
        after === 0
      )
    })

  const backlog: Backlog = {
    of: (destination) => counts.get(destination) ?? 0,
    destinations: () => [...counts.keys()],
    begin: (destination) => Effect.asVoid(change(destination, 1)),
    cancel: (destination) => Effect.asVoid(change(destination, -1)),
    settle: (destination, count) =>
      Effect.flatMap(change(destination, -count), (emptied) =>
        emptied ? Effect.asVoid(publish({ _tag: "BacklogCleared", destination })) : Effect.void),
    total
  }
  return backlog
})
