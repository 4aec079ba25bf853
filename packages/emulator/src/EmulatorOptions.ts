import type { QueueDefinition } from "@resilient-mq/core"

/** One emulated queue manager. */
export interface QueueManagerOptions {
  readonly name: string
  /** QMID; default `<name>_<YYYY-MM-DD>_<HH.MM.SS>` of creation (GMT), made distinct within the emulator. */
  readonly qmid?: string
  /** A queue-manager group: connecting to `*<group>` reaches any running member. */
  readonly group?: string
  /** Virtual listener addresses `host(port)`; default `<name in lower case>(1414)`. */
  readonly listeners?: ReadonlyArray<string>
  /** Queues to define besides the developer image's (a definition of the same name replaces it). */
  readonly queues?: Readonly<Record<string, QueueDefinition>>
  /** Topic objects: name to topic string, besides `DEV.BASE.TOPIC` (`dev/`). */
  readonly topics?: Readonly<Record<string, string>>
  /** When set, connections must authenticate with one of these users and its password (else 2035). */
  readonly users?: Readonly<Record<string, string>>
  /** MAXUMSGS, default 10000. */
  readonly maxUncommittedMessages?: number
  /** The queue manager's MAXMSGL, default 4194304. */
  readonly maxMessageLength?: number
}

/** The emulated queue managers; default: one, `QM1`. */
export interface EmulatorOptions {
  readonly queueManagers?: ReadonlyArray<QueueManagerOptions>
  /**
   * A directory where each queue manager keeps its committed persistent messages, permanent dynamic
   * queues, durable subscriptions, administered objects and QMID, so that they survive a restart of
   * the process (a kill included). Created if missing, readable by the owner only. Default: none,
   * everything is in memory.
   */
  readonly data?: string
}
