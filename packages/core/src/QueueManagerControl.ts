import { Context, type Duration, type Effect } from "effect"
import type { Verb } from "./MqError.ts"

/** A local queue to define, with IBM's defaults for what is left out. */
export interface QueueDefinition {
  readonly type?: "local" | "model" | "alias"
  /** For an alias: the queue it resolves to. */
  readonly target?: string
  /** For a model: `temporary` (TEMPDYN, the default) or `permanent` (PERMDYN) dynamic queues. */
  readonly definitionType?: "temporary" | "permanent"
  /** MAXDEPTH, default 5000. */
  readonly maxDepth?: number
  /** MAXMSGL in bytes, default 4194304. */
  readonly maxMessageLength?: number
  /** DEFPSIST, default false. */
  readonly defaultPersistent?: boolean
  /** DEFPRTY, default 0. */
  readonly defaultPriority?: number
  /** MSGDLVSQ, default `priority`. */
  readonly deliverySequence?: "priority" | "fifo"
  /** BOTHRESH, default 0 (informational: the queue manager never acts on it). */
  readonly backoutThreshold?: number
  /** BOQNAME, default blank. */
  readonly backoutQueue?: string
  readonly inhibitGet?: boolean
  readonly inhibitPut?: boolean
}

/** How a queue manager ends (`endmqm`). */
export interface StopOptions {
  /**
   * `quiesce` (-c): calls with fail-if-quiescing fail 2161 until the last connection ends;
   * `immediate` (-i): every connection gets 2162/2009 and work in flight is backed out;
   * `preemptive` (-p): connections are dropped (2009).
   */
  readonly mode: "quiesce" | "immediate" | "preemptive"
  /** `endmqm -r`: tell reconnectable clients to reconnect (to another instance or later). */
  readonly reconnect?: boolean
}

/**
 * What a test can do to a queue manager besides calling the MQI: define objects and inflict the
 * faults of production. The emulator implements it in process and over its control channel; a real
 * queue manager has none, and the conformance suite then skips the cases that need it, saying so.
 */
export class QueueManagerControl extends Context.Service<QueueManagerControl, {
  readonly defineQueue: (queueManager: string, name: string, definition?: QueueDefinition) => Effect.Effect<void>
  readonly deleteQueue: (queueManager: string, name: string) => Effect.Effect<void>
  readonly defineTopic: (queueManager: string, name: string, topicString: string) => Effect.Effect<void>
  /** Break every connection to the queue manager: their next call, and consumers, get 2009. */
  readonly breakConnections: (queueManager: string) => Effect.Effect<void>
  /**
   * The MQ client's own reconnect (MQCNO_RECONNECT) moves every connection of `from` to `to`, another
   * running queue manager, without the application seeing a broken connection: the same connection
   * handle, its objects reopened there by name, its unit of work backed out (its next syncpoint call
   * and its commit answer 2003). The `ibmmq` binding reports no such reconnect: only an inquiry of the
   * queue manager's QMID shows it. A connection with a subscription, or with an object `to` cannot
   * open, is not reinstated: it ends with 2548 (MQRC_RECONNECT_FAILED).
   */
  readonly moveConnections: (from: string, to: string) => Effect.Effect<void>
  readonly stop: (queueManager: string, options: StopOptions) => Effect.Effect<void>
  /** Start a stopped queue manager: persistent messages are back, non-persistent ones are gone. */
  readonly start: (queueManager: string) => Effect.Effect<void>
  /** Stop immediately and start again. */
  readonly restart: (queueManager: string) => Effect.Effect<void>
  /**
   * Answer the next `count` (default 1) calls of a verb with a reason code instead of doing them, or,
   * with `after`, after doing them: a commit that happened but reported 2549 or 2009. A reason that
   * means the connection is gone (2009) also breaks it, as MQ never answers it on a live connection.
   */
  readonly failNext: (
    queueManager: string,
    verb: Verb,
    reason: number,
    options?: { readonly count?: number; readonly after?: boolean }
  ) => Effect.Effect<void>
  /** Delay every call of a verb (`"*"`: of any verb) by a duration; zero removes the delay. */
  readonly delay: (queueManager: string, verb: Verb | "*", duration: Duration.Input) => Effect.Effect<void>
  /** Refuse new connections with a reason (2059, 2538, 2035, 2543...); `undefined` accepts them again. */
  readonly refuseConnections: (queueManager: string, reason: number | undefined) => Effect.Effect<void>
  /** Remove every injected failure, delay and refusal. */
  readonly clearFaults: (queueManager: string) => Effect.Effect<void>
}>()("@resilient-mq/core/QueueManagerControl") {}
