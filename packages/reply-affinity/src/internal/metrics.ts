import { Metric } from "effect"

/** The requester's metrics. */
export const metrics = {
  outstanding: Metric.gauge("resilient_mq_reply_affinity_outstanding", {
    description: "requests waiting for their reply"
  }),
  orphaned: Metric.counter("resilient_mq_reply_affinity_orphaned_total", {
    description: "requests failed because their reply goes to another queue manager, by the queue manager they were sent through",
    incremental: true
  }),
  resent: Metric.counter("resilient_mq_reply_affinity_resent_total", {
    description: "requests put again because their reply went to another queue manager, by the queue manager first sent through",
    incremental: true
  }),
  stray: Metric.counter("resilient_mq_reply_affinity_stray_total", {
    description: "replies no request waited for, by reason (unknown, late)",
    incremental: true
  }),
  timedOut: Metric.counter("resilient_mq_reply_affinity_timed_out_total", {
    description: "requests that had no reply within their timeout, by request queue",
    incremental: true
  }),
  roundTrip: Metric.histogram("resilient_mq_reply_affinity_round_trip_seconds", {
    description: "time from a request to its reply, by request queue",
    boundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60]
  })
}

/** Updates of the metrics, with one attributed metric per attribute value made once. */
export const makeMetrics = () => {
  const by = <In, State>(metric: Metric.Metric<In, State>, attribute: string) => {
    const cache = new Map<string, Metric.Metric<In, State>>()
    return (value: string, input: In) => {
      let attributed = cache.get(value)
      if (attributed === undefined) {
        attributed = Metric.withAttributes(metric, { [attribute]: value })
        cache.set(value, attributed)
      }
      return Metric.update(attributed, input)
    }
  }
  return {
    outstanding: (n: number) => Metric.update(metrics.outstanding, n),
    orphaned: by(metrics.orphaned, "queue_manager"),
    resent: by(metrics.resent, "queue_manager"),
    stray: by(metrics.stray, "reason"),
    timedOut: by(metrics.timedOut, "queue"),
    roundTrip: by(metrics.roundTrip, "queue")
  }
}

export type Metrics = ReturnType<typeof makeMetrics>
