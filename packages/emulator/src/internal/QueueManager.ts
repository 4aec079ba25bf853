import { type AttributeName, DEFAULT_APPLICATION_NAME, type Endpoint, Format, IDENTIFIER_NONE, Inhibit, MQCO, MQEI_UNLIMITED, MQGMO, MQMO, MQOO, MQPMO, MQSO, type Message, type MessageDescriptor, type ObjectDescriptor, Persistence, type Properties, type PutDescriptor, type QueueDefinition, ReasonCode, type Verb, isNoIdentifier, parseConnectionName } from "@resilient-mq/core"
import type { QueueManagerOptions } from "../EmulatorOptions.ts"
import { applySettings, type Inquiry, inquire, set, type Value } from "./Attributes.ts"
import { Channels, Cmqc, QueueManagerDefaults } from "./constants.ts"
import {
  Connection,
  type Handle,
  PendingGet,
  QueueHandle,
  QueueManagerHandle,
  SubscriptionHandle,
  TopicHandle,
  type WaitResult
} from "./Connection.ts"
import { Faults } from "./Faults.ts"
import { creationDateTime, IdentifierGenerator, putDateTime } from "./identifiers.ts"
import type { Journal, JournalRecord } from "./Journal.ts"
import { LocalQueue, type LocalQueueAttributes, type QueueEvents } from "./LocalQueue.ts"
import { MqFailure, refuse, TruncatedMessageFailed } from "./MqFailure.ts"
import { AliasQueue, localAttributes, ModelQueue, type QueueObject } from "./QueueObjects.ts"
import { isExpired, type MatchCriteria, matches, type StoredMessage } from "./StoredMessage.ts"
import { SubscriptionRecord, Subscriptions } from "./Subscriptions.ts"
import type { UnitOfWork } from "./UnitOfWork.ts"

/** What MQCONNX asks for. */
export interface ConnectRequest {
  readonly queueManager?: string | undefined
  readonly channel?: string | undefined
  readonly connectionName?: string | undefined
  readonly user?: string | undefined
  readonly password?: string | undefined
  readonly applicationName?: string | undefined
}

/** What MQPUT and MQPUT1 carry: the message and the MQPMO options. */
export interface PutRequest {
  readonly body: Uint8Array
  readonly descriptor: PutDescriptor
  readonly properties: Properties
  readonly options: number
}

/** What MQGET asks for: MQGMO options, match options and wait interval, and the buffer length. */
export interface GetRequest {
  readonly options: number
  readonly matchOptions: number
  /** Milliseconds, or -1 for unlimited. */
  readonly waitInterval: number
  readonly match: MatchCriteria
  /** The buffer length; absent means the whole message. */
  readonly maxLength: number | undefined
}

/** What MQSUB asks for: MQSO options, the topic, a name, and a destination handle when not managed. */
export interface SubscribeRequest {
  readonly options: number
  readonly topicObject?: string | undefined
  readonly topicString?: string | undefined
  readonly name?: string | undefined
  readonly destination?: number | undefined
}

export type QueueManagerState = "running" | "quiescing" | "stopped"

/** What the queue managers share: the time, and handle numbers unique in the emulator. */
export interface ModelEnvironment {
  readonly now: () => number
  readonly nextId: () => number
}

const INPUT = MQOO.INPUT_AS_Q_DEF | MQOO.INPUT_SHARED | MQOO.INPUT_EXCLUSIVE
const ACCESS = INPUT | MQOO.BROWSE | MQOO.OUTPUT | MQOO.INQUIRE | MQOO.SET | MQOO.BIND_ON_OPEN |
  MQOO.BIND_NOT_FIXED | MQOO.BIND_ON_GROUP
const SET_OR_PASS_CONTEXT = MQOO.PASS_IDENTITY_CONTEXT | MQOO.PASS_ALL_CONTEXT | MQOO.SET_IDENTITY_CONTEXT |
  MQOO.SET_ALL_CONTEXT
const PUT_CONTEXT = MQPMO.DEFAULT_CONTEXT | MQPMO.NO_CONTEXT | MQPMO.PASS_IDENTITY_CONTEXT |
  MQPMO.PASS_ALL_CONTEXT | MQPMO.SET_IDENTITY_CONTEXT | MQPMO.SET_ALL_CONTEXT
const BROWSE = MQGMO.BROWSE_FIRST | MQGMO.BROWSE_NEXT | MQGMO.BROWSE_MSG_UNDER_CURSOR
const POSITION = BROWSE | MQGMO.MSG_UNDER_CURSOR
const UNDER_CURSOR = MQGMO.MSG_UNDER_CURSOR | MQGMO.BROWSE_MSG_UNDER_CURSOR
const SYNCPOINT_OPTIONS = MQGMO.SYNCPOINT | MQGMO.NO_SYNCPOINT | MQGMO.SYNCPOINT_IF_PERSISTENT

const bitCount = (n: number): number => {
  let count = 0
  for (let v = n; v !== 0; v &= v - 1) count++
  return count
}

/** The objects of IBM's developer image (MQ-BEHAVIOUR §3.6) and the models managed subscriptions use. */
const developerQueues: Readonly<Record<string, QueueDefinition>> = {
  "DEV.QUEUE.1": {},
  "DEV.QUEUE.2": {},
  "DEV.QUEUE.3": {},
  "DEV.DEAD.LETTER.QUEUE": {},
  "SYSTEM.DEFAULT.MODEL.QUEUE": { type: "model" },
  "DEV.APP.MODEL.QUEUE": { type: "model" },
  "SYSTEM.DURABLE.MODEL.QUEUE": { type: "model", definitionType: "permanent" },
  "SYSTEM.NDURABLE.MODEL.QUEUE": { type: "model" }
}
const developerTopics: Readonly<Record<string, string>> = { "DEV.BASE.TOPIC": "dev/" }

const copyIdentifier = (id: Uint8Array): Uint8Array => id.slice()

/** Properties the caller may keep: byte values are copies (`fromEntries`: any name is only a name). */
const copyProperties = (properties: Properties, rename: (name: string) => string = (name) => name): Properties =>
  Object.fromEntries(
    Object.entries(properties).map(([name, value]) => [rename(name), value instanceof Uint8Array ? value.slice() : value])
  )

// `usr.` properties are known by their short name, as MQ returns them (MQ-BEHAVIOUR §9).
const shortName = (name: string): string => (name.startsWith("usr.") ? name.slice(4) : name)

/** A descriptor the caller may keep: its identifiers are copies, not the stored message's. */
const exposed = (descriptor: MessageDescriptor): MessageDescriptor => ({
  ...descriptor,
  msgId: copyIdentifier(descriptor.msgId),
  correlId: copyIdentifier(descriptor.correlId),
  groupId: copyIdentifier(descriptor.groupId)
})

/**
 * One emulated queue manager: its objects, connections, units of work and lifecycle. Calls are
 * synchronous and refuse with `MqFailure`; waiting gets complete through a callback.
 */
export class QueueManager {
  state: QueueManagerState = "running"
  /** Whether the last stop asked reconnectable clients to reconnect (`endmqm -r`). */
  stopReconnect = false
  group: string | undefined
  readonly qmid: string
  readonly name: string
  readonly listeners: ReadonlyArray<Endpoint>
  readonly maxUncommittedMessages: number
  readonly maxMessageLength: number
  readonly deadLetterQueue = "DEV.DEAD.LETTER.QUEUE"
  readonly faults = new Faults()
  readonly objects = new Map<string, QueueObject>()
  readonly topics = new Map<string, string>()
  readonly subscriptions = new Subscriptions()
  /** Live connections; dead ones are only known to the emulator until they are disconnected. */
  readonly connections = new Set<Connection>()
  /**
   * What administration changed since the queue manager was made from its options: the last
   * definition or deletion of each queue and topic name, and the MQSET values of each queue. A
   * rewritten journal (`--data`) must still hold them.
   */
  readonly administered = {
    queues: new Map<string, JournalRecord>(),
    topics: new Map<string, JournalRecord>(),
    settings: new Map<string, Record<string, Value>>()
  }
  readonly ids: IdentifierGenerator
  private readonly users: Readonly<Record<string, string>> | undefined
  /** The arrival number of the last message, unique in the queue manager. */
  private seq = 0
  /** Where committed changes are recorded (`--data`); none in memory only. */
  private journal: Journal | undefined = undefined

  constructor(options: QueueManagerOptions, qmid: string, private readonly env: ModelEnvironment) {
    this.name = options.name
    this.qmid = qmid
    this.group = options.group
    this.listeners = (options.listeners ?? [`${options.name.toLowerCase()}(1414)`]).flatMap(parseConnectionName)
    this.users = options.users
    this.maxUncommittedMessages = options.maxUncommittedMessages ?? QueueManagerDefaults.maxUncommittedMessages
    this.maxMessageLength = options.maxMessageLength ?? QueueManagerDefaults.maxMessageLength
    this.ids = new IdentifierGenerator(options.name, env.now())
    for (const [name, definition] of Object.entries({ ...developerQueues, ...options.queues })) {
      this.createQueue(name, definition)
    }
    for (const [name, topic] of Object.entries({ ...developerTopics, ...options.topics })) this.topics.set(name, topic)
  }

  // --- The journal of `--data` ----------------------------------------------------------------

  /** From now on committed changes are recorded in `journal`. */
  attach(journal: Journal): void {
    this.journal = journal
  }

  private record(record: JournalRecord): void {
    this.journal?.append(record)
  }

  /** Persistent messages are recorded as they are committed and leave (MQ-BEHAVIOUR §6.3). */
  private readonly queueEvents: QueueEvents = {
    stored: (queue, message) => {
      if (this.journal === undefined || !message.persistent) return
      this.record({
        _tag: "Message",
        queue: queue.name,
        seq: message.seq,
        descriptor: message.descriptor,
        properties: message.properties,
        body: message.body,
        expiresAt: message.expiresAt,
        backoutCount: message.backoutCount
      })
    },
    removed: (message) => {
      if (message.persistent) this.record({ _tag: "Removed", seq: message.seq })
    },
    backedOut: (message) => {
      if (message.persistent) this.record({ _tag: "BackedOut", seq: message.seq, backoutCount: message.backoutCount })
    }
  }

  /** Arrival numbers continue after those of messages kept from an earlier run. */
  continueSequenceAfter(seq: number): void {
    this.seq = Math.max(this.seq, seq)
  }

  /** A permanent dynamic queue kept from an earlier run. */
  restoreDynamicQueue(
    name: string,
    attributes: LocalQueueAttributes,
    created: { readonly date: string; readonly time: string }
  ): void {
    this.objects.set(name, new LocalQueue(name, attributes, "permanent", created, this.queueEvents))
  }

  listensOn(endpoint: Endpoint): boolean {
    return this.listeners.some((l) => l.port === endpoint.port && l.host.toLowerCase() === endpoint.host.toLowerCase())
  }

  // --- Administration -------------------------------------------------------------------------

  /** Defines a queue, replacing any object of that name (a replaced local queue's messages are lost). */
  defineQueue(name: string, definition: QueueDefinition = {}): void {
    this.createQueue(name, definition)
    this.administer(name, { _tag: "DefineQueue", name, definition })
  }

  removeQueue(name: string): void {
    const object = this.objects.get(name)
    if (object?.kind === "local") this.deleteQueue(object)
    else this.objects.delete(name)
    this.administer(name, { _tag: "DeleteQueue", name })
  }

  defineTopic(name: string, topicString: string): void {
    this.topics.set(name, topicString)
    const record: JournalRecord = { _tag: "DefineTopic", name, topicString }
    this.administered.topics.set(name, record)
    this.record(record)
  }

  private administer(name: string, record: JournalRecord): void {
    this.administered.queues.set(name, record)
    this.administered.settings.delete(name)
    this.record(record)
  }

  private createQueue(name: string, definition: QueueDefinition): void {
    const existing = this.objects.get(name)
    if (existing?.kind === "local") this.deleteQueue(existing)
    const created = creationDateTime(this.env.now())
    switch (definition.type ?? "local") {
      case "local":
        this.objects.set(
          name,
          new LocalQueue(name, localAttributes(definition), "predefined", created, this.queueEvents)
        )
        break
      case "model":
        this.objects.set(
          name,
          new ModelQueue(name, definition.definitionType ?? "temporary", localAttributes(definition))
        )
        break
      case "alias":
        this.objects.set(
          name,
          new AliasQueue(
            name,
            definition.target ?? "",
            definition.defaultPersistent ?? false,
            definition.defaultPriority ?? 0,
            definition.inhibitGet ?? false,
            definition.inhibitPut ?? false,
            created
          )
        )
    }
  }

  // --- Lifecycle ------------------------------------------------------------------------------

  /** Why a new connection would be refused now, if it would. */
  admission(): number | undefined {
    if (this.state === "stopped") return ReasonCode.Q_MGR_NOT_AVAILABLE
    if (this.state === "quiescing") return ReasonCode.Q_MGR_QUIESCING
    return this.faults.refusal
  }

  stop(mode: "quiesce" | "immediate" | "preemptive", reconnect: boolean): void {
    if (this.state === "stopped") return
    this.stopReconnect = reconnect
    if (mode === "quiesce") {
      this.state = "quiescing"
      this.cancelWaits((wait) => wait.failIfQuiescing, ReasonCode.Q_MGR_QUIESCING)
      this.stopIfQuiesced()
      return
    }
    this.endAll(mode === "immediate" ? ReasonCode.Q_MGR_STOPPING : ReasonCode.CONNECTION_BROKEN)
    this.finishStop()
  }

  start(): void {
    if (this.state === "stopped") this.state = "running"
  }

  breakConnections(): void {
    this.endAll(ReasonCode.CONNECTION_BROKEN)
    this.stopIfQuiesced()
  }

  /** The queue manager backs out every open unit of work (as when its log fills): they answer 2003. */
  backOutUnitsOfWork(): void {
    for (const connection of this.connections) {
      if (connection.unitOfWork.size > 0) connection.unitOfWork.doom()
    }
  }

  /**
   * A connection ends without MQDISC (broken, or the queue manager stopping): its calls answer
   * `reason` from now on, its waits are cancelled, its unit of work is backed out and its handles
   * closed (temporary dynamic queues and non-durable subscriptions go with them).
   */
  end(connection: Connection, reason: number): void {
    if (connection.ended !== undefined) return
    connection.ended = reason
    for (const wait of [...connection.waits]) wait.cancel(reason)
    connection.unitOfWork.backout()
    for (const handle of [...connection.handles.values()]) this.release(handle, this.removesByDefault(handle))
    this.connections.delete(connection)
    connection.onEnd?.(reason)
  }

  /**
   * The MQ client's own reconnect (MQCNO_RECONNECT, MQ-BEHAVIOUR §6.2) moves every connection to
   * `target`, another queue manager, without a broken connection for the application to see: the
   * same Hconn and handle numbers, its objects reopened there by name (a temporary dynamic queue it
   * created made again under its name), its waiting gets waiting there, its unit of work backed out
   * here (its next syncpoint get or put answers 2003, and so does its commit). A connection with a
   * subscription, or with an object the target cannot open the same way, cannot be reinstated: it
   * ends with 2548 (MQRC_RECONNECT_FAILED).
   */
  moveConnections(target: QueueManager): void {
    if (target === this) return
    if (target.state !== "running") throw new Error(`cannot move connections to ${target.name}: it is ${target.state}`)
    for (const connection of [...this.connections]) this.moveConnection(connection, target)
    this.stopIfQuiesced()
  }

  private moveConnection(connection: Connection, target: QueueManager): void {
    if (connection.unitOfWork.size > 0) connection.unitOfWork.doom()
    let reopen: ReadonlyArray<() => Handle>
    try {
      // Every object is checked before any is opened, so that a refusal leaves nothing half moved.
      reopen = [...connection.handles.values()].map((handle) => target.reopening(handle))
    } catch (error) {
      if (!(error instanceof MqFailure)) throw error
      this.end(connection, ReasonCode.RECONNECT_FAILED)
      return
    }
    const old = [...connection.handles.values()]
    const moved = new Map(reopen.map((open) => {
      const handle = open()
      return [handle.id, handle] as const
    }))
    for (const wait of [...connection.waits]) {
      const handle = moved.get(wait.handle.id)
      if (handle?.kind === "queue") wait.moveTo(handle, () => target.getNow(handle, wait.request))
    }
    for (const handle of old) this.release(handle, false)
    for (const handle of moved.values()) connection.handles.set(handle.id, handle)
    this.connections.delete(connection)
    connection.queueManager = target
    target.connections.add(connection)
    for (const handle of moved.values()) if (handle.kind === "queue") handle.queue.serviceWaiters()
  }

  /**
   * How a handle of a moving connection opens here, under its number; refuses (before opening
   * anything) what cannot be: a subscription, an object not defined here, input already taken.
   */
  private reopening(handle: Handle): () => Handle {
    const connection = handle.connection
    switch (handle.kind) {
      case "subscription":
        return refuse(ReasonCode.RECONNECT_FAILED, handle.name)
      case "topic":
        return () => new TopicHandle(handle.id, connection, handle.topicString, handle.options)
      case "queue-manager":
        return () => new QueueManagerHandle(handle.id, connection, handle.options)
      case "queue": {
        const name = handle.name
        if (handle.ownsQueue) {
          if (this.objects.has(name)) refuse(ReasonCode.OBJECT_ALREADY_EXISTS, name)
          return () => {
            const queue = new LocalQueue(
              name,
              { ...handle.queue.attributes },
              "temporary",
              creationDateTime(this.env.now()),
              this.queueEvents
            )
            this.objects.set(name, queue)
            return this.openLocal(connection, queue, undefined, handle.options, true, handle.id)
          }
        }
        const found = this.objects.get(name)
        const alias = found?.kind === "alias" ? found : undefined
        const queue = alias === undefined ? found : this.objects.get(alias.target)
        if (queue?.kind !== "local") return refuse(ReasonCode.UNKNOWN_OBJECT_NAME, name)
        checkInputAvailable(queue, handle.options)
        return () => this.openLocal(connection, queue, alias, handle.options, false, handle.id)
      }
    }
  }

  /**
   * A connection lost without MQDISC (a client that vanished): as broken, its unit of work backed
   * out (MQ-BEHAVIOUR §1.8).
   */
  lose(connection: Connection): void {
    this.end(connection, ReasonCode.CONNECTION_BROKEN)
    this.stopIfQuiesced()
  }

  private endAll(reason: number): void {
    const connections = [...this.connections]
    // Waits first, so that work one connection backs out is not handed to another about to end.
    for (const connection of connections) for (const wait of [...connection.waits]) wait.cancel(reason)
    for (const connection of connections) this.end(connection, reason)
  }

  /**
   * What an injected reason means for the connection it is answered on: MQ never answers 2009 on a
   * live connection, so it breaks; 2003 means the unit of work was backed out (and, on a get or a
   * put, must still be ended with MQBACK); 2549 on a commit means it was not done.
   */
  injected(connection: Connection, verb: Verb, reason: number): void {
    const uow = connection.unitOfWork
    if (reason === ReasonCode.CONNECTION_BROKEN) {
      this.lose(connection)
    } else if (verb === "MQCMIT" && (reason === ReasonCode.BACKED_OUT || reason === ReasonCode.CALL_INTERRUPTED)) {
      uow.backout()
    } else if (reason === ReasonCode.BACKED_OUT && uow.size > 0) {
      uow.doom()
    }
  }

  private stopIfQuiesced(): void {
    if (this.state === "quiescing" && this.connections.size === 0) this.finishStop()
  }

  // What a restart keeps (MQ-BEHAVIOUR §6.3): persistent messages, permanent dynamic queues and
  // durable subscriptions; every connection is already gone, so no unit of work remains.
  private finishStop(): void {
    this.state = "stopped"
    for (const object of [...this.objects.values()]) {
      if (object.kind !== "local") continue
      if (object.definitionType === "temporary") this.deleteQueue(object)
      else object.purge((message) => !message.persistent)
    }
    for (const subscription of this.subscriptions.list()) {
      if (!subscription.durable) this.removeSubscription(subscription)
    }
  }

  private cancelWaits(which: (wait: PendingGet) => boolean, reason: number): void {
    for (const connection of this.connections) {
      for (const wait of [...connection.waits]) if (which(wait)) wait.cancel(reason)
    }
  }

  // --- Connections ----------------------------------------------------------------------------

  accept(request: ConnectRequest, id: number): Connection {
    const refusal = this.admission()
    if (refusal !== undefined) refuse(refusal)
    const channel = request.channel ?? "DEV.APP.SVRCONN"
    if (!(Channels as ReadonlyArray<string>).includes(channel)) refuse(ReasonCode.UNKNOWN_CHANNEL_NAME, channel)
    const wanted = request.queueManager?.trim() ?? ""
    if (wanted !== "" && !wanted.startsWith("*") && wanted !== this.name) refuse(ReasonCode.Q_MGR_NAME_ERROR)
    if (
      this.users !== undefined &&
      (request.user === undefined || !Object.hasOwn(this.users, request.user) ||
        this.users[request.user] !== request.password)
    ) {
      refuse(ReasonCode.NOT_AUTHORIZED)
    }
    const connection = new Connection(
      id,
      this,
      (request.user ?? "app").slice(0, 12),
      (request.applicationName ?? DEFAULT_APPLICATION_NAME).slice(0, 28),
      channel
    )
    this.connections.add(connection)
    return connection
  }

  /** MQDISC: commits the unit of work (2003 if it cannot) and closes every handle. */
  disconnect(connection: Connection): void {
    const uow = connection.unitOfWork
    const doomed = uow.doomed
    for (const wait of [...connection.waits]) wait.cancel(ReasonCode.HCONN_ERROR)
    if (doomed) uow.backout()
    else uow.commit()
    for (const handle of [...connection.handles.values()]) this.release(handle, this.removesByDefault(handle))
    this.connections.delete(connection)
    this.stopIfQuiesced()
    if (doomed) throw new MqFailure(ReasonCode.BACKED_OUT, undefined, true)
  }

  /** Refuses a call that asked to fail while the queue manager quiesces. */
  checkQuiescing(failIfQuiescing: boolean): void {
    if (failIfQuiescing && this.state === "quiescing") refuse(ReasonCode.Q_MGR_QUIESCING)
  }

  // --- MQOPEN and MQCLOSE -----------------------------------------------------------------------

  open(connection: Connection, object: ObjectDescriptor, options: number): Handle {
    const access = options & ACCESS
    if (
      access === 0 || bitCount(options & INPUT) > 1 ||
      ((options & MQOO.SAVE_ALL_CONTEXT) !== 0 && (options & INPUT) === 0) ||
      ((options & SET_OR_PASS_CONTEXT) !== 0 && (options & MQOO.OUTPUT) === 0)
    ) {
      refuse(ReasonCode.OPTIONS_ERROR)
    }
    this.checkQuiescing((options & MQOO.FAIL_IF_QUIESCING) !== 0)
    let handle: Handle
    switch (object.type) {
      case "queue-manager":
        if ((options & (INPUT | MQOO.BROWSE | MQOO.OUTPUT | MQOO.SET)) !== 0) refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
        handle = new QueueManagerHandle(this.env.nextId(), connection, options)
        break
      case "topic":
        if ((options & (INPUT | MQOO.BROWSE | MQOO.SET)) !== 0) refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
        handle = new TopicHandle(
          this.env.nextId(),
          connection,
          this.resolveTopic(object.name, object.topicString),
          options
        )
        break
      case "queue":
        handle = this.openQueue(connection, object, options)
    }
    connection.handles.set(handle.id, handle)
    return handle
  }

  private openQueue(
    connection: Connection,
    object: Extract<ObjectDescriptor, { readonly type: "queue" }>,
    options: number
  ): QueueHandle {
    const owner = object.queueManager?.trim() ?? ""
    if (owner !== "" && owner !== this.name) refuse(ReasonCode.UNKNOWN_REMOTE_Q_MGR, owner)
    const found = this.objects.get(object.name.trim()) ?? refuse(ReasonCode.UNKNOWN_OBJECT_NAME)
    switch (found.kind) {
      case "model": {
        const queue = this.createDynamicQueue(found, object.dynamicQueueName ?? "AMQ.*")
        return this.openLocal(connection, queue, undefined, options, queue.definitionType === "temporary")
      }
      case "alias": {
        const target = this.objects.get(found.target) ?? refuse(ReasonCode.UNKNOWN_ALIAS_BASE_Q, found.target)
        if (target.kind !== "local") refuse(ReasonCode.ALIAS_BASE_Q_TYPE_ERROR, found.target)
        return this.openLocal(connection, target, found, options, false)
      }
      case "local":
        return this.openLocal(connection, found, undefined, options, false)
    }
  }

  private openLocal(
    connection: Connection,
    queue: LocalQueue,
    alias: AliasQueue | undefined,
    options: number,
    ownsQueue: boolean,
    id: number = this.env.nextId()
  ): QueueHandle {
    checkInputAvailable(queue, options)
    if ((options & INPUT) !== 0) {
      queue.openInputCount++
      queue.exclusiveInput = (options & MQOO.INPUT_EXCLUSIVE) !== 0
    }
    if ((options & MQOO.OUTPUT) !== 0) queue.openOutputCount++
    return new QueueHandle(id, connection, queue, alias, options, ownsQueue)
  }

  private createDynamicQueue(model: ModelQueue, requested: string): LocalQueue {
    const pattern = requested.trim()
    const star = pattern.indexOf("*")
    if (pattern === "" || (star >= 0 && (star !== pattern.length - 1 || star > 32))) {
      refuse(ReasonCode.DYNAMIC_Q_NAME_ERROR, pattern)
    }
    const now = this.env.now()
    let name = pattern
    if (star >= 0) {
      // A generated name is unique, even beside queues kept from an earlier run of the same second.
      do name = pattern.slice(0, star) + this.ids.uniqueSuffix(now)
      while (this.objects.has(name))
    }
    if (name.length > 48) refuse(ReasonCode.DYNAMIC_Q_NAME_ERROR, name)
    if (this.objects.has(name)) refuse(ReasonCode.OBJECT_ALREADY_EXISTS, name)
    const attributes = { ...model.attributes }
    const created = creationDateTime(now)
    const queue = new LocalQueue(name, attributes, model.definitionType, created, this.queueEvents)
    this.objects.set(name, queue)
    if (queue.definitionType === "permanent") this.record({ _tag: "DynamicQueue", name, attributes, created })
    return queue
  }

  /** The full topic string of a topic object and/or a topic string (MQ-BEHAVIOUR §8.1). */
  private resolveTopic(objectName: string | undefined, topicString: string | undefined): string {
    const name = objectName?.trim() ?? ""
    const suffix = topicString === undefined || topicString.startsWith(" ") ? "" : topicString
    if (name === "" && suffix === "") refuse(ReasonCode.UNKNOWN_OBJECT_NAME)
    if (name === "") return suffix
    const base = this.topics.get(name) ?? refuse(ReasonCode.UNKNOWN_OBJECT_NAME, name)
    const full = base === "" ? suffix : suffix === "" ? base : `${base}/${suffix}`
    if (full === "") refuse(ReasonCode.TOPIC_STRING_ERROR, name)
    return full
  }

  close(handle: Handle, options: number): void {
    const subscriptionOption = options & (MQCO.KEEP_SUB | MQCO.REMOVE_SUB)
    const deleting = options & (MQCO.DELETE | MQCO.DELETE_PURGE)
    if (handle.kind === "subscription") {
      if (deleting !== 0) refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
      if (subscriptionOption === (MQCO.KEEP_SUB | MQCO.REMOVE_SUB)) refuse(ReasonCode.OPTIONS_ERROR)
      if (subscriptionOption === MQCO.KEEP_SUB && !handle.subscription.durable) {
        refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
      }
      const remove = subscriptionOption === 0
        ? this.removesByDefault(handle)
        : subscriptionOption === MQCO.REMOVE_SUB
      this.release(handle, remove)
      return
    }
    if (subscriptionOption !== 0) refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
    if (deleting !== 0) {
      if (handle.kind !== "queue" || handle.alias !== undefined) refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
      const queue = handle.queue
      if (queue.definitionType === "predefined") refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
      if (queue.definitionType === "temporary" && !handle.ownsQueue) {
        refuse(ReasonCode.OPTION_NOT_VALID_FOR_TYPE)
      }
      if (
        queue.definitionType === "permanent" &&
        (queue.hasUncommittedWork || ((options & MQCO.DELETE) !== 0 && queue.depth > 0))
      ) {
        refuse(ReasonCode.Q_NOT_EMPTY)
      }
      this.deleteQueue(queue)
    }
    this.release(handle, false)
  }

  private removesByDefault(handle: Handle): boolean {
    return handle.kind === "subscription" && !handle.subscription.durable
  }

  /** Closes a handle; for a subscription handle, `removeSubscription` says whether the subscription goes. */
  private release(handle: Handle, removeSubscription: boolean): void {
    const connection = handle.connection
    connection.handles.delete(handle.id)
    if (handle.kind === "subscription") {
      handle.subscription.openBy = undefined
      if (removeSubscription) this.removeSubscription(handle.subscription)
      return
    }
    if (handle.kind !== "queue") return
    for (const wait of [...connection.waits]) if (wait.handle === handle) wait.cancel(ReasonCode.HOBJ_ERROR)
    const queue = handle.queue
    if (handle.forInput) {
      queue.openInputCount--
      if (queue.openInputCount === 0) queue.exclusiveInput = false
    }
    if ((handle.options & MQOO.OUTPUT) !== 0) queue.openOutputCount--
    if (handle.ownsQueue) this.deleteQueue(queue)
  }

  /** Deletes a local queue: its messages go, and handles still open on it answer 2052 (§2.6). */
  private deleteQueue(queue: LocalQueue): void {
    if (this.objects.get(queue.name) === queue) this.objects.delete(queue.name)
    if (queue.deleted) return
    if (queue.definitionType === "permanent") this.record({ _tag: "DropDynamicQueue", name: queue.name })
    queue.deleted = true
    queue.purge(() => true)
    this.cancelWaits((wait) => wait.handle.queue === queue, ReasonCode.Q_DELETED)
  }

  // --- MQPUT, MQPUT1 and publishing -------------------------------------------------------------

  put(handle: Handle, request: PutRequest): MessageDescriptor {
    if (handle.kind !== "queue" && handle.kind !== "topic") refuse(ReasonCode.HOBJ_ERROR)
    if ((handle.options & MQOO.OUTPUT) === 0) refuse(ReasonCode.NOT_OPEN_FOR_OUTPUT)
    if (handle.kind === "queue" && handle.queue.deleted) refuse(ReasonCode.Q_DELETED)
    const pmo = request.options
    if (
      (pmo & (MQPMO.SYNCPOINT | MQPMO.NO_SYNCPOINT)) === (MQPMO.SYNCPOINT | MQPMO.NO_SYNCPOINT) ||
      bitCount(pmo & PUT_CONTEXT) > 1
    ) {
      refuse(ReasonCode.OPTIONS_ERROR)
    }
    this.checkQuiescing((pmo & MQPMO.FAIL_IF_QUIESCING) !== 0)
    const d = request.descriptor
    if (d.persistence !== undefined && ![0, 1, 2].includes(d.persistence)) refuse(ReasonCode.PERSISTENCE_ERROR)
    if (d.priority !== undefined && d.priority < -1) refuse(ReasonCode.PRIORITY_ERROR)
    if (d.expiry !== undefined && d.expiry !== MQEI_UNLIMITED && d.expiry <= 0) refuse(ReasonCode.EXPIRY_ERROR)
    const uow = (pmo & MQPMO.SYNCPOINT) !== 0 ? handle.connection.unitOfWork : undefined
    if (uow?.doomed === true) refuse(ReasonCode.BACKED_OUT)
    const stored = { ...request, properties: copyProperties(request.properties, shortName) }
    return handle.kind === "topic" ? this.publish(handle, stored, uow) : this.putToQueue(handle, stored, uow)
  }

  /** MQPUT1: open for output, put, close. */
  put1(connection: Connection, object: ObjectDescriptor, request: PutRequest): MessageDescriptor {
    if (object.type === "queue" && this.objects.get(object.name.trim())?.kind === "model") {
      refuse(ReasonCode.Q_TYPE_ERROR)
    }
    const fiq = (request.options & MQPMO.FAIL_IF_QUIESCING) !== 0 ? MQOO.FAIL_IF_QUIESCING : 0
    const handle = this.open(connection, object, MQOO.OUTPUT | fiq)
    try {
      return this.put(handle, request)
    } finally {
      this.release(handle, false)
    }
  }

  private putToQueue(handle: QueueHandle, request: PutRequest, uow: UnitOfWork | undefined): MessageDescriptor {
    const queue = handle.queue
    if (handle.alias?.inhibitPut === true || queue.attributes.inhibitPut) refuse(ReasonCode.PUT_INHIBITED)
    if (request.body.length > queue.attributes.maxMessageLength) refuse(ReasonCode.MSG_TOO_BIG_FOR_Q)
    if (request.body.length > this.maxMessageLength) refuse(ReasonCode.MSG_TOO_BIG_FOR_Q_MGR)
    const descriptor = this.resolve(handle.connection, request, handle.alias ?? queue.attributes)
    if (descriptor.persistence === Persistence.PERSISTENT && queue.definitionType === "temporary") {
      refuse(ReasonCode.PERSISTENT_NOT_ALLOWED)
    }
    if (queue.depth >= queue.attributes.maxDepth) refuse(ReasonCode.Q_FULL)
    if (uow !== undefined && uow.size + 1 > this.maxUncommittedMessages) refuse(ReasonCode.SYNCPOINT_LIMIT_REACHED)
    this.enqueue(queue, request.body, request.properties, descriptor, uow)
    return exposed(descriptor)
  }

  /**
   * A copy of the publication for every matching subscription whose queue can take it, each with its
   * own MsgId. A subscriber queue that is full, put-inhibited, deleted or too small is skipped.
   */
  private publish(handle: TopicHandle, request: PutRequest, uow: UnitOfWork | undefined): MessageDescriptor {
    if (request.body.length > this.maxMessageLength) refuse(ReasonCode.MSG_TOO_BIG_FOR_Q_MGR)
    const descriptor = this.resolve(handle.connection, request, { defaultPersistent: false, defaultPriority: 0 })
    const targets = this.subscriptions.matching(handle.topicString).flatMap((subscription) => {
      const queue = this.objects.get(subscription.destination)
      return queue?.kind === "local" && !queue.attributes.inhibitPut &&
          queue.depth < queue.attributes.maxDepth && request.body.length <= queue.attributes.maxMessageLength
        ? [queue]
        : []
    })
    if (uow !== undefined && uow.size + targets.length > this.maxUncommittedMessages) {
      refuse(ReasonCode.SYNCPOINT_LIMIT_REACHED)
    }
    const properties = { ...request.properties, MQTopicString: handle.topicString }
    for (const queue of targets) {
      this.enqueue(queue, request.body, properties, { ...descriptor, msgId: this.ids.next() }, uow)
    }
    return exposed(descriptor)
  }

  private enqueue(
    queue: LocalQueue,
    body: Uint8Array,
    properties: Properties,
    descriptor: MessageDescriptor,
    uow: UnitOfWork | undefined
  ): void {
    const message: StoredMessage = {
      seq: ++this.seq,
      rank: queue.rankOf(descriptor.priority),
      body,
      properties,
      descriptor,
      persistent: descriptor.persistence === Persistence.PERSISTENT,
      expiresAt: descriptor.expiry > 0 ? this.env.now() + descriptor.expiry * 100 : undefined,
      backoutCount: 0,
      state: uow === undefined ? "available" : "put-pending"
    }
    queue.add(message)
    if (uow === undefined) queue.serviceWaiters()
    else uow.addPut(queue, message)
  }

  /** The descriptor the queue manager stores and returns for a put (MQ-BEHAVIOUR §3.2). */
  private resolve(
    connection: Connection,
    request: PutRequest,
    defaults: { readonly defaultPersistent: boolean; readonly defaultPriority: number }
  ): MessageDescriptor {
    const d = request.descriptor
    const pmo = request.options
    const { putDate, putTime } = putDateTime(this.env.now())
    const noContext = (pmo & MQPMO.NO_CONTEXT) !== 0
    const setIdentity = (pmo & (MQPMO.SET_IDENTITY_CONTEXT | MQPMO.SET_ALL_CONTEXT)) !== 0
    const setAll = (pmo & MQPMO.SET_ALL_CONTEXT) !== 0
    const persistence = d.persistence === undefined || d.persistence === Persistence.AS_Q_DEF
      ? (defaults.defaultPersistent ? Persistence.PERSISTENT : Persistence.NOT_PERSISTENT)
      : d.persistence
    const priority = d.priority === undefined || d.priority === -1 ? defaults.defaultPriority : d.priority
    const replyToQ = d.replyToQ ?? ""
    return {
      report: d.report ?? 0,
      msgType: d.msgType ?? QueueManagerDefaults.msgType,
      expiry: d.expiry ?? MQEI_UNLIMITED,
      feedback: d.feedback ?? 0,
      encoding: d.encoding ?? QueueManagerDefaults.encoding,
      codedCharSetId: d.codedCharSetId === undefined || d.codedCharSetId === 0
        ? QueueManagerDefaults.codedCharSetId
        : d.codedCharSetId,
      format: d.format ?? Format.NONE,
      priority: Math.min(priority, QueueManagerDefaults.maxPriority),
      persistence,
      msgId: (pmo & MQPMO.NEW_MSG_ID) !== 0 || d.msgId === undefined || isNoIdentifier(d.msgId)
        ? this.ids.next()
        : copyIdentifier(d.msgId),
      correlId: (pmo & MQPMO.NEW_CORREL_ID) !== 0
        ? this.ids.next()
        : copyIdentifier(d.correlId ?? IDENTIFIER_NONE),
      backoutCount: 0,
      replyToQ,
      replyToQMgr: d.replyToQMgr === undefined || d.replyToQMgr.trim() === ""
        ? (replyToQ.trim() === "" ? "" : this.name)
        : d.replyToQMgr,
      userIdentifier: noContext ? "" : setIdentity ? d.userIdentifier ?? "" : connection.user,
      accountingToken: setIdentity && d.accountingToken !== undefined
        ? copyIdentifier(d.accountingToken)
        : new Uint8Array(32),
      applIdentityData: setIdentity ? d.applIdentityData ?? "" : "",
      putApplType: noContext ? 0 : setAll ? d.putApplType ?? 0 : QueueManagerDefaults.putApplType,
      putApplName: noContext ? "" : setAll ? d.putApplName ?? "" : connection.applicationName,
      putDate: noContext ? "" : setAll ? d.putDate ?? "" : putDate,
      putTime: noContext ? "" : setAll ? d.putTime ?? "" : putTime,
      applOriginData: setAll ? d.applOriginData ?? "" : "",
      groupId: copyIdentifier(d.groupId ?? IDENTIFIER_NONE),
      msgSeqNumber: d.msgSeqNumber ?? 1,
      offset: d.offset ?? 0,
      msgFlags: d.msgFlags ?? 0,
      originalLength: -1
    }
  }

  // --- MQGET -----------------------------------------------------------------------------------

  /**
   * A get: the message, or `undefined` when there is none. With MQGMO_WAIT and `onWait`, a get that
   * finds nothing waits instead: the returned `PendingGet` completes through `onWait`.
   */
  get(handle: Handle, request: GetRequest, onWait?: (result: WaitResult) => void): Message | PendingGet | undefined {
    if (handle.kind !== "queue") refuse(ReasonCode.HOBJ_ERROR)
    const message = this.getNow(handle, request)
    if (
      message !== undefined || onWait === undefined || (request.options & MQGMO.WAIT) === 0 ||
      request.waitInterval === 0
    ) {
      return message
    }
    const criteria = criteriaOf(request)
    const pending = new PendingGet(
      handle,
      request,
      (request.options & BROWSE) !== 0,
      criteria.msgId !== undefined || criteria.correlId !== undefined || criteria.groupId !== undefined,
      (request.options & MQGMO.FAIL_IF_QUIESCING) !== 0,
      () => this.getNow(handle, request),
      onWait
    )
    handle.queue.waiters.add(pending)
    handle.connection.waits.add(pending)
    return pending
  }

  private getNow(handle: QueueHandle, request: GetRequest): Message | undefined {
    const gmo = request.options
    if (
      bitCount(gmo & SYNCPOINT_OPTIONS) > 1 || bitCount(gmo & POSITION) > 1 ||
      ((gmo & BROWSE) !== 0 && (gmo & (MQGMO.SYNCPOINT | MQGMO.SYNCPOINT_IF_PERSISTENT)) !== 0)
    ) {
      refuse(ReasonCode.OPTIONS_ERROR)
    }
    if ((gmo & MQGMO.WAIT) !== 0 && request.waitInterval < -1) refuse(ReasonCode.WAIT_INTERVAL_ERROR)
    const browse = (gmo & BROWSE) !== 0
    if ((gmo & POSITION) !== 0 && (handle.options & MQOO.BROWSE) === 0) refuse(ReasonCode.NOT_OPEN_FOR_BROWSE)
    if (!browse && !handle.forInput) refuse(ReasonCode.NOT_OPEN_FOR_INPUT)
    const queue = handle.queue
    if (queue.deleted) refuse(ReasonCode.Q_DELETED)
    this.checkQuiescing((gmo & MQGMO.FAIL_IF_QUIESCING) !== 0)
    if (handle.getInhibited) refuse(ReasonCode.GET_INHIBITED)
    const uow = handle.connection.unitOfWork
    if ((gmo & MQGMO.SYNCPOINT) !== 0 && uow.doomed) refuse(ReasonCode.BACKED_OUT)
    const now = this.env.now()
    let message: StoredMessage | undefined
    if ((gmo & UNDER_CURSOR) !== 0) {
      const cursor = handle.cursor
      if (cursor === undefined || cursor.message.state !== "available" || isExpired(cursor.message, now)) {
        refuse(ReasonCode.NO_MSG_UNDER_CURSOR)
      }
      message = cursor.message
    } else {
      const criteria = criteriaOf(request)
      const after = (gmo & MQGMO.BROWSE_NEXT) !== 0 ? handle.cursor?.position : undefined
      message = queue.find(now, (m) => matches(m, criteria), after)
    }
    if (message === undefined) {
      if ((gmo & MQGMO.BROWSE_FIRST) !== 0) handle.cursor = undefined
      return undefined
    }
    const truncated = request.maxLength !== undefined && message.body.length > request.maxLength
    const returned: Message = {
      body: truncated ? message.body.slice(0, request.maxLength) : message.body.slice(),
      descriptor: {
        ...exposed(message.descriptor),
        backoutCount: message.backoutCount,
        expiry: message.expiresAt === undefined
          ? MQEI_UNLIMITED
          : Math.max(1, Math.ceil((message.expiresAt - now) / 100))
      },
      properties: copyProperties(message.properties),
      dataLength: message.body.length
    }
    if (truncated && (gmo & MQGMO.ACCEPT_TRUNCATED_MSG) === 0) throw new TruncatedMessageFailed(returned)
    if (browse) {
      handle.cursor = { position: { rank: message.rank, seq: message.seq }, message }
    } else {
      const inUnit = (gmo & MQGMO.SYNCPOINT) !== 0 ||
        ((gmo & MQGMO.SYNCPOINT_IF_PERSISTENT) !== 0 && message.persistent)
      if (inUnit) {
        if (uow.doomed) refuse(ReasonCode.BACKED_OUT)
        if (uow.size + 1 > this.maxUncommittedMessages) refuse(ReasonCode.SYNCPOINT_LIMIT_REACHED)
        uow.addGet(queue, message)
      }
      queue.take(message, inUnit)
    }
    return returned
  }

  // --- Units of work ---------------------------------------------------------------------------

  /** MQBEGIN: a client cannot begin a global unit of work (MQ-BEHAVIOUR §5). */
  begin(): never {
    return refuse(ReasonCode.ENVIRONMENT_ERROR)
  }

  commit(connection: Connection): void {
    const uow = connection.unitOfWork
    if (!uow.doomed) return uow.commit()
    uow.backout()
    throw new MqFailure(ReasonCode.BACKED_OUT, undefined, true)
  }

  backout(connection: Connection): void {
    connection.unitOfWork.backout()
  }

  // --- MQINQ and MQSET -------------------------------------------------------------------------

  inquire(handle: Handle, names: ReadonlyArray<AttributeName>): Inquiry {
    return inquire(handle, names)
  }

  set(handle: Handle, values: Readonly<Record<string, unknown>>): void {
    const applied = set(handle, values)
    if (applied.InhibitGet === Inhibit.INHIBITED) {
      this.cancelWaits((wait) => wait.handle.getInhibited, ReasonCode.GET_INHIBITED)
    }
    // `set` accepts queue handles only; a temporary dynamic queue is not kept.
    if (handle.kind !== "queue") return
    const target = handle.alias ?? handle.queue
    if (target.kind === "local" && target.definitionType === "temporary") return
    this.keepSettings(target, applied)
    this.record({ _tag: "SetAttributes", name: target.name, values: applied })
  }

  /** Settings an earlier run made with MQSET. */
  restoreSettings(name: string, values: Readonly<Record<string, Value>>): void {
    const object = this.objects.get(name)
    if (object?.kind !== "local" && object?.kind !== "alias") return
    applySettings(object, values)
    this.keepSettings(object, values)
  }

  // A permanent dynamic queue is kept with its attributes as they are; a predefined queue or an
  // alias is made again from its options, so its settings are kept apart.
  private keepSettings(target: LocalQueue | AliasQueue, values: Readonly<Record<string, Value>>): void {
    if (target.kind === "alias" || target.definitionType === "predefined") {
      this.administered.settings.set(target.name, { ...this.administered.settings.get(target.name), ...values })
    }
  }

  // --- MQSUB -----------------------------------------------------------------------------------

  subscribe(connection: Connection, request: SubscribeRequest): SubscriptionHandle {
    const options = request.options
    if ((options & (MQSO.CREATE | MQSO.RESUME | MQSO.ALTER)) === 0) refuse(ReasonCode.OPTIONS_ERROR)
    this.checkQuiescing((options & MQSO.FAIL_IF_QUIESCING) !== 0)
    const durable = (options & MQSO.DURABLE) !== 0
    const name = request.name === undefined || request.name.trim() === "" ? undefined : request.name
    if (durable && name === undefined) refuse(ReasonCode.SUB_NAME_ERROR)
    const existing = name === undefined ? undefined : this.subscriptions.named(name)
    if (existing !== undefined) {
      if ((options & (MQSO.RESUME | MQSO.ALTER)) === 0) refuse(ReasonCode.SUB_ALREADY_EXISTS, name)
      if (existing.durable !== durable) refuse(ReasonCode.DURABILITY_NOT_ALTERABLE, name)
      if (existing.openBy !== undefined) refuse(ReasonCode.SUBSCRIPTION_IN_USE, name)
      const destination = request.destination === undefined
        ? this.reopenDestination(connection, existing)
        : this.givenDestination(connection, request.destination)
      return this.openSubscription(connection, existing, destination)
    }
    if ((options & MQSO.CREATE) === 0) refuse(ReasonCode.NO_SUBSCRIPTION, name)
    const topic = this.resolveTopic(request.topicObject, request.topicString)
    const managed = (options & MQSO.MANAGED) !== 0
    let destination: QueueHandle
    if (managed) {
      const model = this.objects.get(durable ? "SYSTEM.DURABLE.MODEL.QUEUE" : "SYSTEM.NDURABLE.MODEL.QUEUE")
      if (model?.kind !== "model") refuse(ReasonCode.INVALID_DESTINATION)
      const queue = this.createDynamicQueue(
        model,
        durable ? "SYSTEM.MANAGED.DURABLE.*" : "SYSTEM.MANAGED.NDURABLE.*"
      )
      destination = this.openLocal(
        connection,
        queue,
        undefined,
        MQOO.INPUT_AS_Q_DEF | MQOO.BROWSE | MQOO.INQUIRE,
        queue.definitionType === "temporary"
      )
      connection.handles.set(destination.id, destination)
    } else {
      if (request.destination === undefined) refuse(ReasonCode.HOBJ_ERROR)
      destination = this.givenDestination(connection, request.destination)
      if (durable && destination.queue.definitionType === "temporary") refuse(ReasonCode.INVALID_DESTINATION)
    }
    const subscription = new SubscriptionRecord(name, topic, durable, managed, destination.queue.name)
    this.subscriptions.add(subscription)
    if (name !== undefined && durable) {
      this.record({ _tag: "Subscribe", name, topicString: topic, managed, destination: destination.queue.name })
    }
    return this.openSubscription(connection, subscription, destination)
  }

  /**
   * MQSUBRQ: sends the retained publications of a subscription's topic to its destination. None is
   * ever retained (README, known differences), so there is none to send: 2437.
   */
  subscriptionRequest(handle: Handle, action: number): never {
    if (handle.kind !== "subscription") refuse(ReasonCode.HOBJ_ERROR)
    if (action !== Cmqc.SR_ACTION_PUBLICATION) refuse(Cmqc.RC_ACTION_ERROR)
    return refuse(Cmqc.RC_NO_RETAINED_MSG, handle.subscription.topicString)
  }

  private givenDestination(connection: Connection, id: number): QueueHandle {
    const handle = connection.handles.get(id)
    if (handle?.kind !== "queue" || (handle.options & (INPUT | MQOO.BROWSE | MQOO.OUTPUT)) === 0) {
      refuse(ReasonCode.HOBJ_ERROR)
    }
    return handle
  }

  /** Resuming without a destination handle: the queue manager opens the recorded destination. */
  private reopenDestination(connection: Connection, subscription: SubscriptionRecord): QueueHandle {
    const queue = this.objects.get(subscription.destination)
    if (queue?.kind !== "local") refuse(ReasonCode.INVALID_DESTINATION, subscription.destination)
    const handle = this.openLocal(
      connection,
      queue,
      undefined,
      MQOO.INPUT_AS_Q_DEF | MQOO.BROWSE | MQOO.INQUIRE,
      false
    )
    connection.handles.set(handle.id, handle)
    return handle
  }

  private openSubscription(
    connection: Connection,
    subscription: SubscriptionRecord,
    destination: QueueHandle
  ): SubscriptionHandle {
    const handle = new SubscriptionHandle(this.env.nextId(), connection, subscription, destination)
    subscription.openBy = handle.id
    connection.handles.set(handle.id, handle)
    return handle
  }

  private removeSubscription(subscription: SubscriptionRecord): void {
    this.subscriptions.remove(subscription)
    if (subscription.durable && subscription.name !== undefined) {
      this.record({ _tag: "Unsubscribe", name: subscription.name })
    }
    if (!subscription.managed) return
    const queue = this.objects.get(subscription.destination)
    if (queue?.kind === "local") this.deleteQueue(queue)
  }
}

/** Input is refused while another handle has the queue for exclusive input, or any for an exclusive open (2042). */
const checkInputAvailable = (queue: LocalQueue, options: number): void => {
  if ((options & INPUT) === 0) return
  const exclusive = (options & MQOO.INPUT_EXCLUSIVE) !== 0
  if (exclusive ? queue.openInputCount > 0 : queue.exclusiveInput) refuse(ReasonCode.OBJECT_IN_USE, queue.name)
}

const criteriaOf = (request: GetRequest): MatchCriteria => {
  const specific = (option: number, id: Uint8Array | undefined): Uint8Array | undefined =>
    (request.matchOptions & option) !== 0 && id !== undefined && !isNoIdentifier(id) ? id : undefined
  return {
    msgId: specific(MQMO.MATCH_MSG_ID, request.match.msgId),
    correlId: specific(MQMO.MATCH_CORREL_ID, request.match.correlId),
    groupId: specific(MQMO.MATCH_GROUP_ID, request.match.groupId)
  }
}
