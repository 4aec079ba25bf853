/**
 * The `Mqi` conformance suite: the cases every implementation of the port must pass, written
 * against what IBM MQ does (MQ-BEHAVIOUR.md). Run it from a test file of the implementation:
 *
 * ```ts
 * import { suite } from "@resilient-mq/core/testing"
 * suite("in-process emulator", Emulator.layer(), { queueManager: "QM1", connect: { queueManager: "QM1" } })
 * ```
 *
 * The cases run on the real clock with short waits, so the same suite runs against a network
 * server through the `ibmmq` binding. Each case defines its own queues and topics under unique
 * names and leaves the queue manager as it found it; cases that stop or break the queue manager
 * build the layer afresh.
 */
import { describe } from "@effect/vitest"
import type { Layer } from "effect"
import type { ConnectOptions } from "./ConnectOptions.ts"
import { attributeCases } from "./internal/suite/attributes.ts"
import { browseCases } from "./internal/suite/browse.ts"
import { connectionCases } from "./internal/suite/connection.ts"
import { consumeCases } from "./internal/suite/consume.ts"
import { deliveryCases } from "./internal/suite/delivery.ts"
import { dynamicQueueCases } from "./internal/suite/dynamicQueues.ts"
import { errorCases } from "./internal/suite/errors.ts"
import { faultCases } from "./internal/suite/faults.ts"
import { propertyCases } from "./internal/suite/properties.ts"
import { resilienceCases, type ResilienceTarget } from "./internal/suite/resilience.ts"
import { putGetCases } from "./internal/suite/putGet.ts"
import { syncpointCases } from "./internal/suite/syncpoint.ts"
import { topicCases } from "./internal/suite/topics.ts"
import type { Mqi } from "./Mqi.ts"
import type { QueueManagerControl } from "./QueueManagerControl.ts"

export type { ResilienceTarget }

export interface SuiteTarget {
  /** The queue manager under test and how to connect to it. */
  readonly queueManager: string
  readonly connect: ConnectOptions
}

/**
 * Registers the conformance cases under `describe(name)`. The layer provides the implementation
 * under test and the control of the queue manager named by `target` (defining queues, faults).
 */
export const suite = (
  name: string,
  layer: Layer.Layer<Mqi | QueueManagerControl, unknown>,
  target: SuiteTarget
): void => {
  describe(name, () => {
    connectionCases(layer, target)
    putGetCases(layer, target)
    deliveryCases(layer, target)
    browseCases(layer, target)
    syncpointCases(layer, target)
    errorCases(layer, target)
    dynamicQueueCases(layer, target)
    topicCases(layer, target)
    attributeCases(layer, target)
    propertyCases(layer, target)
    consumeCases(layer, target)
    faultCases(layer, target)
  })
}

/**
 * Registers the `MqConnection` cases under `describe(name)`: restarts, stops, quiesce, refused and
 * rejected connections, failover in a group (when `target.group` names two running members),
 * heartbeat, restoration of queues, dynamic queues, subscriptions and consumers, and units of work
 * cut off by breaks. Each case builds the layer afresh, since every case breaks or stops the queue
 * manager.
 */
export const resilienceSuite = (
  name: string,
  layer: Layer.Layer<Mqi | QueueManagerControl, unknown>,
  target: ResilienceTarget
): void => {
  describe(name, () => resilienceCases(layer, target))
}
