import { MQOO, type Message } from "@resilient-mq/core"
import type { LocalQueue, Position, Waiter } from "./LocalQueue.ts"
import { MqFailure } from "./MqFailure.ts"
import type { AliasQueue } from "./QueueObjects.ts"
import type { GetRequest, QueueManager } from "./QueueManager.ts"
import type { StoredMessage } from "./StoredMessage.ts"
import type { SubscriptionRecord } from "./Subscriptions.ts"
import { UnitOfWork } from "./UnitOfWork.ts"

/** Where a browse cursor stands: the position of the last message browsed, and that message. */
export interface Cursor {
  readonly position: Position
  readonly message: StoredMessage
}

/** A queue opened by MQOPEN (or by MQSUB, as a subscription's destination). */
export class QueueHandle {
  readonly kind = "queue"
  /** Absent: before the first message. */
  cursor: Cursor | undefined = undefined

  constructor(
    readonly id: number,
    readonly connection: Connection,
    readonly queue: LocalQueue,
    /** The alias it was opened through, whose defaults and inhibit switches apply first. */
    readonly alias: AliasQueue | undefined,
    readonly options: number,
    /** It created this temporary dynamic queue, which is deleted when it closes. */
    readonly ownsQueue: boolean
  ) {}

  /** The name the application knows: the alias, or the queue (a dynamic queue's generated name). */
  get name(): string {
    return this.alias?.name ?? this.queue.name
  }

  get forInput(): boolean {
    return (this.options & (MQOO.INPUT_AS_Q_DEF | MQOO.INPUT_SHARED | MQOO.INPUT_EXCLUSIVE)) !== 0
  }

  get getInhibited(): boolean {
    return this.alias?.inhibitGet === true || this.queue.attributes.inhibitGet
  }
}

export class TopicHandle {
  readonly kind = "topic"
  constructor(
    readonly id: number,
    readonly connection: Connection,
    readonly topicString: string,
    readonly options: number
  ) {}

  get name(): string {
    return this.topicString
  }
}

export class QueueManagerHandle {
  readonly kind = "queue-manager"
  constructor(readonly id: number, readonly connection: Connection, readonly options: number) {}

  get name(): string {
    return this.connection.queueManager.name
  }
}

export class SubscriptionHandle {
  readonly kind = "subscription"
  constructor(
    readonly id: number,
    readonly connection: Connection,
    readonly subscription: SubscriptionRecord,
    /** The queue its publications arrive on, as a handle of the same connection. */
    readonly destination: QueueHandle
  ) {}

  get name(): string {
    return this.subscription.topicString
  }
}

export type Handle = QueueHandle | TopicHandle | QueueManagerHandle | SubscriptionHandle

/** How a waiting get ended. */
export type WaitResult =
  | { readonly _tag: "message"; readonly message: Message }
  | { readonly _tag: "none" }
  | { readonly _tag: "failed"; readonly failure: MqFailure }

/** A get waiting for a message. It completes exactly once: with a message, at its timeout, or cancelled. */
export class PendingGet implements Waiter {
  private done = false

  constructor(
    /** The handle it waits on: another one after its connection moved (`moveTo`). */
    public handle: QueueHandle,
    readonly request: GetRequest,
    readonly browse: boolean,
    readonly specific: boolean,
    readonly failIfQuiescing: boolean,
    private tryGet: () => Message | undefined,
    private readonly complete: (result: WaitResult) => void
  ) {}

  /**
   * Its connection moved to another queue manager (the MQ client's reconnect): the get goes on
   * waiting there, on `handle`, trying with `tryGet`.
   */
  moveTo(handle: QueueHandle, tryGet: () => Message | undefined): void {
    if (this.done) return
    this.handle.queue.waiters.delete(this)
    this.handle = handle
    this.tryGet = tryGet
    handle.queue.waiters.add(this)
  }

  attempt(): boolean {
    let message: Message | undefined
    try {
      message = this.tryGet()
    } catch (error) {
      if (!(error instanceof MqFailure)) throw error
      this.finish({ _tag: "failed", failure: error })
      return true
    }
    if (message === undefined) return false
    this.finish({ _tag: "message", message })
    return true
  }

  cancel(reason: number): void {
    this.finish({ _tag: "failed", failure: new MqFailure(reason) })
  }

  timeout(): void {
    this.finish({ _tag: "none" })
  }

  /** The caller went away (interrupted): the get stops waiting, with no one to tell. */
  withdraw(): void {
    this.settle()
  }

  private finish(result: WaitResult): void {
    if (this.settle()) this.complete(result)
  }

  private settle(): boolean {
    if (this.done) return false
    this.done = true
    this.handle.queue.waiters.delete(this)
    this.handle.connection.waits.delete(this)
    return true
  }
}

/** A client connection (an Hconn). */
export class Connection {
  readonly handles = new Map<number, Handle>()
  readonly unitOfWork = new UnitOfWork()
  readonly waits = new Set<PendingGet>()
  /** Why the connection is dead (2009 broken, 2162 stopped...): every later call answers it. */
  ended: number | undefined = undefined
  /** Told when the queue manager ends the connection: a network server then closes its socket. */
  onEnd: ((reason: number) => void) | undefined = undefined

  constructor(
    readonly id: number,
    /** Another one after the MQ client's reconnect moved the connection (`moveConnections`). */
    public queueManager: QueueManager,
    /** The identity messages are put with (MQMD UserIdentifier). */
    readonly user: string,
    readonly applicationName: string,
    readonly channel: string
  ) {}
}
