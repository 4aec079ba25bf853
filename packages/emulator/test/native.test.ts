import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { afterEach, beforeAll, describe, expect, it } from "vitest"

// The stand-in libmqm_r.so under the real ibmmq binding. The binding reads LD_LIBRARY_PATH only
// when its process starts, so each scenario runs in a child process (test/support/binding-client.cjs).

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url))
const libraryFolder = path("../native/build")
const client = path("./support/binding-client.cjs")
const serverCli = path("../dist/bin/mq-emulator.js")

/** The arguments that run a script with this runtime (Node, or Deno under `test:deno`). */
const runScript = (script: string, args: ReadonlyArray<string>): [string, Array<string>] => [
  process.execPath,
  "Deno" in globalThis ? ["run", "-A", script, ...args] : [script, ...args]
]

/** A child process whose stdout lines are JSON events (or, for the server, its banner). */
class Child {
  readonly lines: Array<string> = []
  private readonly waiters = new Set<() => void>()
  readonly exited: Promise<number | null>

  constructor(readonly proc: ChildProcess) {
    let partial = ""
    proc.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n")
      partial = parts.pop() ?? ""
      this.lines.push(...parts.filter((line) => line.length > 0))
      for (const wake of this.waiters) wake()
    })
    this.exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)))
    void this.exited.then(() => {
      for (const wake of this.waiters) wake()
    })
  }

  /** The first line that `pick` accepts, waiting for it. */
  async line<A>(pick: (line: string) => A | undefined): Promise<A> {
    for (;;) {
      for (const line of this.lines) {
        const picked = pick(line)
        if (picked !== undefined) return picked
      }
      if (this.proc.exitCode !== null) throw new Error(`exited without it; output: ${this.lines.join("\n")}`)
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake)
          resolve()
        }
        this.waiters.add(wake)
      })
    }
  }

  /** The first JSON event that has `key`. */
  event(key: string): Promise<Record<string, unknown>> {
    return this.line((line) => {
      const event = JSON.parse(line) as Record<string, unknown>
      return key in event ? event : undefined
    })
  }
}

const children: Array<Child> = []
const start = (script: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const [command, argv] = runScript(script, args)
  const child = new Child(spawn(command, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] }))
  children.push(child)
  return child
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.proc.exitCode === null) child.proc.kill("SIGKILL")
    await child.exited
  }
})

/** Runs a scenario of binding-client.cjs with the stand-in library and `MQSERVER` at `port`. */
const scenario = (name: string, port: number) =>
  start(client, [name], {
    LD_LIBRARY_PATH: libraryFolder,
    MQIJS_NOREDIST: "1",
    MQSERVER: `DEV.APP.SVRCONN/TCP/localhost(${port})`
  })

/** Starts the emulator server (`mq-emulator --port 0 --qmgr QM1`) and returns it and its port. */
const startServer = async () => {
  const server = start(serverCli, ["--port", "0", "--qmgr", "QM1"])
  const port = await server.line((line) => /mq-emulator listening on .+:(\d+)/.exec(line)?.[1])
  return { server, port: Number(port) }
}

/** A TCP port with nothing listening on it. */
const closedPort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.on("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0))
    })
  })

beforeAll(() => {
  // `npm run build` makes the library; a test run straight after a clone makes it here.
  if (!existsSync(`${libraryFolder}/libmqm_r.so`)) {
    execFileSync(process.execPath, runScript(path("../native/build.mjs"), [])[1], { stdio: "inherit" })
  }
})

describe("the ibmmq binding over the stand-in MQ client library", { timeout: 60_000 }, () => {
  it("loads the library", async () => {
    const child = scenario("load", 1414)
    expect(await child.event("loaded")).toEqual({ loaded: true })
  })

  it("gives 2538 when nothing listens at the address", async () => {
    const child = scenario("connect", await closedPort())
    expect(await child.event("connected")).toEqual({ connected: false, reason: 2538 })
  })

  it("puts and gets a message with a property", async () => {
    const { port } = await startServer()
    const child = scenario("roundTrip", port)
    expect(await child.event("text")).toEqual({
      text: "hello through the binding",
      returnedLength: 25,
      resolvedQName: "DEV.QUEUE.1",
      colour: "blue",
      tooSmall: 2080,
      empty: 2033
    })
  })

  it("delivers messages to a consumer started with Ctl", async () => {
    const { port } = await startServer()
    const child = scenario("consumer", port)
    expect(await child.event("received")).toEqual({
      received: [{ text: "one" }, { text: "two" }, { text: "three" }]
    })
  })

  it("gives 2009 to the consumer and to the next call when the server is killed", async () => {
    const { port, server } = await startServer()
    const child = scenario("serverKilled", port)
    expect(await child.event("ready")).toEqual({ ready: true, first: { text: "before" } })
    server.proc.kill("SIGKILL")
    expect(await child.event("consumer")).toEqual({ consumer: { error: 2009 }, putAfter: 2009 })
  })
})
