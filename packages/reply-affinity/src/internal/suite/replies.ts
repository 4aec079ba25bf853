import { assert, describe, it } from "@effect/vitest"
import { type Message, Mqi, MsgType, Report } from "@resilient-mq/core"
import { Effect, Option, Queue, SubscriptionRef } from "effect"
import { BlankReplyToQueueManager, ReplyTimeout } from "../../Errors.ts"
import type { StrayReply } from "../../ReplyAffinity.ts"
import { hex, newIdentifier } from "../identifiers.ts"
import { STRAY_PROPERTY } from "../strays.ts"
import { client, connection, run, serve, setup, type SuiteLayer, type SuiteTarget, text, whereIs } from "./helpers.ts"

/** Replies matched to requests, both correlation modes, stray and late replies, blank reply-to queue managers. */
export const replyCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void => {
  const on = run(suiteLayer)
  const [firstMember] = target.members

  describe("replies", () => {
    it.live("hundreds of requests waiting at once each get their own reply, through one consumer", () =>
      on(Effect.gen(function*() {
        const { queues } = yield* setup(target, "MANY")
        const responders = [yield* connection(target.member(firstMember)), yield* connection(target.member(firstMember))]
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply })
        for (const responder of responders) yield* serve(responder, queues.request)
        const count = 300
        const replies = yield* Effect.forEach(
          Array.from({ length: count }, (_, i) => `request ${i}`),
          (body) => Effect.map(c.affinity.request(queues.request, { body }), (reply) => [body, text(reply)] as const),
          { concurrency: "unbounded" }
        )
        for (const [sent, got] of replies) assert.strictEqual(got, sent)
        assert.strictEqual(yield* SubscriptionRef.get(c.affinity.outstanding), 0)
        assert.deepStrictEqual(c.events.of("StrayReply"), [])
      })))

    it.live("message-id: the request gets a fresh MsgId that the reply carries as its CorrelId", () =>
      on(Effect.gen(function*() {
        const { queues } = yield* setup(target, "MSGID")
        const responder = yield* connection(target.member(firstMember))
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, correlation: "message-id" })
        const { first } = yield* whereIs(target, c)
        const seen = yield* Queue.unbounded<Message>()
        yield* serve(responder, queues.request, (request) =>
          Effect.as(Queue.offer(seen, request), { body: "by message id" }))
        const reply = yield* c.affinity.request(queues.request, { body: "q" })
        const request = yield* Queue.take(seen)
        assert.strictEqual(request.descriptor.report & Report.PASS_CORREL_ID, 0)
        assert.strictEqual(request.descriptor.msgType, MsgType.REQUEST)
        assert.strictEqual(request.descriptor.replyToQ, queues.reply)
        assert.strictEqual(request.descriptor.replyToQMgr, first.name)
        assert.strictEqual(hex(reply.descriptor.correlId), hex(request.descriptor.msgId))
        assert.strictEqual(reply.descriptor.msgType, MsgType.REPLY)
      })))

    it.live("correlation-id: the request gets a fresh CorrelId the responder passes on", () =>
      on(Effect.gen(function*() {
        const { queues } = yield* setup(target, "CORRELID")
        const responder = yield* connection(target.member(firstMember))
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, correlation: "correlation-id" })
        const seen = yield* Queue.unbounded<Message>()
        yield* serve(responder, queues.request, (request) =>
          Effect.as(Queue.offer(seen, request), { body: "by correlation id" }))
        const reply = yield* c.affinity.request(queues.request, { body: "q" })
        const request = yield* Queue.take(seen)
        assert.notStrictEqual(request.descriptor.report & Report.PASS_CORREL_ID, 0)
        assert.strictEqual(hex(reply.descriptor.correlId), hex(request.descriptor.correlId))
        assert.notStrictEqual(hex(request.descriptor.correlId), hex(request.descriptor.msgId))
        assert.strictEqual(text(reply), "by correlation id")
      })))

    it.live("a reply no request waits for goes to the stray handler as unknown", () =>
      on(Effect.gen(function*() {
        const { queues } = yield* setup(target, "UNKNOWN")
        const strays = yield* Queue.unbounded<StrayReply>()
        const c = yield* client(yield* connection(target.group), {
          replyQueue: queues.reply,
          onStray: (stray) => Effect.asVoid(Queue.offer(strays, stray))
        })
        const correlId = newIdentifier()
        yield* c.connection.put1({ type: "queue", name: queues.reply }, { body: "for nobody", descriptor: { correlId } })
        const stray = yield* Queue.take(strays)
        assert.strictEqual(stray.reason, "unknown")
        assert.strictEqual(stray.queue, queues.reply)
        assert.strictEqual(text(stray.message), "for nobody")
        assert.strictEqual(hex(stray.message.descriptor.correlId), hex(correlId))
        assert.strictEqual((yield* c.events.await("StrayReply")).length, 1)
      })))

    it.live("a reply after its request timed out goes to the stray queue as late", () =>
      on(Effect.gen(function*() {
        const { queues } = yield* setup(target, "LATE")
        const mqi = yield* Mqi
        const reader = yield* mqi.open(yield* mqi.connect(target.member(firstMember)), { type: "queue", name: queues.stray }, {
          input: "shared"
        })
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply, strayQueue: queues.stray })
        const { first } = yield* whereIs(target, c)
        const timedOut = yield* Effect.flip(c.affinity.request(queues.request, { body: "slow" }, { timeout: "200 millis" }))
        assert.instanceOf(timedOut, ReplyTimeout)
        assert.strictEqual(timedOut.sentThrough?.qmid, first.qmid)
        yield* c.connection.put1(
          { type: "queue", name: queues.reply },
          { body: "too late", descriptor: { correlId: timedOut.correlId, msgType: MsgType.REPLY } }
        )
        const kept = yield* mqi.get(reader, { wait: "5 seconds" })
        assert.isTrue(Option.isSome(kept), "the late reply is on the stray queue")
        const message = Option.getOrThrow(kept)
        assert.strictEqual(text(message), "too late")
        assert.strictEqual(message.properties[STRAY_PROPERTY], "late")
        assert.strictEqual(hex(message.descriptor.correlId), hex(timedOut.correlId))
        assert.strictEqual((yield* c.events.await("StrayReply"))[0]?.strayQueue, queues.stray)
      })))

    it.live("a blank reply-to queue manager in a group is a warning event, and in strict mode an error before the put", () =>
      on(Effect.gen(function*() {
        const { depth, queues } = yield* setup(target, "BLANK")
        const responder = yield* connection(target.member(firstMember))
        // A reply queue of its own: replies to the other client's requests are not its own.
        const connections = [yield* connection(target.group), yield* connection(target.group)] as const
        const strict = yield* client(connections[0], { replyQueue: queues.stray, strict: true })
        const lenient = yield* client(connections[1], { replyQueue: queues.reply })
        const { first } = yield* whereIs(target, lenient)
        yield* serve(responder, queues.request)
        const reply = yield* lenient.affinity.request(queues.request, { body: "blank" }, { replyTo: { queueManager: "" } })
        assert.strictEqual(text(reply), "blank")
        const warned = yield* lenient.events.await("BlankReplyToQueueManager")
        assert.strictEqual(warned.length, 1)
        assert.strictEqual(warned[0]!.request.replyToQueue, queues.reply)

        const error = yield* Effect.flip(strict.affinity.request(queues.request, { body: "refused" }, { replyTo: { queueManager: "" } }))
        assert.instanceOf(error, BlankReplyToQueueManager)
        assert.strictEqual(yield* depth(first.name, queues.request), 0)
      })))

    it.live("a request may name another reply queue, read by a consumer of its own", () =>
      on(Effect.gen(function*() {
        const { depth, queues } = yield* setup(target, "NAMED")
        const responder = yield* connection(target.member(firstMember))
        const c = yield* client(yield* connection(target.group), { replyQueue: queues.reply })
        const { first } = yield* whereIs(target, c)
        yield* serve(responder, queues.request)
        const replies = yield* Effect.forEach(
          ["a", "b", "c"],
          (body) => c.affinity.request(queues.request, { body }, { replyTo: { queue: queues.stray } }),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(replies.map(text), ["a", "b", "c"])
        assert.strictEqual(yield* depth(first.name, queues.reply), 0)
      })))
  })
}
