import { Metric } from "effect"

/** The producer's metrics; those by destination carry it as the `destination` attribute. */
export const metrics = {
  depth: Metric.gauge("resilient_mq_buffer_depth", {
    description: "messages buffered and not yet drained, dropped or dead-lettered, by destination"
  }),
  appended: Metric.counter("resilient_mq_buffer_appended_total", {
    description: "messages appended to the buffer, by destination",
    incremental: true
  }),
  drained: Metric.counter("resilient_mq_buffer_drained_total", {
    description: "buffered messages put and committed on the queue manager, by destination",
    incremental: true
  }),
  dropped: Metric.counter("resilient_mq_buffer_dropped_total", {
    description: "buffered messages removed by the drop-oldest overflow policy, by destination",
    incremental: true
  }),
  deadLettered: Metric.counter("resilient_mq_buffer_dead_lettered_total", {
    description: "buffered messages the queue manager refused for good, by destination",
    incremental: true
  }),
  oldestAge: Metric.gauge("resilient_mq_buffer_oldest_age_seconds", {
    description: "age of the oldest buffered message (0 when nothing is buffered)"
  })
}

/** Updates of the producer's metrics. */
export const makeMetrics = () => {
  // One attributed metric per destination, made once: `withAttributes` is not free on every update.
  const byDestination = <In, State>(metric: Metric.Metric<In, State>) => {
    const cache = new Map<string, Metric.Metric<In, State>>()
    return (destination: string, value: In) => {
      let attributed = cache.get(destination)
      if (attributed === undefined) {
        attributed = Metric.withAttributes(metric, { destination })
        cache.set(destination, attributed)
      }
      return Metric.update(attributed, value)
    }
  }
  return {
    depth: byDestination(metrics.depth),
    appended: byDestination(metrics.appended),
    drained: byDestination(metrics.drained),
    dropped: byDestination(metrics.dropped),
    deadLettered: byDestination(metrics.deadLettered),
    oldestAge: (seconds: number) => Metric.update(metrics.oldestAge, seconds)
  }
}

export type Metrics = ReturnType<typeof makeMetrics>
