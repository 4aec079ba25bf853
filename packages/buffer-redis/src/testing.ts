/**
 * A `redis-server` of the caller's own, for tests, benchmarks and demos: on a free port of the
 * loopback, in a temporary folder, with the append-only file on (fsynced before every reply by
 * default) and no snapshots. It can be killed with SIGKILL and started again on the same folder and
 * port; the scope stops it and removes the folder. Needs `redis-server` on the `PATH`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Scope } from "effect"

export interface RedisServer {
  readonly port: number
  readonly directory: string
  /** Kills the server with SIGKILL and waits until it is gone. */
  readonly kill: Effect.Effect<void>
  /** Starts it again on the same folder and port, once it accepts connections. */
  readonly start: Effect.Effect<void, Error>
}

/** A port that was free a moment ago: bound on 127.0.0.1 with port 0, then closed. */
export const freePort: Effect.Effect<number, Error> = Effect.callback<number, Error>((resume) => {
  const server = net.createServer()
  server.once("error", (error) => resume(Effect.fail(error)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(port === 0 ? Effect.fail(new Error("no port was given")) : Effect.succeed(port)))
  })
})

const exited = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) resume(Effect.void)
    else child.once("exit", () => resume(Effect.void))
  })

// Started, and answering: the server says so on its log once the append-only file is loaded.
const launch = (port: number, directory: string, appendfsync: string) =>
  Effect.callback<ChildProcess, Error>((resume) => {
    const child = spawn("redis-server", [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--dir", directory,
      "--appendonly", "yes",
      "--appendfsync", appendfsync,
      "--save", "",
      "--daemonize", "no"
    ], { stdio: ["ignore", "pipe", "pipe"] })
    let log = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      resume(Effect.fail(new Error(`redis-server on port ${port} did not start: ${log}`)))
    }, 20_000)
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      log += chunk
      if (log.includes("Ready to accept connections")) {
        clearTimeout(timer)
        resume(Effect.succeed(child))
      }
    })
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (log += chunk))
    child.once("error", (error) => {
      clearTimeout(timer)
      resume(Effect.fail(error))
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      resume(Effect.fail(new Error(`redis-server on port ${port} ended (${code ?? signal}) before it was ready: ${log}`)))
    })
  })

/**
 * A server of the scope's own, started. `appendfsync`: when Redis fsyncs its append-only file
 * (`always`, the default: before every reply; `everysec`; `no`).
 */
export const redisServer = Effect.fnUntraced(function*(
  options: { readonly appendfsync?: "always" | "everysec" | "no" } = {}
): Effect.fn.Return<RedisServer, Error, Scope.Scope> {
  const directory = yield* Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "resilient-mq-redis-"))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )
  const port = yield* freePort
  let child: ChildProcess | undefined
  const kill = Effect.suspend(() => {
    const running = child
    child = undefined
    if (running === undefined) return Effect.void
    running.kill("SIGKILL")
    return exited(running)
  })
  const start = Effect.suspend(() => Effect.map(launch(port, directory, options.appendfsync ?? "always"), (started) => void (child = started)))
  yield* Effect.acquireRelease(start, () => kill)
  return { port, directory, kill, start }
})
