import { assert, describe, it } from "@effect/vitest"
import { ConnectionUnavailable, Persistence, QueueManagerControl } from "@resilient-mq/core"
import { Cause, Config, Effect, Exit, Fiber, Layer, SubscriptionRef } from "effect"
import { ReplyOrphaned } from "../../Errors.ts"
import { layer } from "../../ReplyAffinity.ts"
import {
  client,
  connection,
  eventually,
  failOver,
  run,
  serve,
  setup,
  type SuiteLayer,
  type SuiteTarget,
  text,
  whereIs
} from "./helpers.ts"

/** Requests waiting while the connection moves: each policy, reconnects to the same queue manager, and silent moves. */
export const failoverCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = run(suiteLayer)
  const [firstMember, otherMember] = target.members

  describe("failover", () => {
    it.live("fail: a request waiting when the connection fails over fails at once with ReplyOrphaned naming both", () =>
      on(Effect.gen(function*() {
        const { holds, queues } = yield* setup(target, "FAIL")
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, policy: "fail", timeout: "1 minute" })
        const { first, other } = yield* whereIs(target, c)
        const waiting = yield* Effect.forkChild(Effect.flip(c.affinity.request(queues.request, { body: "to the first" })))
        yield* holds(first.name, queues.request, 1)
        yield* failOver(first.name)
        const error = yield* Fiber.join(waiting)
        assert.instanceOf(error, ReplyOrphaned)
        assert.deepStrictEqual(error.sentThrough, { name: first.name, qmid: first.qmid })
        assert.strictEqual(error.now.name, other)
        assert.notStrictEqual(error.now.qmid, first.qmid)
        assert.include(error.message, first.name)
        assert.include(error.message, other)
        const orphaned = yield* c.events.await("Orphaned")
        assert.strictEqual(orphaned.length, 1)
        assert.strictEqual(orphaned[0]!.request.replyToQueueManager, first.name)
        const changed = yield* c.events.await("QueueManagerChanged")
        assert.isTrue(changed.some((e) => e.from.qmid === first.qmid && e.to.name === other))
        assert.strictEqual(yield* SubscriptionRef.get(c.affinity.outstanding), 0)
      })))

    it.live("resend: a request waiting when the connection fails over is put again there, and its reply comes", () =>
      on(Effect.gen(function*() {
        const { holds, queues } = yield* setup(target, "RESEND")
        const responder = yield* connection(target.member(otherMember))
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, policy: "resend" })
        const { first, other } = yield* whereIs(target, c)
        yield* serve(responder, queues.request)
        const waiting = yield* Effect.forkChild(c.affinity.request(queues.request, { body: "answer me anywhere" }))
        yield* holds(first.name, queues.request, 1)
        yield* failOver(first.name)
        const reply = yield* Fiber.join(waiting)
        assert.strictEqual(text(reply), "answer me anywhere")
        const resent = yield* c.events.await("Resent")
        assert.strictEqual(resent.length, 1)
        assert.strictEqual(resent[0]!.from.qmid, first.qmid)
        assert.strictEqual(resent[0]!.to.name, other)
        assert.strictEqual(resent[0]!.request.replyToQueueManager, other)
        assert.deepStrictEqual(c.events.of("Orphaned"), [])
      })))

    it.live("resend: a temporary dynamic reply queue is made again under its name on the other, and the reply comes to it", () =>
      on(Effect.gen(function*() {
        const { holds, queues } = yield* setup(target, "DYNAMIC")
        const responder = yield* connection(target.member(otherMember))
        const c = yield* client(yield* connection(target.group), {
          replyModel: "SYSTEM.DEFAULT.MODEL.QUEUE",
          dynamicQueueName: "RA.REPLY.*",
          policy: "resend"
        })
        assert.match(c.affinity.replyQueue, /^RA\.REPLY\./)
        const { first } = yield* whereIs(target, c)
        yield* serve(responder, queues.request)
        const waiting = yield* Effect.forkChild(c.affinity.request(queues.request, { body: "to a dynamic queue" }))
        yield* holds(first.name, queues.request, 1)
        yield* failOver(first.name)
        const reply = yield* Fiber.join(waiting)
        assert.strictEqual(text(reply), "to a dynamic queue")
        assert.strictEqual((yield* c.events.await("Resent"))[0]?.request.replyToQueue, c.affinity.replyQueue)
      })))

    it.live("pin: the connection refuses the other queue manager, and the waiting request fails with it at once", () =>
      on(Effect.gen(function*() {
        const { depth, holds, queues } = yield* setup(target, "PIN")
        const c = yield* client(yield* connection(target.group, "same"), { replyQueue: queues.reply, policy: "pin", timeout: "1 minute" })
        const { first, other } = yield* whereIs(target, c)
        const waiting = yield* Effect.forkChild(Effect.flip(c.affinity.request(queues.request, { body: "stay" })))
        yield* holds(first.name, queues.request, 1)
        yield* failOver(first.name)
        const error = yield* Fiber.join(waiting)
        assert.instanceOf(error, ConnectionUnavailable)
        assert.isTrue(error.cause instanceof Error && error.cause.name === "ReconnectQmidMismatch", String(error.cause))
        yield* eventually("the connection has failed", Effect.map(SubscriptionRef.get(c.connection.state), (s) => s._tag === "Failed"))
        assert.strictEqual(yield* depth(other, queues.request), 0, "nothing was sent through the other")
        assert.deepStrictEqual(c.events.of("Resent"), [])
      })))

    it.live("pin: across a restart of the same queue manager the persistent request's reply arrives", () =>
      on(Effect.gen(function*() {
        const { holds, queues } = yield* setup(target, "PINNED")
        const control = yield* QueueManagerControl
        const responder = yield* connection(target.member(firstMember))
        const c = yield* client(yield* connection(target.group, "same"), { replyQueue: queues.reply, policy: "pin" })
        const { first } = yield* whereIs(target, c)
        const waiting = yield* Effect.forkChild(
          c.affinity.request(queues.request, { body: "kept", descriptor: { persistence: Persistence.PERSISTENT } })
        )
        yield* holds(first.name, queues.request, 1)
        yield* control.restart(first.name)
        yield* serve(responder, queues.request)
        const reply = yield* Fiber.join(waiting)
        assert.strictEqual(text(reply), "kept")
        assert.strictEqual(reply.descriptor.persistence, Persistence.PERSISTENT)
        assert.deepStrictEqual(c.events.of("Orphaned"), [])
        assert.deepStrictEqual(c.events.of("QueueManagerChanged"), [])
      })))

    it.live("pin is refused when the connection's reconnect mode is not `same`", () =>
      on(Effect.gen(function*() {
        const connected = yield* connection(target.group)
        const exit = yield* Effect.exit(Layer.build(layer({ policy: "pin" })).pipe(Effect.provideContext(connected)))
        const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        assert.instanceOf(error, Config.ConfigError)
        assert.match(String(error), /policy/)
        assert.match(String(error), /"same"/)
      })))

    it.live("a reconnect to the same queue manager orphans nothing: the reply still comes", () =>
      on(Effect.gen(function*() {
        const { holds, queues } = yield* setup(target, "SAME")
        const control = yield* QueueManagerControl
        const responder = yield* connection(target.member(firstMember))
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, policy: "fail" })
        const { first } = yield* whereIs(target, c)
        const waiting = yield* Effect.forkChild(c.affinity.request(queues.request, { body: "still here" }))
        yield* holds(first.name, queues.request, 1)
        yield* control.breakConnections(first.name)
        yield* c.connectionEvents.await("Reconnected")
        yield* serve(responder, queues.request)
        assert.strictEqual(text(yield* Fiber.join(waiting)), "still here")
        assert.isTrue(c.connectionEvents.of("Reconnected").every((e) => e.sameQueueManager))
        assert.deepStrictEqual(c.events.of("Orphaned"), [])
        assert.deepStrictEqual(c.events.of("QueueManagerChanged"), [])
      })))

    it.live("a move no event reports (the MQ client's reconnect) is found by the interval's inquiry", () =>
      on(Effect.gen(function*() {
        const { holds, queues } = yield* setup(target, "SILENT")
        const control = yield* QueueManagerControl
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, policy: "fail", checkInterval: "100 millis" })
        const { first, other } = yield* whereIs(target, c)
        const waiting = yield* Effect.forkChild(Effect.flip(c.affinity.request(queues.request, { body: "unseen" })))
        yield* holds(first.name, queues.request, 1)
        yield* control.moveConnections(first.name, other)
        const error = yield* Fiber.join(waiting)
        assert.instanceOf(error, ReplyOrphaned)
        assert.strictEqual(error.sentThrough.qmid, first.qmid)
        assert.strictEqual(error.now.name, other)
        const changed = yield* c.events.await("QueueManagerChanged")
        assert.deepStrictEqual(changed.map((e) => [e.from.name, e.to.name, e.detectedBy]), [[first.name, other, "inquiry"]])
        assert.deepStrictEqual(yield* c.connection.queueManager, first, "the connection itself saw nothing")
        assert.deepStrictEqual(c.connectionEvents.tags(), [])
      })))

    it.live("a move no event reports is found when a put answers 2549, and resend answers every request there", () =>
      on(Effect.gen(function*() {
        const { holds, queues } = yield* setup(target, "INTERRUPTED")
        const control = yield* QueueManagerControl
        const responder = yield* connection(target.member(otherMember))
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, policy: "resend", checkInterval: false })
        const { first, other } = yield* whereIs(target, c)
        yield* serve(responder, queues.request)
        const earlier = yield* Effect.forkChild(c.affinity.request(queues.request, { body: "sent before the move" }))
        yield* holds(first.name, queues.request, 1)
        yield* control.moveConnections(first.name, other)
        // The put in flight when the MQ client reconnected: 2549, and not done.
        yield* control.failNext(other, "MQPUT1", 2549)
        const later = yield* c.affinity.request(queues.request, { body: "interrupted" })
        assert.strictEqual(text(later), "interrupted")
        assert.strictEqual(text(yield* Fiber.join(earlier)), "sent before the move")
        const changed = yield* c.events.await("QueueManagerChanged")
        assert.deepStrictEqual(changed.map((e) => [e.from.name, e.to.name, e.detectedBy]), [[first.name, other, "inquiry"]])
        assert.strictEqual((yield* c.events.await("Resent", 2)).length, 2)
        assert.deepStrictEqual(yield* c.connection.queueManager, first, "the connection itself saw nothing")
        assert.deepStrictEqual(c.connectionEvents.tags(), [])
      })))
  })
}
