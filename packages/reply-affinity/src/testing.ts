/**
 * The request/reply cases, run against any `Mqi` whose layer also provides the `QueueManagerControl`
 * of two queue managers of one group (the in-process emulator, or `ibmmq` with the emulator's
 * stand-in library and server):
 *
 * ```ts
 * import { suite } from "@resilient-mq/reply-affinity/testing"
 * suite(
 *   "in-process emulator",
 *   Emulator.layer({ queueManagers: [{ name: "QM1", group: "QMGROUP" }, { name: "QM2", group: "QMGROUP" }] }),
 *   { members: ["QM1", "QM2"], group: { queueManager: "*QMGROUP" }, member: (name) => ({ queueManager: name }) }
 * )
 * ```
 *
 * The suite needs `@resilient-mq/transaction` (an optional peer dependency of this package) for the
 * guarded responder's cases. The cases run on the real clock. Each builds the layer afresh, defines
 * queues of its own on both members, and starts again what it stops.
 */
import { describe } from "@effect/vitest"
import { failoverCases } from "./internal/suite/failover.ts"
import { guardedCases } from "./internal/suite/guarded.ts"
import type { SuiteLayer, SuiteTarget } from "./internal/suite/helpers.ts"
import { replyCases } from "./internal/suite/replies.ts"

export type { SuiteTarget }

/**
 * Registers the cases under `describe(name)`: a failover under each policy, a reconnect to the same
 * queue manager, moves no event reports (found by the interval's inquiry, and after a put answered
 * 2549), stray and late replies, both correlation modes, blank reply-to queue managers, hundreds
 * of requests waiting at once, and the responder under a transaction guard (a commit answered 2549,
 * a poison request, a guard on another connection).
 */
export const suite = (name: string, layer: SuiteLayer, target: SuiteTarget): void => {
  describe(name, () => {
    failoverCases(layer, target)
    replyCases(layer, target)
    guardedCases(layer, target)
  })
}
