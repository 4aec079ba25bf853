import { QueueManagerControl } from "@resilient-mq/core"
import { Duration, Effect } from "effect"
import type { ConnectionInfo, Emulator, QueueManagerInfo } from "../Emulator.ts"
import type { Connection } from "./Connection.ts"
import type { EmulatorModel } from "./Model.ts"
import type { QueueManager } from "./QueueManager.ts"

const queueManagerInfo = (qm: QueueManager): QueueManagerInfo => ({
  name: qm.name,
  qmid: qm.qmid,
  ...(qm.group === undefined ? {} : { group: qm.group }),
  state: qm.state,
  listeners: qm.listeners.map((l) => `${l.host}(${l.port})`),
  reconnectRequested: qm.stopReconnect
})

const connectionInfo = (connection: Connection): ConnectionInfo => ({
  hconn: connection.id,
  user: connection.user,
  applicationName: connection.applicationName,
  channel: connection.channel,
  openHandles: connection.handles.size,
  uncommittedMessages: connection.unitOfWork.size
})

/** The control port and the `Emulator` service over one model. A queue manager not in it is a defect. */
export const makeControl = (model: EmulatorModel) => {
  const on = <A>(name: string, f: (qm: QueueManager) => A): Effect.Effect<A> =>
    Effect.suspend(() => {
      const qm = model.queueManager(name)
      return qm === undefined
        ? Effect.die(new Error(`the emulator has no queue manager named ${name}`))
        : Effect.sync(() => f(qm))
    })

  const control = QueueManagerControl.of({
    defineQueue: (queueManager, name, definition) => on(queueManager, (qm) => qm.defineQueue(name, definition)),
    deleteQueue: (queueManager, name) => on(queueManager, (qm) => qm.removeQueue(name)),
    defineTopic: (queueManager, name, topicString) => on(queueManager, (qm) => qm.defineTopic(name, topicString)),
    breakConnections: (queueManager) => on(queueManager, (qm) => qm.breakConnections()),
    moveConnections: (from, to) => Effect.flatten(on(to, (target) => on(from, (qm) => qm.moveConnections(target)))),
    stop: (queueManager, options) => on(queueManager, (qm) => qm.stop(options.mode, options.reconnect ?? false)),
    start: (queueManager) => on(queueManager, (qm) => qm.start()),
    restart: (queueManager) =>
      on(queueManager, (qm) => {
        qm.stop("immediate", false)
        qm.start()
      }),
    failNext: (queueManager, verb, reason, options) =>
      on(queueManager, (qm) => qm.faults.failNext(verb, { reason, after: options?.after ?? false }, options?.count ?? 1)),
    delay: (queueManager, verb, duration) =>
      on(queueManager, (qm) => qm.faults.setDelay(verb, Duration.toMillis(duration))),
    refuseConnections: (queueManager, reason) => on(queueManager, (qm) => void (qm.faults.refusal = reason)),
    clearFaults: (queueManager) => on(queueManager, (qm) => qm.faults.clear())
  })

  const emulator: Emulator["Service"] = {
    addQueueManager: (options) => Effect.sync(() => queueManagerInfo(model.addQueueManager(options))),
    setGroup: (queueManager, group) => on(queueManager, (qm) => void (qm.group = group)),
    queueManagers: Effect.sync(() => model.queueManagers.map(queueManagerInfo)),
    connections: (queueManager) => on(queueManager, (qm) => [...qm.connections].map(connectionInfo)),
    backOutUnitsOfWork: (queueManager) => on(queueManager, (qm) => qm.backOutUnitsOfWork())
  }

  return { control, emulator }
}
