// Moves every order from TRANSFER.IN to TRANSFER.OUT exactly once while the queue manager restarts
// under the transfer. Each order is got and put in one unit of work of the transaction guard: a unit
// cut off by a restart runs again from the start, and a commit whose outcome is unknown is resolved
// through the ledger queue, never guessed. After each restart the next commit answers 2549 (call
// interrupted) although it happened, as a commit cut off by a reconnect does. It ends by reading
// TRANSFER.OUT, and prints one line:
//   transfer: moved=N duplicates=0 missing=0 restarts=K reruns=R resolved=U
import { layer as connectionLayer, MqConnection, Mqi, Persistence, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { layer as guardLayer, type TransactionEvent, TransactionGuard } from "@resilient-mq/transaction"
import { Effect, Fiber, Layer, Option, Ref, Stream } from "effect"

export interface TransferOptions {
  /** How many orders to move. */
  readonly messages: number
  /** How many times the queue manager restarts while they move. */
  readonly restarts: number
  readonly print: (line: string) => Effect.Effect<void>
}

export interface TransferResult {
  readonly moved: number
  readonly duplicates: number
  readonly missing: number
  readonly restarts: number
  /** Units run again after a restart cut them off. */
  readonly reruns: number
  /** Commits of unknown outcome resolved through the ledger. */
  readonly resolved: number
}

const QM = "QM1"
const INPUT = "TRANSFER.IN"
const OUTPUT = "TRANSFER.OUT"
const LEDGER = "TRANSFER.LEDGER"

const bodyOf = (i: number) => `order-${i}`

const describeEvent = (event: TransactionEvent): string | undefined => {
  switch (event._tag) {
    case "OutcomeResolved":
      return `unit ${event.unitId.slice(0, 12)}…: its commit was cut off; the ledger says ${event.outcome}`
    case "OutcomeUnresolved":
      return `unit ${event.unitId.slice(0, 12)}…: its commit was cut off and cannot be resolved: ${event.reason}`
    default:
      return undefined
  }
}

/** Runs the transfer on an embedded queue manager and returns its counts; the line `transfer: ...` is printed last. */
export const runTransfer = (options: TransferOptions): Effect.Effect<TransferResult, unknown> => {
  // Persistent queues: what they hold survives the restarts. The ledger holds one marker per unit in flight.
  const emulator = Emulator.layer({
    queueManagers: [{
      name: QM,
      queues: {
        [INPUT]: { defaultPersistent: true },
        [OUTPUT]: { defaultPersistent: true },
        [LEDGER]: { defaultPersistent: true }
      }
    }]
  })
  const services = guardLayer({ ledgerQueue: LEDGER }).pipe(
    Layer.provideMerge(connectionLayer({ connect: { queueManager: QM }, heartbeat: "200 millis" })),
    Layer.provide(Retry.layer({ connection: { initialDelay: "10 millis", maxDelay: "200 millis", deadline: "30 seconds" } })),
    Layer.provideMerge(emulator)
  )

  return Effect.gen(function*() {
    const guard = yield* TransactionGuard
    const mq = yield* MqConnection
    const control = yield* QueueManagerControl
    const mqi = yield* Mqi

    // The orders, put before the transfer starts.
    yield* Effect.scoped(Effect.gen(function*() {
      const feeder = yield* mqi.connect({ queueManager: QM })
      const input = yield* mqi.open(feeder, { type: "queue", name: INPUT }, { output: true })
      for (let i = 0; i < options.messages; i++) yield* mqi.put(input, { body: bodyOf(i) })
    }))
    yield* options.print(`moving ${options.messages} orders from ${INPUT} to ${OUTPUT} on ${QM}`)

    const counts = yield* Ref.make({ moved: 0, restarts: 0, reruns: 0, resolved: 0 })
    yield* Effect.forkScoped(Stream.runForEach(guard.events, (event) =>
      Effect.gen(function*() {
        if (event._tag === "Rerun") yield* Ref.update(counts, (c) => ({ ...c, reruns: c.reruns + 1 }))
        if (event._tag === "OutcomeResolved") yield* Ref.update(counts, (c) => ({ ...c, resolved: c.resolved + 1 }))
        const line = describeEvent(event)
        if (line !== undefined) yield* options.print(line)
      })))

    const source = yield* mq.open({ type: "queue", name: INPUT }, { input: "shared" })
    const sink = yield* mq.open({ type: "queue", name: OUTPUT }, { output: true })

    // One order in one unit of work: got from TRANSFER.IN and put on TRANSFER.OUT, with its MsgId as
    // the output's CorrelId. Either both happen or neither does; a unit cut off runs again.
    const moveOne = guard.run((tx) =>
      Effect.gen(function*() {
        const order = yield* tx.get(source, { wait: "2 seconds" })
        if (Option.isNone(order)) return false
        yield* tx.put(sink, {
          body: order.value.body,
          descriptor: { persistence: Persistence.PERSISTENT, correlId: order.value.descriptor.msgId }
        })
        return true
      })
    )

    // The restarts, spread over the transfer, each while a unit is in flight.
    const restarts = Effect.gen(function*() {
      for (let i = 1; i <= options.restarts; i++) {
        const at = Math.floor((options.messages * i) / (options.restarts + 1))
        while ((yield* Ref.get(counts)).moved < at) yield* Effect.sleep("2 millis")
        yield* options.print(`restart ${i} of ${QM} after ${at} orders`)
        yield* control.restart(QM)
        yield* control.failNext(QM, "MQCMIT", 2549, { after: true })
        yield* Ref.update(counts, (c) => ({ ...c, restarts: c.restarts + 1 }))
      }
    })
    const script = yield* Effect.forkScoped(restarts)

    while ((yield* Ref.get(counts)).moved < options.messages) {
      if (!(yield* moveOne)) break
      yield* Ref.update(counts, (c) => ({ ...c, moved: c.moved + 1 }))
    }
    yield* Fiber.join(script)

    // What arrived: each order once?
    const seen = new Map<string, number>()
    yield* Effect.scoped(Effect.gen(function*() {
      const reader = yield* mqi.connect({ queueManager: QM })
      const output = yield* mqi.open(reader, { type: "queue", name: OUTPUT }, { input: "shared" })
      while (true) {
        const message = yield* mqi.get(output)
        if (Option.isNone(message)) break
        const body = new TextDecoder().decode(message.value.body)
        seen.set(body, (seen.get(body) ?? 0) + 1)
      }
    }))
    let missing = 0
    let duplicates = 0
    for (let i = 0; i < options.messages; i++) {
      const times = seen.get(bodyOf(i)) ?? 0
      if (times === 0) missing++
      else duplicates += times - 1
    }
    const { moved, restarts: restarted, reruns, resolved } = yield* Ref.get(counts)
    yield* options.print(
      `transfer: moved=${moved} duplicates=${duplicates} missing=${missing} restarts=${restarted} reruns=${reruns} resolved=${resolved}`
    )
    return { moved, duplicates, missing, restarts: restarted, reruns, resolved }
  }).pipe(Effect.scoped, Effect.provide(services))
}

if (import.meta.main) {
  const result = await Effect.runPromise(
    runTransfer({ messages: 2_000, restarts: 3, print: (line) => Effect.sync(() => console.log(line)) })
  )
  process.exitCode = result.duplicates === 0 && result.missing === 0 ? 0 : 1
}
