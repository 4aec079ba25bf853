#!/usr/bin/env node
// The `mq-emulator` command: serves emulated queue managers until SIGTERM or SIGINT (exit 0). Bad
// arguments exit 2, a server that cannot start (port taken, unusable data directory) exits 1.
import { Cause, Console, Effect, Exit, Logger } from "effect"
import { EmulatorServer, layerServer } from "../EmulatorServer.ts"
import { parseCommand, usage } from "../internal/Cli.ts"

const serve = Effect.gen(function*() {
  const server = yield* EmulatorServer
  // Tests and scripts read the port from this line: it is printed once, when the server listens.
  yield* Console.log(`mq-emulator listening on ${server.host}:${server.port}`)
  return yield* Effect.never
})

const main = Effect.gen(function*() {
  const command = yield* parseCommand(process.argv.slice(2))
  if (command._tag === "Help") return yield* Console.log(usage).pipe(Effect.as(0))
  return yield* serve.pipe(Effect.provide(layerServer(command.options)))
}).pipe(
  Effect.catchTag(
    "UsageError",
    (error) => Console.error(`mq-emulator: ${error.message}\n(mq-emulator --help lists the options)`).pipe(Effect.as(2))
  ),
  Effect.catch((error) => Console.error(`mq-emulator: ${error.message}`).pipe(Effect.as(1))),
  // Standard output carries the one line with the port; logs go to standard error.
  Effect.provideService(Logger.LogToStderr, true)
)

const fiber = Effect.runFork(main)
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => fiber.interruptUnsafe())
fiber.addObserver((exit) => {
  if (Exit.isSuccess(exit)) process.exit(exit.value)
  if (Cause.hasInterruptsOnly(exit.cause)) process.exit(0)
  console.error(Cause.pretty(exit.cause))
  process.exit(1)
})
