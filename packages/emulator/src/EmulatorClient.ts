import { QueueManagerControl } from "@resilient-mq/core"
import { Context, Duration, Effect, Layer, Schema } from "effect"
import { Emulator } from "./Emulator.ts"
import { connectWire } from "./internal/wire/Client.ts"
import { type ControlName, ControlOps, type ControlRequest, type ControlResult } from "./internal/wire/Control.ts"

/** Where the emulator server listens. */
export interface ClientOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string
  readonly port: number
}

/** The emulator server cannot be reached. */
export class EmulatorClientError extends Schema.TaggedError<EmulatorClientError>()("EmulatorClientError", {
  host: Schema.String,
  port: Schema.Number,
  cause: Schema.Defect()
}) {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cannot reach the emulator at ${this.host}:${this.port}: ${reason}`
  }
}

/**
 * `QueueManagerControl` and `Emulator` over the control channel of an emulator server (another
 * process: the `mq-emulator` command, or `EmulatorServer.layerServer`), on one TCP connection kept
 * for the layer's scope. As in process, naming a queue manager the server does not have is a
 * defect; so is a server that goes away while the layer is in use.
 */
export const layerClient = (
  options: ClientOptions
): Layer.Layer<QueueManagerControl | Emulator, EmulatorClientError> =>
  Layer.effectContext(Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const wire = yield* connectWire(host, options.port).pipe(
      Effect.mapError((cause) => new EmulatorClientError({ host, port: options.port, cause }))
    )

    const call = <K extends ControlName>(name: K, request: ControlRequest<K>): Effect.Effect<ControlResult<K>> =>
      Effect.suspend(() => {
        const spec: ControlOps[K] = ControlOps[name]
        const json = Schema.encodeSync(Schema.fromJsonString(spec.request))(request)
        return wire.send(spec.op, (w) => w.str(json)).answer.pipe(
          Effect.flatMap((answer) =>
            answer.cc === 0
              ? Effect.sync(() => Schema.decodeUnknownSync(Schema.fromJsonString(spec.result))(answer.results.str()))
              : Effect.die(new Error(`the emulator refused ${name} (${answer.rc}): ${answer.results.str()}`))
          ),
          Effect.orDie
        )
      })

    // Ops that answer `null`, as the services' `void`.
    const act = <K extends ControlName>(name: K, request: ControlRequest<K>) => Effect.asVoid(call(name, request))

    const control = QueueManagerControl.of({
      defineQueue: (queueManager, name, definition) =>
        act("defineQueue", { queueManager, name, ...(definition === undefined ? {} : { definition }) }),
      deleteQueue: (queueManager, name) => act("deleteQueue", { queueManager, name }),
      defineTopic: (queueManager, name, topicString) => act("defineTopic", { queueManager, name, topicString }),
      breakConnections: (queueManager) => act("breakConnections", { queueManager }),
      moveConnections: (from, to) => act("moveConnections", { queueManager: from, target: to }),
      stop: (queueManager, options) => act("stop", { queueManager, ...options }),
      start: (queueManager) => act("start", { queueManager }),
      restart: (queueManager) => act("restart", { queueManager }),
      failNext: (queueManager, verb, reason, options) => act("failNext", { queueManager, verb, reason, ...options }),
      delay: (queueManager, verb, duration) =>
        act("delay", { queueManager, verb, millis: Duration.toMillis(Duration.fromInputUnsafe(duration)) }),
      refuseConnections: (queueManager, reason) => act("refuseConnections", { queueManager, reason: reason ?? null }),
      clearFaults: (queueManager) => act("clearFaults", { queueManager })
    })

    const emulator = Emulator.of({
      addQueueManager: (options) => call("addQueueManager", options),
      setGroup: (queueManager, group) => act("setGroup", { queueManager, group: group ?? null }),
      queueManagers: call("status", {}),
      connections: (queueManager) => call("connections", { queueManager }),
      backOutUnitsOfWork: (queueManager) => act("backOutUnitsOfWork", { queueManager })
    })

    return Context.make(QueueManagerControl, control).pipe(Context.add(Emulator, emulator))
  }))
