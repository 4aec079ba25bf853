import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import { Effect, Option } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type BenchResult, median, perSecond, round } from "./Result.ts"

const emulatorDir = fileURLToPath(new URL("../../packages/emulator/", import.meta.url))
const standIn = `${emulatorDir}native/build`
const noop = `${emulatorDir}native/build/noop`
const child = (name: string) => fileURLToPath(new URL(`./child/${name}`, import.meta.url))

/** Runs a child script with the stand-in library (or the one that does nothing) on its path; its JSON. */
const runChild = (script: string, library: string, args: ReadonlyArray<string>) =>
  Effect.callback<{ readonly rate: number }, Error>((resume) => {
    const process_ = spawn(process.execPath, [child(script), ...args], {
      env: { ...process.env, LD_LIBRARY_PATH: library, MQIJS_NOREDIST: "1", MQIJS_PREFER_INSTALLED_LIBRARY: "1" },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    process_.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
    process_.on("close", (code) =>
      resume(
        code === 0
          ? Effect.try({ try: () => JSON.parse(output) as { rate: number }, catch: () => new Error(`${script}: ${output}`) })
          : Effect.fail(new Error(`${script} exited with ${code}`))
      ))
    return Effect.sync(() => process_.kill("SIGKILL"))
  })

/** `mq-emulator --port 0 --qmgr QM1` in its own process, for as long as the scope lasts. */
const server = Effect.acquireRelease(
  Effect.callback<{ readonly port: number; readonly stop: () => void }, Error>((resume) => {
    const process_ = spawn(process.execPath, [`${emulatorDir}dist/bin/mq-emulator.js`, "--port", "0", "--qmgr", "QM1"], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    process_.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
      const port = /listening on .*:(\d+)/.exec(output)?.[1]
      if (port !== undefined) resume(Effect.succeed({ port: Number(port), stop: () => process_.kill("SIGTERM") }))
    })
    process_.on("error", (error) => resume(Effect.fail(error)))
  }),
  (s) => Effect.sync(() => s.stop())
)

/** Puts per second through the bare in-process emulator, each call making its effect anew. */
const inProcessRate = (puts: number) =>
  Effect.gen(function*() {
    const control = yield* QueueManagerControl
    const mqi = yield* Mqi
    yield* control.defineQueue("QM1", "BENCH.PUT", { maxDepth: 100_000_000 })
    const hconn = yield* mqi.connect({ queueManager: "QM1" })
    const queue = yield* mqi.open(hconn, { type: "queue", name: "BENCH.PUT" }, { output: true, input: "shared" })
    const body = new Uint8Array(256).fill(0x61)
    const rates: Array<number> = []
    for (let round = 0; round < 5; round++) {
      const start = performance.now()
      for (let i = 0; i < puts; i++) yield* mqi.put(queue, { body })
      rates.push(perSecond(puts, performance.now() - start))
      while (Option.isSome(yield* mqi.get(queue))) {
        // emptied outside the timing
      }
    }
    return median(rates)
  }).pipe(Effect.scoped, Effect.provide(Emulator.layer()))

/**
 * The put rate through `@resilient-mq/ibmmq`, the real binding, the stand-in library and a
 * `mq-emulator` process; the in-process emulator's; and the binding's own synchronous puts against
 * a library that does nothing, the ceiling of anything through the binding. All in one run.
 */
export const bindingPutRates = (puts = 5_000): Effect.Effect<ReadonlyArray<BenchResult>, unknown> =>
  Effect.gen(function*() {
    const { port } = yield* server
    yield* Effect.gen(function*() {
      const control = yield* QueueManagerControl
      yield* control.defineQueue("QM1", "BENCH.PUT", { maxDepth: 100_000_000 })
    }).pipe(Effect.provide(Emulator.layerClient({ port })))
    const network: Array<number> = []
    for (let i = 0; i < 3; i++) {
      network.push((yield* runChild("ibmmqPut.ts", standIn, [`localhost(${port})`, String(puts)])).rate)
    }
    const ceiling: Array<number> = []
    for (let i = 0; i < 3; i++) ceiling.push((yield* runChild("bindingNoop.ts", noop, ["50000"])).rate)
    const inProcess = yield* inProcessRate(puts)
    const viaServer = median(network)
    const nothing = median(ceiling)
    const entry = (name: string, value: number, baseline: number, target: number): BenchResult => ({
      name,
      value: round(value, 0),
      unit: "puts/s",
      baseline: round(baseline, 0),
      ratio: round(value / baseline),
      target
    })
    return [
      entry("put rate through @resilient-mq/ibmmq and mq-emulator vs the in-process emulator", viaServer, inProcess, 0.02),
      entry("put rate through @resilient-mq/ibmmq and mq-emulator vs the binding against a library that does nothing", viaServer, nothing, 0.05),
      entry("put rate of the in-process emulator vs the binding against a library that does nothing", inProcess, nothing, 0.5)
    ]
  }).pipe(Effect.scoped)
