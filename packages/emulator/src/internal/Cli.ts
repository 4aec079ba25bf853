import * as fs from "node:fs"
import { Effect, Schema } from "effect"
import type { QueueManagerOptions } from "../EmulatorOptions.ts"
import type { ServerOptions } from "../EmulatorServer.ts"
import { QueueManagerOptionsSchema } from "./Schemas.ts"

export const usage = `Usage: mq-emulator [options]

Serves emulated IBM MQ queue managers over TCP (the emulator's wire protocol).

Options:
  --port N        TCP port (0 picks a free one; default 1414)
  --host HOST     address to listen on (default 127.0.0.1)
  --qmgr NAME     a queue manager (repeatable; default QM1)
  --group NAME    put the --qmgr queue managers in a queue-manager group (*NAME)
  --config FILE   queue managers from a JSON file: { "queueManagers": [ ... ] }
  --data DIR      keep persistent messages and objects in DIR across restarts
  --help          show this help`

/** The command line is not one `mq-emulator` understands. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  problem: Schema.String
}) {
  override get message(): string {
    return this.problem
  }
}

/** What the command line asks for: help, or a server. */
export type Command =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Serve"; readonly options: ServerOptions }

const flags = ["--port", "--host", "--qmgr", "--group", "--config", "--data"] as const
type Flag = typeof flags[number]

const isFlag = (s: string): s is Flag => (flags as ReadonlyArray<string>).includes(s)

/** Each flag's values in order: `--flag value` or `--flag=value`. */
const collect = (args: ReadonlyArray<string>): Effect.Effect<Map<Flag, Array<string>> | "help", UsageError> =>
  Effect.suspend((): Effect.Effect<Map<Flag, Array<string>> | "help", UsageError> => {
    const values = new Map<Flag, Array<string>>()
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!
      if (arg === "--help" || arg === "-h") return Effect.succeed("help" as const)
      const equals = arg.indexOf("=")
      const flag = equals < 0 ? arg : arg.slice(0, equals)
      if (!isFlag(flag)) return Effect.fail(new UsageError({ problem: `unknown argument ${JSON.stringify(arg)}` }))
      const value = equals < 0 ? args[++i] : arg.slice(equals + 1)
      if (value === undefined || value === "") {
        return Effect.fail(new UsageError({ problem: `${flag} needs a value` }))
      }
      values.set(flag, [...(values.get(flag) ?? []), value])
    }
    return Effect.succeed(values)
  })

const single = (values: Map<Flag, Array<string>>, flag: Flag): Effect.Effect<string | undefined, UsageError> => {
  const given = values.get(flag) ?? []
  return given.length > 1
    ? Effect.fail(new UsageError({ problem: `${flag} may be given once` }))
    : Effect.succeed(given[0])
}

const portOf = (text: string | undefined): Effect.Effect<number, UsageError> => {
  if (text === undefined) return Effect.succeed(1414)
  const port = Number(text)
  return /^\d+$/.test(text) && port <= 65535
    ? Effect.succeed(port)
    : Effect.fail(new UsageError({ problem: `--port must be a number from 0 to 65535, not ${JSON.stringify(text)}` }))
}

const ConfigFile = Schema.fromJsonString(Schema.Struct({ queueManagers: Schema.Array(QueueManagerOptionsSchema) }))

const readConfig = (file: string): Effect.Effect<ReadonlyArray<QueueManagerOptions>, UsageError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (error) =>
      new UsageError({ problem: `cannot read --config ${file}: ${error instanceof Error ? error.message : error}` })
  }).pipe(
    Effect.flatMap((text) =>
      Schema.decodeUnknownEffect(ConfigFile)(text).pipe(
        Effect.mapError((error) => new UsageError({ problem: `--config ${file} is not valid: ${error.message}` }))
      )
    ),
    Effect.map((config) => config.queueManagers)
  )

const fromFlags = (names: ReadonlyArray<string>, group: string | undefined) =>
  Effect.forEach(names.length === 0 ? ["QM1"] : names, (name) =>
    Schema.decodeUnknownEffect(QueueManagerOptionsSchema)(group === undefined ? { name } : { name, group }).pipe(
      Effect.mapError((error) => new UsageError({ problem: `--qmgr ${JSON.stringify(name)}: ${error.message}` }))
    ))

/** Reads the command line (without the program's own arguments) of `mq-emulator`. */
export const parseCommand = Effect.fnUntraced(function*(args: ReadonlyArray<string>) {
  const values = yield* collect(args)
  if (values === "help") return { _tag: "Help" } as const
  const port = yield* portOf(yield* single(values, "--port"))
  const host = yield* single(values, "--host")
  const group = yield* single(values, "--group")
  const config = yield* single(values, "--config")
  const data = yield* single(values, "--data")
  const names = values.get("--qmgr") ?? []
  if (config !== undefined && (names.length > 0 || group !== undefined)) {
    return yield* new UsageError({ problem: "--config replaces --qmgr and --group: give one or the other" })
  }
  if (group !== undefined && names.length === 0) {
    return yield* new UsageError({ problem: "--group puts the --qmgr queue managers in a group: give at least one --qmgr" })
  }
  const queueManagers = config === undefined ? yield* fromFlags(names, group) : yield* readConfig(config)
  if (queueManagers.length === 0) return yield* new UsageError({ problem: `--config ${config} has no queue managers` })
  const duplicate = queueManagers.find((qm, i) => queueManagers.findIndex((other) => other.name === qm.name) !== i)
  if (duplicate !== undefined) {
    return yield* new UsageError({ problem: `the queue manager ${duplicate.name} is given twice` })
  }
  const options: ServerOptions = {
    port,
    queueManagers,
    ...(host === undefined ? {} : { host }),
    ...(data === undefined ? {} : { data })
  }
  return { _tag: "Serve", options } satisfies Command
})
