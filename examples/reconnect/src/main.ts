import { type ConnectionEvent, layer as connectionLayer, MqConnection, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { Duration, Effect, Layer, Option, Stream } from "effect"

// Two queue managers of one group, embedded in process. The connection asks for "any queue manager
// of QMGROUP"; the script below stops and restarts them while a producer keeps putting.
const queueManagers = Emulator.layer({
  queueManagers: [{ name: "QM1", group: "QMGROUP" }, { name: "QM2", group: "QMGROUP" }]
})

const connection = connectionLayer({ connect: { queueManager: "*QMGROUP" }, heartbeat: "500 millis" }).pipe(
  Layer.provide(Retry.layer({ connection: { initialDelay: "100 millis", maxDelay: "1 second", deadline: "30 seconds" } })),
  Layer.provideMerge(queueManagers)
)

export const describeEvent = (event: ConnectionEvent): string => {
  switch (event._tag) {
    case "Connected":
      return `connected to ${event.queueManager.name} (${event.queueManager.qmid})`
    case "ConnectionLost":
      return `connection lost: ${event.reason.message}`
    case "Reconnecting":
      return `reconnecting: attempt ${event.attempt} in ${Duration.format(event.delay)}`
    case "Reconnected":
      return `reconnected to ${event.queueManager} (${event.sameQueueManager ? "same" : "another"} queue manager) after ${
        Duration.format(event.downtime)
      }`
    case "ReconnectFailed":
      return `reconnect failed: ${event.reason.message}`
    case "BrowseCursorReset":
      return `browse cursor of ${event.object} restarted`
  }
}

/** Runs the scripted outages and returns what was printed. */
export const program = (print: (line: string) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const mq = yield* MqConnection
    const control = yield* QueueManagerControl
    yield* Effect.forkScoped(Stream.runForEach(mq.events, (event) => print(`event: ${describeEvent(event)}`)))
    const first = yield* mq.queueManager
    yield* print(`connected to ${first.name}`)

    const queue = yield* mq.open({ type: "queue", name: "DEV.QUEUE.1" }, { output: true, inquire: true })
    let sent = 0
    const producer = Effect.gen(function*() {
      while (true) {
        // A put cut off by an outage has an unknown outcome: say so and go on.
        yield* mq.put(queue, { body: `message ${sent}` }).pipe(
          Effect.tap(() => Effect.sync(() => sent++)),
          Effect.catch((error) => print(`put: ${error.message}`))
        )
        yield* Effect.sleep("50 millis")
      }
    })
    yield* Effect.forkScoped(producer)

    yield* Effect.sleep("500 millis")
    yield* print(`stopping ${first.name} (endmqm -r): the group's other queue manager takes over`)
    yield* control.stop(first.name, { mode: "immediate", reconnect: true })
    yield* Effect.sleep("1 second")
    yield* control.start(first.name)

    yield* print("stopping both queue managers for 1.5 seconds")
    yield* control.stop("QM1", { mode: "immediate", reconnect: true })
    yield* control.stop("QM2", { mode: "immediate", reconnect: true })
    yield* Effect.sleep("1500 millis")
    yield* print("starting QM2")
    yield* control.start("QM2")
    yield* Effect.sleep("1 second")
    yield* control.start("QM1")

    const last = yield* mq.queueManager
    const depth = yield* mq.inquire(queue, ["CurrentQDepth"])
    yield* print(`done: ${sent} puts acknowledged; ${last.name} holds ${depth.CurrentQDepth} of them on DEV.QUEUE.1`)
    return Option.some(sent)
  }).pipe(Effect.scoped, Effect.provide(connection))

if (import.meta.main) {
  await Effect.runPromise(program((line) => Effect.sync(() => console.log(line))))
}
