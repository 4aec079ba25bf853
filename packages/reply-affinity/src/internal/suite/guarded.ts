import { assert, describe, it } from "@effect/vitest"
import { Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Cause, Effect, Exit, Fiber, Option, Queue } from "effect"
import { hex } from "../identifiers.ts"
import {
  client,
  connection,
  defineQueue,
  guard,
  run,
  serve,
  setup,
  type SuiteLayer,
  type SuiteTarget,
  text,
  whereIs
} from "./helpers.ts"

/** The responder under a transaction guard: commits of unknown outcome and poison requests. */
export const guardedCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = run(suiteLayer)
  const [firstMember] = target.members

  describe("responder under a transaction guard", () => {
    it.live("a commit answered 2549 after it happened is resolved by the ledger: one reply, and the requester gets it", () =>
      on(Effect.gen(function*() {
        const control = yield* QueueManagerControl
        const { depth, holds, queues } = yield* setup(target, "GCOMMIT")
        const ledgerQueue = yield* defineQueue(firstMember, "GCOMMIT.L")
        const responder = yield* connection(target.member(firstMember))
        const g = yield* guard(responder, { ledgerQueue })
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply })
        const { first } = yield* whereIs(target, c)
        // A server outlives the case: a fault left unused must not reach the next one.
        yield* Effect.addFinalizer(() => control.clearFaults(first.name))
        // Nothing else commits on the queue manager: the responder's first commit is this one.
        yield* control.failNext(first.name, "MQCMIT", 2549, { after: true })
        const handled: Array<string> = []
        yield* serve(
          responder,
          queues.request,
          (request) => Effect.sync(() => (handled.push(text(request)), { body: `answer to ${text(request)}` })),
          g.guard
        )
        const reply = yield* c.affinity.request(queues.request, { body: "once" })
        assert.strictEqual(text(reply), "answer to once")
        const [resolved] = yield* g.events.await("OutcomeResolved")
        assert.strictEqual(resolved!.outcome, "committed")
        // The unit was not run again: the handler answered once, and no second reply is on its way.
        assert.deepStrictEqual(handled, ["once"])
        assert.deepStrictEqual(g.events.of("Rerun"), [])
        assert.strictEqual(yield* depth(first.name, queues.request), 0)
        assert.strictEqual(yield* depth(first.name, queues.reply), 0)
        assert.deepStrictEqual(c.events.of("StrayReply"), [])
        // The settled unit's marker is removed.
        yield* holds(first.name, ledgerQueue, 0)
      })))

    it.live("a poison request is moved to the backout queue by the guard, and the responder goes on with the next", () =>
      on(Effect.gen(function*() {
        const mqi = yield* Mqi
        const { depth, holds, queues } = yield* setup(target, "GPOISON")
        const ledgerQueue = yield* defineQueue(firstMember, "GPOISON.L")
        const backoutQueue = yield* defineQueue(firstMember, "GPOISON.B")
        const requests = yield* defineQueue(firstMember, "GPOISON.Q", { backoutThreshold: 2, backoutQueue })
        const responder = yield* connection(target.member(firstMember))
        const reader = yield* mqi.open(yield* mqi.connect(target.member(firstMember)), { type: "queue", name: backoutQueue }, {
          input: "shared"
        })
        const g = yield* guard(responder, { ledgerQueue })
        const c = yield* client(yield* connection(target.member(firstMember)), { replyQueue: queues.reply })
        // The backout counts the handler saw the poison request with.
        const attempts = yield* Queue.unbounded<number>()
        const serving = yield* serve(
          responder,
          requests,
          (request) =>
            text(request) === "poison"
              ? Effect.andThen(Queue.offer(attempts, request.descriptor.backoutCount), Effect.fail("cannot answer it"))
              : Effect.succeed({ body: `answer to ${text(request)}` }),
          g.guard
        )
        const poison = yield* Effect.forkChild(c.affinity.request(requests, { body: "poison" }, { timeout: "1 minute" }))
        assert.strictEqual(yield* Queue.take(attempts), 0)
        // Behind the poison request, which keeps its place each time it is backed out.
        const reply = yield* c.affinity.request(requests, { body: "next" })
        assert.strictEqual(text(reply), "answer to next")
        assert.deepStrictEqual(yield* Queue.takeAll(attempts), [1])
        const [moved] = yield* g.events.await("PoisonMessageMoved")
        assert.deepInclude(moved, { queue: requests, backoutCount: 2, threshold: 2, destination: backoutQueue })
        yield* holds(firstMember, backoutQueue, 1)
        const aside = yield* mqi.get(reader)
        assert.isTrue(Option.isSome(aside), "the poison request is on the backout queue")
        const message = Option.getOrThrow(aside)
        assert.strictEqual(text(message), "poison")
        assert.strictEqual(hex(message.descriptor.msgId), moved!.msgId)
        assert.strictEqual(yield* depth(firstMember, requests), 0)
        // Still serving: a poison request does not end `serve`.
        assert.isUndefined(serving.pollUnsafe())
        yield* Fiber.interrupt(poison)
      })))

    it.live("a guard built on another connection than the responder's is a defect, before anything is got", () =>
      on(Effect.gen(function*() {
        const { depth, queues } = yield* setup(target, "GOTHER")
        const ledgerQueue = yield* defineQueue(firstMember, "GOTHER.L")
        const responder = yield* connection(target.member(firstMember))
        const other = yield* connection(target.member(firstMember))
        const g = yield* guard(other, { ledgerQueue })
        const c = yield* client(yield* connection(target.member(firstMember)), { replyQueue: queues.reply })
        const serving = yield* serve(responder, queues.request, undefined, g.guard)
        const waiting = yield* Effect.forkChild(c.affinity.request(queues.request, { body: "q" }, { timeout: "1 minute" }))
        const exit = yield* Fiber.await(serving)
        assert.isTrue(Exit.hasDies(exit), "serve dies")
        assert.include(String(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)), "another connection")
        assert.strictEqual(yield* depth(firstMember, queues.request), 1)
        yield* Fiber.interrupt(waiting)
      })))
  })
}
