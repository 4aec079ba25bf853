import type { QueueDefinition } from "@resilient-mq/core"
import { Schema } from "effect"
import type { QueueManagerOptions } from "../EmulatorOptions.ts"

// Options that arrive as JSON (a `--config` file, the control channel, the journal of `--data`),
// decoded into the types the model takes.

const count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const QueueDefinitionSchema: Schema.Codec<QueueDefinition> = Schema.Struct({
  type: Schema.optionalKey(Schema.Literals(["local", "model", "alias"])),
  target: Schema.optionalKey(Schema.String),
  definitionType: Schema.optionalKey(Schema.Literals(["temporary", "permanent"])),
  maxDepth: Schema.optionalKey(count),
  maxMessageLength: Schema.optionalKey(count),
  defaultPersistent: Schema.optionalKey(Schema.Boolean),
  defaultPriority: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 9 }))),
  deliverySequence: Schema.optionalKey(Schema.Literals(["priority", "fifo"])),
  backoutThreshold: Schema.optionalKey(count),
  backoutQueue: Schema.optionalKey(Schema.String),
  inhibitGet: Schema.optionalKey(Schema.Boolean),
  inhibitPut: Schema.optionalKey(Schema.Boolean)
})

const Strings = Schema.Record(Schema.String, Schema.String)

export const QueueManagerOptionsSchema: Schema.Codec<QueueManagerOptions> = Schema.Struct({
  name: Schema.String.check(Schema.isBetweenLength(1, 48)),
  qmid: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 48))),
  group: Schema.optionalKey(Schema.String),
  listeners: Schema.optionalKey(Schema.Array(Schema.String)),
  queues: Schema.optionalKey(Schema.Record(Schema.String, QueueDefinitionSchema)),
  topics: Schema.optionalKey(Strings),
  users: Schema.optionalKey(Strings),
  maxUncommittedMessages: Schema.optionalKey(count),
  maxMessageLength: Schema.optionalKey(count)
})
