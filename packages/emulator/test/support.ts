import { type Hconn, type Message, Mqi, type MqError, type QueueManagerControl } from "@resilient-mq/core"
import { Effect, Option, type Scope } from "effect"
import { type Emulator, type EmulatorOptions, layer } from "../src/index.ts"

/** Runs a test program against a fresh emulator (one `QM1` unless told otherwise). */
export const withEmulator = (options?: EmulatorOptions & { readonly data?: undefined }) =>
<A, E>(program: Effect.Effect<A, E, Mqi | QueueManagerControl | Emulator | Scope.Scope>): Effect.Effect<A, E> =>
  program.pipe(Effect.scoped, Effect.provide(layer(options)))

/** The reason code a call fails with. */
export const reasonOf = <A, R>(effect: Effect.Effect<A, MqError, R>): Effect.Effect<number, never, R> =>
  Effect.matchEffect(effect, {
    onFailure: (error) => Effect.succeed(error.reason),
    onSuccess: (value) => Effect.die(new Error(`expected the call to fail, it succeeded with ${String(value)}`))
  })

const decoder = new TextDecoder()

export const text = (message: Message): string => decoder.decode(message.body)

/** The body of the message a get returned, or `undefined` for none. */
export const bodyOf = (message: Option.Option<Message>): string | undefined =>
  Option.match(message, { onNone: () => undefined, onSome: text })

export const connect = (queueManager = "QM1"): Effect.Effect<Hconn, MqError, Mqi | Scope.Scope> =>
  Mqi.use((mqi) => mqi.connect({ queueManager }))

/** Opens a queue for input, output, browse and inquire. */
export const openQueue = (hconn: Hconn, name = "DEV.QUEUE.1") =>
  Mqi.use((mqi) =>
    mqi.open(hconn, { type: "queue", name }, { input: "shared", output: true, browse: true, inquire: true })
  )

/** Gets every message available now, in order, as text. */
export const drain = (hobj: Parameters<Mqi["Service"]["get"]>[0]) =>
  Effect.gen(function*() {
    const mqi = yield* Mqi
    const bodies: Array<string> = []
    for (;;) {
      const message = yield* mqi.get(hobj)
      if (Option.isNone(message)) return bodies
      bodies.push(text(message.value))
    }
  })
