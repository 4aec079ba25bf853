import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Clock, Context, Effect, Layer } from "effect"
import type { EmulatorOptions, QueueManagerOptions } from "./EmulatorOptions.ts"
import { makeControl } from "./internal/EmulatorControl.ts"
import { makeMqi } from "./internal/EmulatorMqi.ts"
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

/**
 * The emulated queue managers, in process: the `Mqi` port, the `QueueManagerControl` port and the
 * `Emulator` service over the same queue managers. Time (waits, expiry, delays, put dates) is the
 * `Clock` of the effect that builds the layer, so `TestClock` controls it.
 */
export const layer = (options: EmulatorOptions = {}): Layer.Layer<Mqi | QueueManagerControl | Emulator> =>
  Layer.effectContext(Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const model = new EmulatorModel(() => clock.currentTimeMillisUnsafe())
    yield* Effect.sync(() => {
      for (const queueManager of options.queueManagers ?? [{ name: "QM1" }]) model.addQueueManager(queueManager)
    })
    const { control, emulator } = makeControl(model)
    return Context.make(Mqi, makeMqi(model)).pipe(
      Context.add(QueueManagerControl, control),
      Context.add(Emulator, Emulator.of(emulator))
    )
  }))
