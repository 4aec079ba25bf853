import { assert, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { Effect, type Layer } from "effect"
import { BufferStore, type Envelope } from "../../BufferStore.ts"
import { bytesOf, everything, sameBytes, type Target, withStore } from "./helpers.ts"

const DESTINATION = "CRASH.Q"
// Concurrent appenders in the child, so that a store's group commit is in flight when it dies.
const APPENDERS = 8

/** Envelope `n` of the child run `run`: its body follows from both, so that a torn body shows. */
const crashEnvelope = (run: number, n: number, acceptedAt: number): Envelope => ({
  destination: DESTINATION,
  body: bytesOf(run ^ (n * 7919), 1 + ((n * 7919) % 3000)),
  descriptor: {},
  properties: { run, n },
  msgId: bytesOf(run + n, 24),
  acceptedAt
})

/** What the child printed after an append returned. */
interface Returned {
  readonly id: string
  readonly run: number
  readonly n: number
}

/**
 * The body of a crash child: opens the store over the location given as its one argument and appends
 * from several fibers until it is killed, printing `{"id","run","n"}` on a line once each append has
 * returned (a synchronous write, so a printed line means the append had returned before).
 */
export const runCrashChild = (layer: (location: string) => Layer.Layer<BufferStore, unknown>): void => {
  const location = process.argv[2]
  if (location === undefined) {
    process.stderr.write("usage: <crash child module> <location>\n")
    process.exit(2)
  }
  const run = Math.floor(Math.random() * 2 ** 31)
  let next = 0
  const appendForever = Effect.gen(function*() {
    const store = yield* BufferStore
    const appender = Effect.forever(Effect.suspend(() => {
      const n = next++
      return Effect.flatMap(store.append(crashEnvelope(run, n, Date.now())), ({ id }) =>
        Effect.sync(() => fs.writeSync(1, `${JSON.stringify({ id, run, n } satisfies Returned)}\n`)))
    }))
    yield* Effect.all(Array.from({ length: APPENDERS }, () => appender), { concurrency: "unbounded", discard: true })
  })
  Effect.runPromise(Effect.provide(appendForever, layer(location))).catch((error: unknown) => {
    process.stderr.write(`the crash child failed: ${String(error)}\n`)
    process.exit(1)
  })
}

// The runtime running the tests runs the child too: Node runs TypeScript itself, Deno with `run -A`.
const spawnChild = (childModule: string, location: string): ChildProcess =>
  spawn(
    process.execPath,
    process.versions["deno"] === undefined ? [childModule, location] : ["run", "-A", childModule, location],
    { stdio: ["ignore", "pipe", "pipe"] }
  )

const randomInt = (below: number) => Math.floor(Math.random() * below)

/**
 * Runs the child until it has printed `after` lines, then kills it with SIGKILL a random moment
 * later (while it appends): the lines it printed completely.
 */
const killWhileAppending = (childModule: string, location: string, after: number) =>
  Effect.acquireUseRelease(
    Effect.sync(() => spawnChild(childModule, location)),
    (child) =>
      Effect.callback<ReadonlyArray<Returned>, Error>((resume) => {
        let out = ""
        let err = ""
        let killing = false
        child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
          out += chunk
          if (!killing && out.split("\n").length > after) {
            killing = true
            setTimeout(() => child.kill("SIGKILL"), randomInt(10))
          }
        })
        child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk))
        // `close`, not `exit`: the output is read to its end.
        child.once("close", (code, signal) => {
          if (!killing) {
            resume(Effect.fail(new Error(`the crash child ${childModule} ended (${code ?? signal}) before it was killed: ${err}`)))
            return
          }
          // The last line may be cut off by the kill: only complete lines count.
          const lines = out.split("\n").slice(0, -1)
          resume(Effect.succeed(lines.map((line) => JSON.parse(line) as Returned)))
        })
      }),
    (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/** Every envelope held is intact, and every append that returned is held. */
const checkSurvivors = (store: BufferStore["Service"], returned: ReadonlyArray<Returned>) =>
  Effect.gen(function*() {
    const held = yield* everything(store, DESTINATION)
    const byId = new Map(held.map((stored) => [stored.id, stored]))
    for (const stored of held) {
      const { run, n } = stored.properties
      assert.isTrue(typeof run === "number" && typeof n === "number", `envelope ${stored.id} lost its properties`)
      const expected = crashEnvelope(Number(run), Number(n), stored.acceptedAt)
      assert.isTrue(sameBytes(stored.body, expected.body), `envelope ${stored.id} (run ${run}, n ${n}) has a damaged body`)
      assert.isTrue(sameBytes(stored.msgId, expected.msgId), `envelope ${stored.id} has a damaged MsgId`)
    }
    for (const line of returned) {
      const stored = byId.get(line.id)
      assert.isDefined(stored, `append ${line.id} (run ${line.run}, n ${line.n}) had returned before the kill, and is gone`)
      assert.deepStrictEqual(stored?.properties, { run: line.run, n: line.n }, `id ${line.id} holds another envelope`)
    }
  })

/** SIGKILL while appending, several times over the same location. */
export const crashCases = (target: Target, childModule: string, rounds: number): void => {
  it.live(`every append that returned survives a SIGKILL at any moment (${rounds} rounds)`, () =>
    Effect.gen(function*() {
      const location = yield* target.location
      const returned: Array<Returned> = []
      for (let round = 0; round < rounds; round++) {
        returned.push(...(yield* killWhileAppending(childModule, location, 1 + randomInt(300))))
        // Opened between rounds too: the next child starts from what recovery made of the last kill.
        yield* withStore(target, location, (store) => checkSurvivors(store, returned))
      }
    }), Math.max(target.timeout, 120_000))
}
