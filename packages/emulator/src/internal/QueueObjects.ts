import type { QueueDefinition } from "@resilient-mq/core"
import { QueueManagerDefaults } from "./constants.ts"
import type { LocalQueue, LocalQueueAttributes } from "./LocalQueue.ts"

/** An alias queue: a name for another queue, with its own defaults and inhibit switches. */
export class AliasQueue {
  readonly kind = "alias"
  constructor(
    readonly name: string,
    readonly target: string,
    readonly defaultPersistent: boolean,
    readonly defaultPriority: number,
    public inhibitGet: boolean,
    public inhibitPut: boolean,
    readonly created: { readonly date: string; readonly time: string }
  ) {}
}

/** A model queue: opening it creates a dynamic local queue with its attributes. */
export class ModelQueue {
  readonly kind = "model"
  constructor(
    readonly name: string,
    readonly definitionType: "temporary" | "permanent",
    readonly attributes: LocalQueueAttributes
  ) {}
}

export type QueueObject = LocalQueue | AliasQueue | ModelQueue

/** A local queue's attributes from a definition, with IBM's defaults (MQ-BEHAVIOUR §3.4). */
export const localAttributes = (definition: QueueDefinition): LocalQueueAttributes => ({
  maxDepth: definition.maxDepth ?? QueueManagerDefaults.maxDepth,
  maxMessageLength: definition.maxMessageLength ?? QueueManagerDefaults.maxMessageLength,
  defaultPersistent: definition.defaultPersistent ?? false,
  defaultPriority: definition.defaultPriority ?? 0,
  deliverySequence: definition.deliverySequence ?? "priority",
  backoutThreshold: definition.backoutThreshold ?? 0,
  backoutQueue: definition.backoutQueue ?? "",
  inhibitGet: definition.inhibitGet ?? false,
  inhibitPut: definition.inhibitPut ?? false,
  triggerControl: 0,
  triggerType: 1, // MQTT_FIRST
  triggerDepth: 1,
  triggerMsgPriority: 0,
  triggerData: ""
})
