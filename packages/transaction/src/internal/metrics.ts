import { Metric } from "effect"

/** The guard's metrics. */
export const metrics = {
  commits: Metric.counter("resilient_mq_transaction_commits_total", {
    description: "units of work committed (a commit of unknown outcome resolved as done included)",
    incremental: true
  }),
  backouts: Metric.counter("resilient_mq_transaction_backouts_total", {
    description: "units of work backed out: failed, interrupted, or backed out by the queue manager",
    incremental: true
  }),
  reruns: Metric.counter("resilient_mq_transaction_reruns_total", {
    description: "units of work run again after a backout",
    incremental: true
  }),
  outcomes: Metric.counter("resilient_mq_transaction_outcomes_total", {
    description: "commits of unknown outcome, by resolution: committed, backed-out (through the ledger) or unresolved",
    incremental: true
  }),
  poisonMessages: Metric.counter("resilient_mq_transaction_poison_messages_total", {
    description: "poison messages moved aside, by the queue they came from",
    incremental: true
  })
} as const

/** How a commit of unknown outcome ended. */
type Resolution = "committed" | "backed-out" | "unresolved"

/** Updates of the guard's metrics, with one attributed metric per value made once. */
export const makeMetrics = () => {
  const attributed = <In, State>(metric: Metric.Metric<In, State>, key: string) => {
    const cache = new Map<string, Metric.Metric<In, State>>()
    return (value: string, amount: In) => {
      let withValue = cache.get(value)
      if (withValue === undefined) {
        withValue = Metric.withAttributes(metric, { [key]: value })
        cache.set(value, withValue)
      }
      return Metric.update(withValue, amount)
    }
  }
  const outcome = attributed(metrics.outcomes, "outcome")
  const poison = attributed(metrics.poisonMessages, "queue")
  return {
    committed: Metric.update(metrics.commits, 1),
    backedOut: Metric.update(metrics.backouts, 1),
    rerun: Metric.update(metrics.reruns, 1),
    outcome: (resolution: Resolution) => outcome(resolution, 1),
    poisonMoved: (queue: string) => poison(queue, 1)
  }
}

export type Metrics = ReturnType<typeof makeMetrics>
