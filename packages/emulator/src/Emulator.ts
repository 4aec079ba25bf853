import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Clock, Context, Effect, Layer, Schema } from "effect"
import type { EmulatorOptions, QueueManagerOptions } from "./EmulatorOptions.ts"
import { makeControl } from "./internal/EmulatorControl.ts"
import { makeMqi } from "./internal/EmulatorMqi.ts"
import { fileStore, StoreFailure } from "./internal/Journal.ts"
import { EmulatorModel } from "./internal/Model.ts"

/** An emulated queue manager as a test sees it. */
export interface QueueManagerInfo {
  readonly name: string
  readonly qmid: string
  readonly group?: string
  readonly state: "running" | "quiescing" | "stopped"
  /** Listener addresses, `host(port)`. */
  readonly listeners: ReadonlyArray<string>
  /** Whether the last stop asked reconnectable clients to reconnect (`endmqm -r`). */
  readonly reconnectRequested: boolean
}

/** A live connection to an emulated queue manager. */
export interface ConnectionInfo {
  /** The `Hconn` id. */
  readonly hconn: number
  readonly user: string
  readonly applicationName: string
  readonly channel: string
  readonly openHandles: number
  /** Messages put and got in its unit of work, not yet committed or backed out. */
  readonly uncommittedMessages: number
}

/**
 * What tests can do to the emulator beyond `QueueManagerControl`. Naming a queue manager the
 * emulator does not have is a defect.
 */
export class Emulator extends Context.Service<Emulator, {
  /** Adds a running queue manager. */
  readonly addQueueManager: (options: QueueManagerOptions) => Effect.Effect<QueueManagerInfo>
  /** Puts a queue manager in a group (`*GROUP` connections may reach it), or out of any with `undefined`. */
  readonly setGroup: (queueManager: string, group: string | undefined) => Effect.Effect<void>
  readonly queueManagers: Effect.Effect<ReadonlyArray<QueueManagerInfo>>
  readonly connections: (queueManager: string) => Effect.Effect<ReadonlyArray<ConnectionInfo>>
  /**
   * The queue manager backs out every open unit of work on its own, as when its log fills: their
   * next get or put under syncpoint fails 2003 and their commit reports 2003.
   */
  readonly backOutUnitsOfWork: (queueManager: string) => Effect.Effect<void>
}>()("@resilient-mq/emulator/Emulator") {}

/** The data directory (`data`) cannot be used: the file system refused, or a journal is unreadable. */
export class EmulatorDataError extends Schema.TaggedError<EmulatorDataError>()("EmulatorDataError", {
  directory: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `the emulator cannot keep its data in ${this.directory}: ${reason}`
  }
}

/**
 * The model of `layer` and `EmulatorServer.layerServer`: the queue managers of the options, on the
 * `Clock` of the effect that builds it, with their journals when `data` is set (closed with the
 * scope). Shared with `EmulatorServer.ts`, not part of the package's API (`index.ts`).
 */
export const makeModel = Effect.fnUntraced(function*(options: EmulatorOptions) {
  const clock = yield* Clock.Clock
  const directory = options.data
  const dataError = (cause: unknown) =>
    cause instanceof StoreFailure && directory !== undefined
      ? Effect.fail(new EmulatorDataError({ directory, cause: cause.cause }))
      : Effect.die(cause)
  const store = directory === undefined ? undefined : yield* Effect.acquireRelease(
    Effect.sync(() => fileStore(directory)),
    (store) => Effect.sync(() => store.close())
  ).pipe(Effect.catchDefect(dataError))
  const model = new EmulatorModel(() => clock.currentTimeMillisUnsafe(), store)
  yield* Effect.sync(() => {
    for (const queueManager of options.queueManagers ?? [{ name: "QM1" }]) model.addQueueManager(queueManager)
  }).pipe(Effect.catchDefect(dataError))
  return model
})

/** The in-process services over a model: `Mqi`, `QueueManagerControl` and `Emulator` (not in `index.ts`). */
export const inProcess = (model: EmulatorModel): Context.Context<Mqi | QueueManagerControl | Emulator> => {
  const { control, emulator } = makeControl(model)
  return Context.make(Mqi, makeMqi(model)).pipe(
    Context.add(QueueManagerControl, control),
    Context.add(Emulator, Emulator.of(emulator))
  )
}

/**
 * The emulated queue managers, in process: the `Mqi` port, the `QueueManagerControl` port and the
 * `Emulator` service over the same queue managers. Time (waits, expiry, delays, put dates) is the
 * `Clock` of the effect that builds the layer, so `TestClock` controls it. With `data`, building
 * the layer can fail with `EmulatorDataError`.
 */
export function layer(
  options?: EmulatorOptions & { readonly data?: undefined }
): Layer.Layer<Mqi | QueueManagerControl | Emulator>
export function layer(options: EmulatorOptions): Layer.Layer<Mqi | QueueManagerControl | Emulator, EmulatorDataError>
export function layer(
  options: EmulatorOptions = {}
): Layer.Layer<Mqi | QueueManagerControl | Emulator, EmulatorDataError> {
  return Layer.effectContext(Effect.map(makeModel(options), inProcess))
}
