import { assert, describe, it } from "@effect/vitest"
import { Persistence, QueueManagerControl } from "@resilient-mq/core"
import { Effect, Fiber, Option } from "effect"
import type { Transaction } from "../../TransactionGuard.ts"
import {
  connectGuard,
  defineQueue,
  depth,
  drainText,
  feed,
  fresh,
  recordEvents,
  seeded,
  type SuiteLayer,
  type SuiteTarget,
  text
} from "./helpers.ts"

const UNITS = 1000

export const volumeCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = fresh(suiteLayer, target)
  const qm = target.queueManager

  describe("volume", () => {
    it.live(
      `${UNITS} get-transform-put units under random breaks and cut-off commits: every input consumed once, every output there once`,
      () =>
        on(Effect.gen(function*() {
          const input = yield* defineQueue(target, "VOL.IN", { defaultPersistent: true })
          const output = yield* defineQueue(target, "VOL.OUT", { defaultPersistent: true })
          const ledger = yield* defineQueue(target, "VOL.LEDGER")
          const bodies = Array.from({ length: UNITS }, (_, i) => `m${i}`)
          yield* feed(target, input, bodies.map((body) => ({ body, descriptor: { persistence: Persistence.PERSISTENT } })))
          const { guard, mq } = yield* connectGuard(target, { ledgerQueue: ledger })
          const control = yield* QueueManagerControl
          const events = yield* recordEvents(guard)
          const source = yield* mq.open({ type: "queue", name: input }, { input: "shared" })
          const sink = yield* mq.open({ type: "queue", name: output }, { output: true })
          const random = seeded(20_240_508)

          // Faults at chosen points of a unit: a break after its get or after its put, or its commit cut off
          // with 2549 or 2009 (done or not) or backed out with 2003.
          const fault = (r: number, point: "got" | "put") => {
            if (r < 0.03) return point === "got" ? control.breakConnections(qm) : Effect.void
            if (r < 0.06) return point === "put" ? control.breakConnections(qm) : Effect.void
            if (point === "got") return Effect.void
            if (r < 0.08) return control.failNext(qm, "MQCMIT", 2549, { after: true })
            if (r < 0.10) return control.failNext(qm, "MQCMIT", 2549)
            if (r < 0.12) return control.failNext(qm, "MQCMIT", 2009, { after: true })
            if (r < 0.13) return control.failNext(qm, "MQCMIT", 2009)
            if (r < 0.15) return control.failNext(qm, "MQCMIT", 2003)
            return Effect.void
          }
          const transform = (tx: Transaction) =>
            Effect.gen(function*() {
              const found = yield* tx.get(source, { wait: "2 seconds" })
              if (Option.isNone(found)) return false
              const r = random()
              yield* fault(r, "got")
              yield* tx.put(sink, { body: `T(${text(found.value)})`, descriptor: { persistence: Persistence.PERSISTENT } })
              yield* fault(r, "put")
              return true
            })

          // And breaks at moments nobody chose, wherever the guard happens to be.
          const breaker = yield* Effect.forkChild(Effect.forever(
            Effect.suspend(() => Effect.sleep(`${20 + Math.floor(random() * 60)} millis`)).pipe(
              Effect.andThen(control.breakConnections(qm))
            )
          ))
          // Exactly as many units as inputs, each of which must find one: the input is never seen empty
          // early, however the units before were cut off.
          for (let unit = 0; unit < UNITS; unit++) {
            if (!(yield* guard.run(transform))) assert.fail(`the input ran dry after ${unit} units`)
          }
          yield* Fiber.interrupt(breaker)
          yield* control.clearFaults(qm)

          const outputs = yield* drainText(target, output, UNITS + 10)
          assert.strictEqual(outputs.length, UNITS, "every output is there once")
          assert.deepStrictEqual([...outputs].sort(), bodies.map((body) => `T(${body})`).sort())
          assert.strictEqual(yield* depth(target, input), 0, "every input is consumed")
          assert.strictEqual(yield* depth(target, ledger), 0, "the ledger keeps no marker")
          // The faults did happen, and were settled both ways.
          assert.isAbove((yield* events.of("Rerun")).length, 0)
          const resolved = yield* events.of("OutcomeResolved")
          assert.isTrue(resolved.some((e) => e.outcome === "committed"), "some cut-off commits had happened")
          assert.isTrue(resolved.some((e) => e.outcome === "backed-out"), "some had not")
        })),
      120_000
    )
  })
}
