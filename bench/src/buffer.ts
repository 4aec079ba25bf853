import { BufferStore, BufferedProducer, layer as producerLayer } from "@resilient-mq/buffer"
import * as FileStore from "@resilient-mq/buffer-file"
import { layer as connectionLayer, Mqi, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type BenchResult, perSecond, round, temporaryFolder } from "./Result.ts"

const QUEUE = "BENCH.DRAIN"
const body = new Uint8Array(256).fill(0x62)

/** Fills a file store with `count` messages for the queue (without fsync: the fill is not measured). */
const fill = (directory: string, count: number) =>
  Effect.gen(function*() {
    const store = yield* BufferStore
    const msgId = new Uint8Array(24)
    yield* Effect.forEach(
      Array.from({ length: 64 }, (_, p) => p),
      (p) =>
        Effect.gen(function*() {
          for (let i = p; i < count; i += 64) {
            yield* store.append({ destination: QUEUE, body, descriptor: {}, properties: {}, msgId, acceptedAt: i })
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
  }).pipe(Effect.provide(FileStore.layerFile({ directory, fsync: "never" })))

/**
 * Draining 100,000 buffered messages (file store, durable acknowledgements) to the in-process
 * emulator through the buffered producer's drainer, against the bare put rate of the same emulator.
 */
export const drainRate = (count = 100_000): Effect.Effect<BenchResult, unknown> =>
  Effect.gen(function*() {
    const directory = yield* temporaryFolder
    yield* fill(directory, count)
    return yield* Effect.gen(function*() {
      const control = yield* QueueManagerControl
      const mqi = yield* Mqi
      yield* control.defineQueue("QM1", QUEUE, { maxDepth: 100_000_000 })
      yield* control.defineQueue("QM1", "BENCH.BARE", { maxDepth: 100_000_000 })
      const hconn = yield* mqi.connect({ queueManager: "QM1" })
      const bare = yield* mqi.open(hconn, { type: "queue", name: "BENCH.BARE" }, { output: true })
      let start = performance.now()
      for (let i = 0; i < count; i++) yield* mqi.put(bare, { body })
      const bareRate = perSecond(count, performance.now() - start)

      start = performance.now()
      const drained = yield* Effect.gen(function*() {
        const store = yield* BufferStore
        yield* BufferedProducer
        while ((yield* store.depth()).messages > 0) yield* Effect.sleep("20 millis")
        return perSecond(count, performance.now() - start)
      }).pipe(
        Effect.provide(
          producerLayer().pipe(
            Layer.provideMerge(FileStore.layerFile({ directory })),
            Layer.provide(connectionLayer({ connect: { queueManager: "QM1" }, heartbeat: false })),
            Layer.provide(Retry.layerDefault)
          )
        )
      )
      const depth = yield* mqi.open(hconn, { type: "queue", name: QUEUE }, { inquire: true }).pipe(
        Effect.flatMap((q) => mqi.inquire(q, ["CurrentQDepth"]))
      )
      if (depth.CurrentQDepth !== count) {
        return yield* Effect.die(new Error(`drained ${depth.CurrentQDepth} of ${count} messages`))
      }
      return {
        name: "draining 100,000 buffered messages (file store) to the in-process emulator vs its bare put rate",
        value: round(drained, 0),
        unit: "messages/s",
        baseline: round(bareRate, 0),
        ratio: round(drained / bareRate),
        target: 0.5
      }
    }).pipe(Effect.scoped, Effect.provide(Emulator.layer()))
  }).pipe(Effect.scoped)

const memoryChild = fileURLToPath(new URL("./child/memory.ts", import.meta.url))

/** Runs a step of the memory benchmark in its own process; its JSON. */
const memoryStep = (args: ReadonlyArray<string>) =>
  Effect.callback<{ readonly rssMB?: number; readonly messages: number }, Error>((resume) => {
    const child = spawn(process.execPath, ["--expose-gc", memoryChild, ...args], { stdio: ["ignore", "pipe", "inherit"] })
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
    child.on("close", (code) =>
      resume(
        code === 0
          ? Effect.sync(() => JSON.parse(output) as { rssMB?: number; messages: number })
          : Effect.fail(new Error(`the memory benchmark (${args[0]}) exited with ${code}`))
      ))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/**
 * Resident memory of a process that holds 1,000,000 messages buffered in a file store: one process
 * buffers them, a second opens the store over them (recovery, index, a take per destination) and
 * measures itself, so the figure is what holding the backlog costs, not what the fill's garbage did.
 */
export const bufferedMemory: Effect.Effect<BenchResult, unknown> = Effect.gen(function*() {
  const directory = yield* temporaryFolder
  const filled = yield* memoryStep(["fill", directory, "1000000"])
  const opened = yield* memoryStep(["open", directory])
  if (filled.messages !== 1_000_000 || opened.messages !== 1_000_000 || opened.rssMB === undefined) {
    return yield* Effect.fail(new Error(`expected 1,000,000 buffered messages, saw ${filled.messages} and ${opened.messages}`))
  }
  return {
    name: "resident memory of a process with 1,000,000 messages buffered on disk (file store) vs the 150 MB limit",
    value: round(opened.rssMB, 1),
    unit: "MB",
    baseline: 150,
    ratio: round(150 / opened.rssMB),
    target: 1
  }
}).pipe(Effect.scoped)
