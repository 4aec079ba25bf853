/**
 * The transaction guard's suite: the cases that show its guarantees on a queue manager, run against
 * any `Mqi` with a `QueueManagerControl` for its faults (the in-process emulator, the `ibmmq` binding
 * with the emulator's stand-in library and server):
 *
 * ```ts
 * import { suite } from "@resilient-mq/transaction/testing"
 * suite("in-process emulator", Emulator.layer({ queueManagers: [{ name: "QM1", maxUncommittedMessages: 200 }] }), {
 *   queueManager: "QM1",
 *   connect: { queueManager: "QM1" }
 * })
 * ```
 *
 * Every case builds the layer afresh (they break connections and inject faults), defines its queues
 * under unique names and deletes them at its end. The batch case puts one message more than the queue
 * manager's MAXUMSGS: give the queue manager a small limit to keep it quick.
 */
import { describe } from "@effect/vitest"
import { batchCases } from "./internal/suite/batches.ts"
import type { SuiteLayer, SuiteTarget } from "./internal/suite/helpers.ts"
import { outcomeCases } from "./internal/suite/outcomes.ts"
import { poisonCases } from "./internal/suite/poison.ts"
import { unitCases } from "./internal/suite/units.ts"
import { volumeCases } from "./internal/suite/volume.ts"

export type { SuiteTarget }

/**
 * Registers the guard's cases under `describe(name)`: commit and backout, interruption, calls outside
 * syncpoint and logical order refused, a break before the commit, 2003 on the commit, 2549 and 2009 on
 * commits that did and did not happen (resolved by the ledger), `OutcomeUnknown` without a ledger,
 * units that must not run twice, poison messages to the backout queue and to the dead-letter queue,
 * batches, and a thousand get-transform-put units under random faults.
 */
export const suite = (name: string, layer: SuiteLayer, target: SuiteTarget): void => {
  describe(name, () => {
    unitCases(layer, target)
    outcomeCases(layer, target)
    poisonCases(layer, target)
    batchCases(layer, target)
    volumeCases(layer, target)
  })
}
