import { ReasonCode, classify, parseConnectionName } from "@resilient-mq/core"
import type { QueueManagerOptions } from "../EmulatorOptions.ts"
import type { Connection } from "./Connection.ts"
import { queueManagerIdentifier } from "./identifiers.ts"
import type { Store } from "./Journal.ts"
import { refuse } from "./MqFailure.ts"
import { type ConnectRequest, type ModelEnvironment, QueueManager } from "./QueueManager.ts"
import { replay, snapshot } from "./Recovery.ts"

/**
 * The emulated queue managers and the connections to them, addressed by number as the MQI does
 * (an Hconn, an Hobj): the in-process layer and the network server drive the same model. With a
 * store (`--data`), each queue manager starts from what its journal kept and records its committed
 * changes there.
 */
export class EmulatorModel {
  readonly queueManagers: Array<QueueManager> = []
  // Dead connections stay here until they are disconnected, so that their calls answer 2009 (or
  // 2162), not 2018.
  private readonly connections = new Map<number, Connection>()
  private lastId = 0
  private readonly env: ModelEnvironment

  constructor(now: () => number, private readonly store?: Store) {
    this.env = { now, nextId: () => ++this.lastId }
  }

  addQueueManager(options: QueueManagerOptions): QueueManager {
    if (options.name.length === 0 || options.name.length > 48) {
      throw new Error(`a queue manager name has 1 to 48 characters: ${JSON.stringify(options.name)}`)
    }
    if (this.queueManager(options.name) !== undefined) {
      throw new Error(`there is already a queue manager named ${options.name}`)
    }
    const taken = (qmid: string) => this.queueManagers.some((qm) => qm.qmid === qmid)
    const kept = this.store?.load(options.name) ?? []
    // A queue manager keeps its QMID across restarts, unless its options name another.
    let qmid = options.qmid ?? kept.find((record) => record._tag === "Identity")?.qmid
    if (qmid === undefined) {
      // Distinct even for queue managers created in the same second: the stamp moves on.
      for (let millis = this.env.now(); qmid === undefined || taken(qmid); millis += 1000) {
        qmid = queueManagerIdentifier(options.name, millis)
      }
    } else if (taken(qmid)) {
      throw new Error(`there is already a queue manager with QMID ${qmid}`)
    }
    const queueManager = new QueueManager(options, qmid, this.env)
    if (this.store !== undefined) {
      replay(queueManager, kept)
      queueManager.attach(this.store.rewrite(options.name, snapshot(queueManager)))
    }
    this.queueManagers.push(queueManager)
    return queueManager
  }

  queueManager(name: string): QueueManager | undefined {
    return this.queueManagers.find((qm) => qm.name === name)
  }

  /**
   * The queue manager a connect reaches (MQ-BEHAVIOUR §1.5, §1.6). Through a connection name each
   * endpoint is tried in order; by name, a group name (`*GROUP`) tries each member. A candidate
   * that is not there, or refuses for a connection reason (2059, 2538, 2161...), gives way to the
   * next; the last such reason is the answer when none remains. Other refusals (2035...) are
   * answered by the queue manager itself when it accepts the connection.
   */
  route(request: ConnectRequest): QueueManager {
    const wanted = request.queueManager?.trim() ?? ""
    if (request.connectionName !== undefined) {
      return this.firstAnswering(
        parseConnectionName(request.connectionName).map((endpoint) =>
          this.queueManagers.find((qm) => qm.state !== "stopped" && qm.listensOn(endpoint))
        ),
        ReasonCode.HOST_NOT_AVAILABLE
      )
    }
    if (wanted === "" || wanted === "*") {
      return this.firstAnswering(this.queueManagers.slice(0, 1), ReasonCode.Q_MGR_NAME_ERROR)
    }
    if (wanted.startsWith("*")) {
      const group = wanted.slice(1)
      const members = this.queueManagers.filter((qm) => qm.group === group || qm.name === group)
      if (members.length === 0) refuse(ReasonCode.Q_MGR_NAME_ERROR, wanted)
      return this.firstAnswering(members, ReasonCode.Q_MGR_NOT_AVAILABLE)
    }
    const named = this.queueManager(wanted) ?? refuse(ReasonCode.Q_MGR_NAME_ERROR, wanted)
    return this.firstAnswering([named], ReasonCode.Q_MGR_NOT_AVAILABLE)
  }

  private firstAnswering(candidates: ReadonlyArray<QueueManager | undefined>, absent: number): QueueManager {
    let reason: number = absent
    for (const candidate of candidates) {
      const refusal = candidate === undefined ? absent : candidate.admission()
      if (candidate !== undefined && (refusal === undefined || classify("MQCONNX", refusal) !== "connection")) {
        return candidate
      }
      reason = refusal ?? absent
    }
    return refuse(reason)
  }

  connect(queueManager: QueueManager, request: ConnectRequest): Connection {
    const connection = queueManager.accept(request, this.env.nextId())
    this.connections.set(connection.id, connection)
    return connection
  }

  connection(id: number): Connection | undefined {
    return this.connections.get(id)
  }

  /** A client that went away without MQDISC: its connection is lost (as broken) and forgotten. */
  abandon(connection: Connection): void {
    this.connections.delete(connection.id)
    connection.queueManager.lose(connection)
  }

  /** MQDISC. A dead connection is forgotten too, answering why it died. */
  disconnect(connection: Connection): void {
    this.connections.delete(connection.id)
    if (connection.ended !== undefined) refuse(connection.ended)
    connection.queueManager.disconnect(connection)
  }
}
