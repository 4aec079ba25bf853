import { BufferStore, layer as producerLayer } from "@resilient-mq/buffer"
import * as FileStore from "@resilient-mq/buffer-file"
import { layer as connectionLayer, Mqi, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type BenchResult, compare, perSecond, round, temporaryFolder } from "./Result.ts"
import { unbounded } from "./StoreAppends.ts"

const QUEUE = "BENCH.DRAIN"

// Each timed side starts from a collected heap (`npm run bench` runs with --expose-gc), so that one
// does not pay for the garbage the other left (a deleted queue of 100,000 messages).
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.()

const body = new Uint8Array(256).fill(0x62)

/** The MsgIds of the messages both sides put: random, one per message, as the buffered producer assigns them. */
const messageIds = (count: number): ReadonlyArray<Uint8Array> =>
  Array.from({ length: count }, () => globalThis.crypto.getRandomValues(new Uint8Array(24)))

/**
 * Fills a file store with `count` messages for the queue, durably, as a buffered producer leaves it
 * (not measured: but a fill left in the page cache would be written back during the drain).
 */
const fill = (directory: string, count: number) =>
  Effect.gen(function*() {
    const store = yield* BufferStore
    const msgIds = messageIds(count)
    yield* Effect.forEach(
      Array.from({ length: 64 }, (_, p) => p),
      (p) =>
        Effect.gen(function*() {
          for (let i = p; i < count; i += 64) {
            yield* store.append({ destination: QUEUE, body, descriptor: {}, properties: {}, msgId: msgIds[i]!, acceptedAt: i })
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
  }).pipe(Effect.provide(FileStore.layerFile({ directory, capacity: unbounded })))

/**
 * The rate of `count` bare puts of the same messages (the body, a MsgId each) to an empty queue of
 * the emulator, which is emptied again after.
 */
const barePutRate = (count: number) =>
  Effect.gen(function*() {
    const control = yield* QueueManagerControl
    const mqi = yield* Mqi
    yield* control.defineQueue("QM1", "BENCH.BARE", { maxDepth: 100_000_000 })
    const hconn = yield* mqi.connect({ queueManager: "QM1" })
    const bare = yield* mqi.open(hconn, { type: "queue", name: "BENCH.BARE" }, { output: true })
    const messages = messageIds(count).map((msgId) => ({ body, descriptor: { msgId } }))
    collectGarbage()
    const start = performance.now()
    for (const message of messages) yield* mqi.put(bare, message)
    const rate = perSecond(count, performance.now() - start)
    yield* mqi.disconnect(hconn)
    yield* control.deleteQueue("QM1", "BENCH.BARE")
    return rate
  }).pipe(Effect.scoped)

/**
 * The rate at which the buffered producer's drainer forwards `count` messages buffered in a file
 * store (durable acknowledgements) to an empty queue of the emulator, which is emptied again after.
 */
export const drainedRate = (count: number) =>
  Effect.gen(function*() {
    const directory = yield* temporaryFolder
    yield* fill(directory, count)
    const control = yield* QueueManagerControl
    yield* control.defineQueue("QM1", QUEUE, { maxDepth: 100_000_000 })
    // Timed from when the store is open (its recovery is not draining) until it is empty.
    const rate = yield* Effect.gen(function*() {
      const store = yield* BufferStore
      collectGarbage()
      const start = performance.now()
      yield* Layer.build(
        producerLayer().pipe(
          Layer.provide(connectionLayer({ connect: { queueManager: "QM1" }, heartbeat: false })),
          Layer.provide(Retry.layerDefault)
        )
      )
      while ((yield* store.depth()).messages > 0) yield* Effect.sleep("5 millis")
      return perSecond(count, performance.now() - start)
    }).pipe(Effect.scoped, Effect.provide(FileStore.layerFile({ directory, capacity: unbounded })))
    const mqi = yield* Mqi
    const hconn = yield* mqi.connect({ queueManager: "QM1" })
    const queue = yield* mqi.open(hconn, { type: "queue", name: QUEUE }, { inquire: true })
    const { CurrentQDepth } = yield* mqi.inquire(queue, ["CurrentQDepth"])
    yield* mqi.disconnect(hconn)
    if (CurrentQDepth !== count) return yield* Effect.die(new Error(`drained ${CurrentQDepth} of ${count} messages`))
    yield* control.deleteQueue("QM1", QUEUE)
    return rate
  }).pipe(Effect.scoped)

/**
 * Draining 100,000 buffered messages (file store, durable acknowledgements) to the in-process
 * emulator through the buffered producer's drainer, against bare puts of the same messages (body and
 * MsgId) to the same emulator:
 * after a warm-up of each, `rounds` rounds alternating which goes first, each side starting from an
 * empty queue; the median of the rounds' ratios counts.
 */
export const drainRate = (count = 100_000, rounds = 7): Effect.Effect<BenchResult, unknown> =>
  compare([{
    name: "draining 100,000 buffered messages (file store) to the in-process emulator vs bare puts of the same messages",
    unit: "messages/s",
    value: drainedRate(count),
    baseline: barePutRate(count),
    target: 0.5,
    warmUp: Effect.andThen(barePutRate(count / 10), drainedRate(count / 10))
  }], rounds).pipe(Effect.map((results) => results[0]!), Effect.provide(Emulator.layer()))

const memoryChild = fileURLToPath(new URL("./child/memory.mjs", import.meta.url))

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
