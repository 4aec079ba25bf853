// The main job, on an embedded queue manager group: a producer sends at a steady rate while the
// queue managers go away twice (once all of them for a few seconds, once with a failover to the
// other queue manager of the group). Nothing it accepted may be lost. It prints live progress, then
// consumes everything from both queue managers and checks it, ending with one line (the buffer is a
// file store, or with `--store sqlite` / `--store redis` one of those):
//   demo: sent=N delivered=N lost=0 duplicates=D outages=K
import { NodeRedis } from "@effect/platform-node"
import { BufferedProducer, BufferStore, layer as producerLayer } from "@resilient-mq/buffer"
import * as FileStore from "@resilient-mq/buffer-file"
import * as RedisStore from "@resilient-mq/buffer-redis"
import { redisServer } from "@resilient-mq/buffer-redis/testing"
import * as SqliteStore from "@resilient-mq/buffer-sqlite"
import {
  layer as connectionLayer,
  MqConnection,
  Mqi,
  Persistence,
  QueueManagerControl
} from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { Effect, Fiber, Layer, Option, Ref, Stream, SubscriptionRef } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Where the buffer lives: a segment log, a SQLite file, or a Redis the demo starts for itself. */
export type StoreKind = "file" | "sqlite" | "redis"

export interface DemoOptions {
  /** Default `file`. */
  readonly store?: StoreKind
  /** Milliseconds between two sends. */
  readonly interval: number
  /** How long the producer runs, in milliseconds. */
  readonly duration: number
  /** A folder for the file store; a temporary one by default. */
  readonly directory?: string
  readonly print: (line: string) => Effect.Effect<void>
}

export interface DemoResult {
  readonly sent: number
  readonly delivered: number
  readonly lost: number
  readonly duplicates: number
  readonly outages: number
}

const QUEUE = "DEV.QUEUE.1"
const queueManagers = ["QM1", "QM2"] as const

const bodyOf = (i: number) => `demo-${i}`

/** Runs the demo and returns its counts; the line `demo: ...` is printed last. */
export const runDemo = (options: DemoOptions): Effect.Effect<DemoResult, unknown> => {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), "resilient-mq-demo-"))
  const emulator = Emulator.layer({
    queueManagers: queueManagers.map((name) => ({ name, group: "QMGROUP" }))
  })
  const connection = connectionLayer({ connect: { queueManager: "*QMGROUP" }, heartbeat: "500 millis" }).pipe(
    Layer.provide(Retry.layer({ connection: { initialDelay: "100 millis", maxDelay: "500 millis", deadline: "60 seconds" } }))
  )
  const capacity = { messages: 1_000_000 }
  const store: Layer.Layer<BufferStore, unknown> = options.store === "sqlite"
    ? SqliteStore.layerSqlite({ filename: join(directory, "buffer.db"), capacity })
    : options.store === "redis"
    ? Layer.unwrap(Effect.map(redisServer(), (server) =>
      RedisStore.layerRedis({ capacity }).pipe(
        Layer.provide(NodeRedis.layer({ socket: { host: "127.0.0.1", port: server.port }, disableOfflineQueue: true })),
        Layer.provide(Retry.layerDefault)
      )))
    : FileStore.layerFile({ directory, capacity })
  const services: Layer.Layer<BufferedProducer | MqConnection | BufferStore | Mqi | QueueManagerControl, unknown> = producerLayer().pipe(
    Layer.provideMerge(connection),
    Layer.provideMerge(store),
    Layer.provideMerge(emulator)
  )

  return Effect.gen(function*() {
    const producer = yield* BufferedProducer
    const mq = yield* MqConnection
    const control = yield* QueueManagerControl
    const mqi = yield* Mqi
    const counts = yield* Ref.make({ sent: 0, direct: 0, buffered: 0, reconnects: 0, outages: 0 })
    yield* Effect.forkScoped(Stream.runForEach(mq.events, (event) =>
      event._tag === "Reconnected"
        ? Ref.update(counts, (c) => ({ ...c, reconnects: c.reconnects + 1 }))
        : Effect.void))

    const send = Effect.gen(function*() {
      const i = (yield* Ref.get(counts)).sent
      const result = yield* producer.send(QUEUE, {
        body: bodyOf(i),
        descriptor: { persistence: Persistence.PERSISTENT }
      })
      yield* Ref.update(counts, (c) => ({
        ...c,
        sent: c.sent + 1,
        direct: c.direct + (result._tag === "Sent" ? 1 : 0),
        buffered: c.buffered + (result._tag === "Buffered" ? 1 : 0)
      }))
    })

    const progress = Effect.gen(function*() {
      const start = Date.now()
      while (true) {
        yield* Effect.sleep("500 millis")
        const c = yield* Ref.get(counts)
        const backlog = yield* SubscriptionRef.get(producer.backlog)
        const state = yield* SubscriptionRef.get(mq.state)
        const where = state._tag === "Connected" ? `connected to ${state.queueManager.name}` : state._tag.toLowerCase()
        yield* options.print(
          `t=${((Date.now() - start) / 1000).toFixed(1)}s sent=${c.sent} direct=${c.direct} buffered=${c.buffered} ` +
            `depth=${backlog} reconnects=${c.reconnects} outages=${c.outages} ${where}`
        )
      }
    })

    const outage = (what: string, act: Effect.Effect<void>) =>
      Effect.andThen(
        Effect.andThen(options.print(`outage: ${what}`), Ref.update(counts, (c) => ({ ...c, outages: c.outages + 1 }))),
        act
      )

    // The script of outages, spread over the producer's run.
    const script = Effect.gen(function*() {
      const step = options.duration / 5
      yield* Effect.sleep(step)
      yield* outage(
        "every queue manager of the group stops for a while",
        Effect.gen(function*() {
          for (const name of queueManagers) yield* control.stop(name, { mode: "immediate", reconnect: true })
          yield* Effect.sleep(step)
          for (const name of queueManagers) yield* control.start(name)
        })
      )
      yield* Effect.sleep(step)
      const current = yield* mq.queueManager
      yield* outage(
        `${current.name} stops; the group's other queue manager takes over`,
        Effect.gen(function*() {
          yield* control.stop(current.name, { mode: "immediate", reconnect: true })
          yield* Effect.sleep(step)
          yield* control.start(current.name)
        })
      )
    })

    const reporter = yield* Effect.forkScoped(progress)
    yield* Effect.forkScoped(script)
    const sending = Effect.gen(function*() {
      const end = Date.now() + options.duration
      while (Date.now() < end) {
        yield* send
        yield* Effect.sleep(`${options.interval} millis`)
      }
    })
    yield* sending
    yield* options.print("producer stopped; waiting for the buffer to drain")
    yield* SubscriptionRef.changes(producer.backlog).pipe(Stream.takeUntil((n) => n === 0), Stream.runDrain)
    yield* Fiber.interrupt(reporter)

    // Everything from both queue managers: a message may be on either, after the failover.
    const seen = new Map<string, number>()
    for (const name of queueManagers) {
      const hconn = yield* mqi.connect({ queueManager: name })
      const queue = yield* mqi.open(hconn, { type: "queue", name: QUEUE }, { input: "shared" })
      while (true) {
        const message = yield* mqi.get(queue)
        if (Option.isNone(message)) break
        const body = new TextDecoder().decode(message.value.body)
        seen.set(body, (seen.get(body) ?? 0) + 1)
      }
    }
    const { sent, outages } = yield* Ref.get(counts)
    let lost = 0
    let duplicates = 0
    for (let i = 0; i < sent; i++) {
      const times = seen.get(bodyOf(i)) ?? 0
      if (times === 0) lost++
      else duplicates += times - 1
    }
    const delivered = sent - lost
    yield* options.print(`demo: sent=${sent} delivered=${delivered} lost=${lost} duplicates=${duplicates} outages=${outages}`)
    return { sent, delivered, lost, duplicates, outages }
  }).pipe(
    Effect.scoped,
    Effect.provide(services),
    Effect.ensuring(Effect.sync(() => options.directory === undefined && rmSync(directory, { recursive: true, force: true })))
  )
}

const storeArgument = (argv: ReadonlyArray<string>): StoreKind => {
  const at = argv.indexOf("--store")
  const kind = at === -1 ? "file" : argv[at + 1]
  if (kind === "file" || kind === "sqlite" || kind === "redis") return kind
  console.error(`--store takes file, sqlite or redis, not ${String(kind)}`)
  process.exit(2)
}

if (import.meta.main) {
  const store = storeArgument(process.argv.slice(2))
  const result = await Effect.runPromise(
    runDemo({ store, interval: 10, duration: 10_000, print: (line) => Effect.sync(() => console.log(line)) })
  )
  process.exitCode = result.lost === 0 ? 0 : 1
}
