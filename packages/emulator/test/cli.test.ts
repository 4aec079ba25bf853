import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer } from "effect"
import { Emulator, layerClient } from "../src/index.ts"
import { parseCommand } from "../src/internal/Cli.ts"
import { connectClient, MQOO, MQPMO, readMessage } from "./support/WireClient.ts"

// The built command, run by the runtime that runs the tests (Node, or Deno with `run -A`).
const script = fileURLToPath(new URL("../dist/bin/mq-emulator.js", import.meta.url))
const onDeno = process.versions["deno"] !== undefined
const commandLine = (args: ReadonlyArray<string>): [string, Array<string>] =>
  onDeno ? [process.execPath, ["run", "-A", script, ...args]] : [process.execPath, [script, ...args]]

interface Run {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** The exit code once the process ended, or the signal that ended it. */
  readonly exit: Effect.Effect<number | NodeJS.Signals | null>
}

const launch = (args: ReadonlyArray<string>): Run => {
  const [command, argv] = commandLine(args)
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => (stdout += chunk))
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal))
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exit: Effect.promise(() => exited) }
}

/** Starts `mq-emulator`, waits for the line with its port; the scope kills it if it still runs. */
const start = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.callback<Run & { readonly port: number }, Error>((resume) => {
      const run = launch(["--port", "0", ...args])
      run.child.stdout!.on("data", () => {
        const listening = /^mq-emulator listening on 127\.0\.0\.1:(\d+)\n/.exec(run.stdout())
        if (listening !== null) resume(Effect.succeed({ ...run, port: Number(listening[1]) }))
      })
      run.child.once("exit", (code) => resume(Effect.fail(new Error(`mq-emulator exited with ${code}: ${run.stderr()}`))))
    }),
    (run) => Effect.sync(() => run.child.exitCode === null && run.child.kill("SIGKILL"))
  )

describe("mq-emulator", () => {
  it.live("prints the one line with its port, serves every --qmgr, and exits 0 on SIGTERM and SIGINT", () =>
    Effect.gen(function*() {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        const run = yield* start(["--qmgr", "QMA", "--qmgr", "QMB", "--group", "GRP"])
        const client = yield* connectClient(run.port)
        const connected = yield* client.connect("*GRP")
        assert.deepStrictEqual([connected.cc, connected.results.str()], [0, "QMA"])
        const status = yield* Effect.flatMap(Layer.build(layerClient({ port: run.port })), (context) =>
          Emulator.use((emulator) => emulator.queueManagers).pipe(Effect.provide(context)))
        assert.deepStrictEqual(status.map((qm) => [qm.name, qm.group]), [["QMA", "GRP"], ["QMB", "GRP"]])
        run.child.kill(signal)
        // Deno's child_process reports the signal it sent even when the child handled it and exited 0.
        assert.oneOf(yield* run.exit, onDeno ? [0, signal] : [0])
        assert.strictEqual(run.stdout(), `mq-emulator listening on 127.0.0.1:${run.port}\n`)
      }
    }).pipe(Effect.scoped))

  it.live("bad arguments exit 2 with a message", () =>
    Effect.gen(function*() {
      const run = launch(["--port", "eighty"])
      assert.strictEqual(yield* run.exit, 2)
      assert.include(run.stderr(), "--port must be a number")
    }))

  it.live("--data keeps committed persistent messages across a SIGKILL", () =>
    Effect.gen(function*() {
      const data = fs.mkdtempSync(path.join(os.tmpdir(), "mq-emulator-cli-data-"))
      const first = yield* start(["--data", data])
      const client = yield* connectClient(first.port)
      yield* client.connect("QM1")
      const hobj = yield* client.open("DEV.QUEUE.1", MQOO.OUTPUT)
      yield* client.put(hobj, "persistent", { descriptor: { persistence: 1 } })
      yield* client.put(hobj, "not persistent", { descriptor: { persistence: 0 } })
      yield* client.put(hobj, "uncommitted", { descriptor: { persistence: 1 }, pmo: MQPMO.SYNCPOINT })
      first.child.kill("SIGKILL")
      assert.strictEqual(yield* first.exit, "SIGKILL")

      const second = yield* start(["--data", data])
      const again = yield* connectClient(second.port)
      yield* again.connect("QM1")
      const input = yield* again.open("DEV.QUEUE.1", MQOO.INPUT_SHARED)
      assert.strictEqual(readMessage(yield* again.get(input).answer).text, "persistent")
      assert.strictEqual((yield* again.get(input).answer).rc, 2033)
    }).pipe(Effect.scoped))
})

describe("the command line", () => {
  const problemOf = (args: ReadonlyArray<string>) =>
    parseCommand(args).pipe(Effect.flip, Effect.map((error) => error.problem))

  it.effect("reads the options, with their defaults", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* parseCommand([]), {
        _tag: "Serve",
        options: { port: 1414, queueManagers: [{ name: "QM1" }] }
      })
      assert.deepStrictEqual(yield* parseCommand(["--port=0", "--host", "0.0.0.0", "--qmgr", "A", "--qmgr", "B", "--group", "G", "--data", "d"]), {
        _tag: "Serve",
        options: { port: 0, host: "0.0.0.0", data: "d", queueManagers: [{ name: "A", group: "G" }, { name: "B", group: "G" }] }
      })
      assert.deepStrictEqual(yield* parseCommand(["--port", "0", "--help"]), { _tag: "Help" })
    }))

  it.effect("says what is wrong with bad arguments", () =>
    Effect.gen(function*() {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "mq-emulator-cli-"))
      const invalid = path.join(directory, "invalid.json")
      fs.writeFileSync(invalid, JSON.stringify({ queueManagers: [{ name: "" }] }))
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["--port", "70000"], "--port must be a number from 0 to 65535"],
        [["--verbose"], "unknown argument"],
        [["--qmgr"], "--qmgr needs a value"],
        [["--port", "1", "--port", "2"], "--port may be given once"],
        [["--group", "G"], "give at least one --qmgr"],
        [["--config", invalid, "--qmgr", "QM1"], "give one or the other"],
        [["--config", invalid], "is not valid"],
        [["--config", path.join(directory, "missing.json")], "cannot read --config"],
        [["--qmgr", "QM1", "--qmgr", "QM1"], "given twice"]
      ]
      for (const [args, problem] of cases) assert.include(yield* problemOf(args), problem, args.join(" "))
    }))

  it.effect("reads queue managers and their groups from --config", () =>
    Effect.gen(function*() {
      const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mq-emulator-cli-")), "config.json")
      const queueManagers = [{ name: "QM1", group: "G", queues: { "APP.Q": { maxDepth: 10 } } }, { name: "QM2", group: "G" }]
      fs.writeFileSync(config, JSON.stringify({ queueManagers }))
      assert.deepStrictEqual(yield* parseCommand(["--config", config]), {
        _tag: "Serve",
        options: { port: 1414, queueManagers }
      })
    }))
})
