import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** How to run a script with the runtime the tests run on: Node runs it, Deno needs `run -A`. */
export const runtimeArgs = (script: string, ...args: ReadonlyArray<string>): Array<string> =>
  process.versions["deno"] === undefined ? [script, ...args] : ["run", "-A", script, ...args]

/** Runs a script to its end in a child process with the given environment; its standard output. */
export const runScript = (script: string, env: NodeJS.ProcessEnv): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, runtimeArgs(script), { env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${script} exited with ${code}: ${stderr}`)))
  })

/** The `mq-emulator` command, as the emulator package builds it. */
const serverScript = fileURLToPath(new URL("../../emulator/dist/bin/mq-emulator.js", import.meta.url))

/** A `mq-emulator` process serving QM1. */
export interface Server {
  readonly port: number
  /** The connection name of QM1's listener. */
  readonly connectionName: string
  /** Ends the process with a signal and waits for it to be gone. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<void>
}

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once("exit", () => resolve())
  })

/**
 * Starts `mq-emulator --port 0` serving QM1 (or the arguments given: more queue managers, a group)
 * and waits for the port it prints.
 */
export const startServer = (args: ReadonlyArray<string> = ["--qmgr", "QM1"]): Promise<Server> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, runtimeArgs(serverScript, "--port", "0", ...args), {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    const onData = (chunk: string) => {
      output += chunk
      const port = /listening on .*:(\d+)/.exec(output)?.[1]
      if (port === undefined) return
      child.stdout?.off("data", onData)
      resolve({
        port: Number(port),
        connectionName: `localhost(${port})`,
        stop: (signal = "SIGTERM") => {
          const gone = exited(child)
          child.kill(signal)
          return gone
        }
      })
    }
    child.stdout?.setEncoding("utf8").on("data", onData)
    child.on("error", reject)
    child.once("exit", (code, signal) =>
      reject(new Error(`mq-emulator ended (${code ?? signal}) before listening: ${output}`)))
  })
