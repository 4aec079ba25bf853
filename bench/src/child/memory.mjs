// Child process of the memory benchmark, in two steps so that each is its own process:
//   fill DIR N  appends N messages to a file store in DIR (fsync off: the fill is not measured);
//   open DIR    opens the store over DIR, as an application restarted with that backlog does, and
//               prints its resident memory (after a garbage collection) and depth as JSON.
// Run with --expose-gc. Plain JavaScript, as an application in production runs: a `.ts` file would
// load Node's TypeScript stripper (a WebAssembly module of about 12 MB resident) into the measurement.
import { BufferStore } from "@resilient-mq/buffer"
import * as FileStore from "@resilient-mq/buffer-file"
import { Effect } from "effect"

const [mode, directory = "", count = "1000000"] = process.argv.slice(2)
const body = new Uint8Array(100).fill(0x61)
const msgId = new Uint8Array(24).fill(2)
const unbounded = { messages: Number.POSITIVE_INFINITY }

const fill = Effect.gen(function*() {
  const store = yield* BufferStore
  const producers = 64
  const each = Number(count) / producers
  yield* Effect.forEach(
    Array.from({ length: producers }, (_, p) => p),
    (p) =>
      Effect.gen(function*() {
        for (let i = 0; i < each; i++) {
          yield* store.append({ destination: `QUEUE.${p % 4}`, body, descriptor: {}, properties: {}, msgId, acceptedAt: i })
        }
      }),
    { concurrency: "unbounded", discard: true }
  )
  return { messages: (yield* store.depth()).messages }
}).pipe(Effect.provide(FileStore.layerFile({ directory, fsync: "never", capacity: unbounded })))

const open = Effect.gen(function*() {
  const store = yield* BufferStore
  const depth = yield* store.depth()
  // A take per destination, as a drainer starting up does.
  for (const destination of yield* store.destinations) yield* store.take(destination, 64)
  globalThis.gc?.()
  return { rssMB: process.memoryUsage().rss / 2 ** 20, messages: depth.messages }
}).pipe(Effect.provide(FileStore.layerFile({ directory, capacity: unbounded })))

console.log(JSON.stringify(await Effect.runPromise(mode === "fill" ? fill : open)))
