import type { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Context, Effect, Layer, Schema } from "effect"
import { type Emulator, type EmulatorDataError, inProcess, makeModel } from "./Emulator.ts"
import type { EmulatorOptions } from "./EmulatorOptions.ts"
import { serve } from "./internal/Server.ts"

/** Where a server listens, and its queue managers. */
export interface ServerOptions extends EmulatorOptions {
  /** The TCP port; 0 (the default) picks a free one. */
  readonly port?: number
  /** The address to listen on; default `127.0.0.1`. */
  readonly host?: string
}

/** A running emulator server: where clients reach it. */
export class EmulatorServer extends Context.Service<EmulatorServer, {
  readonly host: string
  /** The port it listens on (the one picked, when asked for 0). */
  readonly port: number
  /** `host(port)`: the connection name clients use (`MQSERVER=DEV.APP.SVRCONN/TCP/<connectionName>`). */
  readonly connectionName: string
}>()("@resilient-mq/emulator/EmulatorServer") {}

/** The server cannot listen where it was asked to (the port is taken, the address is not local...). */
export class EmulatorServerError extends Schema.TaggedError<EmulatorServerError>()("EmulatorServerError", {
  host: Schema.String,
  port: Schema.Number,
  cause: Schema.Defect()
}) {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `the emulator cannot listen on ${this.host}:${this.port}: ${reason}`
  }
}

/**
 * The emulated queue managers served over TCP with the wire protocol of PROTOCOL.md (the stand-in
 * MQ client library and the control client speak it), and in process as well: `Mqi`,
 * `QueueManagerControl` and `Emulator` act on the same queue managers as the network clients. The
 * server stops when the layer's scope closes; its clients' connections are then lost (units of work
 * backed out), as when a queue manager's process ends.
 */
export const layerServer = (
  options: ServerOptions = {}
): Layer.Layer<EmulatorServer | Mqi | QueueManagerControl | Emulator, EmulatorServerError | EmulatorDataError> =>
  Layer.effectContext(Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const requested = options.port ?? 0
    const model = yield* makeModel(options)
    const port = yield* serve(model, host, requested).pipe(
      Effect.mapError((cause) => new EmulatorServerError({ host, port: requested, cause }))
    )
    return inProcess(model).pipe(
      Context.add(EmulatorServer, EmulatorServer.of({ host, port, connectionName: `${host}(${port})` }))
    )
  }))
