import { assert, describe, it } from "@effect/vitest"
import {
  layer as connectionLayer,
  type Message,
  MqConnection,
  type MessageDescriptor,
  MqError,
  MsgType,
  Persistence,
  QueueManagerControl,
  Report
} from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { ConfigProvider, Effect, Fiber, Layer, Metric, Queue, type Scope, SubscriptionRef } from "effect"
import { layer, layerConfig, metrics, ReplyAffinity, type ReplyAffinityOptions, ReplyTimeout, Responder } from "../src/index.ts"

const REQUESTS = "APP.REQUESTS"
const REPLIES = "APP.REPLIES"

type Services = ReplyAffinity | MqConnection | QueueManagerControl | Scope.Scope

const connection = connectionLayer({ connect: { queueManager: "QM1" }, heartbeat: false }).pipe(
  Layer.provide(Retry.layer({ connection: { initialDelay: "20 millis", maxDelay: "100 millis", jitter: 0, deadline: "5 seconds" } })),
  Layer.provideMerge(Emulator.layer({ queueManagers: [{ name: "QM1", queues: { [REQUESTS]: {}, [REPLIES]: {} } }] }))
)

/** Runs a case against a fresh QM1, with a requester on its own connection, and metrics of its own. */
const run = (requester: Layer.Layer<ReplyAffinity, unknown, MqConnection> = layer({ replyQueue: REPLIES })) =>
<A, E>(body: Effect.Effect<A, E, Services>) =>
  body.pipe(
    Effect.scoped,
    Effect.provide(requester.pipe(Layer.provideMerge(connection))),
    Effect.provideService(Metric.MetricRegistry, new Map())
  )

/** The message of the `ConfigError` building a requester with these options fails with. */
const configError = (options: ReplyAffinityOptions) =>
  Effect.scoped(Layer.build(layer(options))).pipe(
    Effect.provide(connection),
    Effect.flip,
    Effect.map((error) => {
      assert.strictEqual(error._tag, "ConfigError")
      return error.message
    })
  )

const echo = (request: Message) => Effect.succeed({ body: request.body })

const text = (message: Message) => new TextDecoder().decode(message.body)

/** Waits (at most 5 seconds) until `check` holds. */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    while (!(yield* check)) yield* Effect.sleep("10 millis")
  }).pipe(Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die(new Error("it never happened")) }))

describe("options", () => {
  it.live("invalid options fail with a ConfigError naming each of them", () =>
    Effect.gen(function*() {
      const message = yield* configError({
        dynamicQueueName: "A*B",
        policy: "sometimes" as never,
        timeout: 0,
        checkInterval: "-1 second" as never,
        strayQueue: ""
      })
      for (const option of ["dynamicQueueName", "policy", "timeout", "checkInterval", "strayQueue"]) {
        assert.include(message, `["${option}"]`)
      }
      const both = yield* configError({
        replyQueue: REPLIES,
        replyModel: "SYSTEM.DEFAULT.MODEL.QUEUE",
        strayQueue: "STRAY",
        onStray: () => Effect.void
      })
      assert.include(both, `["replyModel"]`)
      assert.include(both, `["onStray"]`)
      assert.include(yield* configError({ replyQueue: REPLIES, dynamicQueueName: "X.*" }), `["dynamicQueueName"]`)
    }))

  it.live("pin needs a connection whose reconnect mode is `same`", () =>
    Effect.gen(function*() {
      const message = yield* configError({ policy: "pin" })
      assert.include(message, `["policy"]`)
      assert.include(message, `"pin" needs a connection whose reconnect mode is "same", and this one's is "any"`)
    }))

  it.live("options read from configuration", () =>
    run(layerConfig("RA").pipe(
      Layer.provide(Layer.succeed(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({
        RA_replyQueue: REPLIES,
        RA_policy: "resend",
        RA_timeout: "2 seconds",
        RA_checkInterval: "0 millis"
      })))
    ))(Effect.gen(function*() {
      assert.strictEqual((yield* ReplyAffinity).replyQueue, REPLIES)
    })))

  it.live("without a reply queue, replies come to a temporary dynamic queue", () =>
    run(layer({ dynamicQueueName: "MY.REPLIES.*" }))(Effect.gen(function*() {
      const affinity = yield* ReplyAffinity
      assert.match(affinity.replyQueue, /^MY\.REPLIES\./)
      yield* Effect.forkScoped(Responder.serve(REQUESTS, echo, { wait: "50 millis" }))
      assert.strictEqual(text(yield* affinity.request(REQUESTS, { body: "to a dynamic queue" })), "to a dynamic queue")
    })))
})

describe("requests", () => {
  it.live("a put the queue manager refuses fails the request with it, and nothing waits", () =>
    run()(Effect.gen(function*() {
      const affinity = yield* ReplyAffinity
      const error = yield* Effect.flip(affinity.request("NO.SUCH.QUEUE", { body: "lost" }))
      assert.isTrue(error instanceof MqError && error.reason === 2085, String(error))
      assert.strictEqual(yield* SubscriptionRef.get(affinity.outstanding), 0)
    })))

  it.live("a put that answers 2549 on the same queue manager fails with it: whether it was put is unknown", () =>
    run()(Effect.gen(function*() {
      const affinity = yield* ReplyAffinity
      yield* (yield* QueueManagerControl).failNext("QM1", "MQPUT1", 2549, { after: true })
      const error = yield* Effect.flip(affinity.request(REQUESTS, { body: "maybe" }))
      assert.isTrue(error instanceof MqError && error.errorClass === "outcome-unknown", String(error))
      assert.strictEqual(yield* SubscriptionRef.get(affinity.outstanding), 0)
    })))

  it.live("the metrics count waiting requests, round trips, timeouts and stray replies", () =>
    run()(Effect.gen(function*() {
      const affinity = yield* ReplyAffinity
      const mq = yield* MqConnection
      const served = yield* Effect.forkScoped(Responder.serve(REQUESTS, echo, { wait: "50 millis" }))
      yield* affinity.request(REQUESTS, { body: "one" })
      yield* Fiber.interrupt(served)
      const timedOut = yield* Effect.flip(affinity.request(REQUESTS, { body: "unanswered" }, { timeout: "100 millis" }))
      assert.instanceOf(timedOut, ReplyTimeout)
      yield* mq.put1({ type: "queue", name: REPLIES }, { body: "late", descriptor: { correlId: timedOut.correlId } })
      const lateStrays = Metric.withAttributes(metrics.stray, { reason: "late" })
      yield* eventually(Effect.map(Metric.value(lateStrays), (state) => state.count === 1))
      assert.strictEqual((yield* Metric.value(Metric.withAttributes(metrics.roundTrip, { queue: REQUESTS }))).count, 1)
      assert.strictEqual((yield* Metric.value(Metric.withAttributes(metrics.timedOut, { queue: REQUESTS }))).count, 1)
      assert.strictEqual((yield* Metric.value(metrics.outstanding)).value, 0)
    })))
})

describe("Responder", () => {
  const request = (report: number): Message => ({
    body: new Uint8Array(),
    dataLength: 0,
    properties: {},
    descriptor: {
      report,
      msgId: Uint8Array.from({ length: 24 }, () => 1),
      correlId: Uint8Array.from({ length: 24 }, () => 2),
      persistence: Persistence.PERSISTENT,
      replyToQ: REPLIES,
      replyToQMgr: "QM1"
    } as MessageDescriptor
  })
  const chosen = { msgId: new Uint8Array(24).fill(9), correlId: new Uint8Array(24).fill(9), priority: 4 }

  it("by default the reply's CorrelId is the request's MsgId and its MsgId is new", () => {
    const reply = Responder.replyDescriptor(request(0), { body: "", descriptor: chosen })
    assert.deepStrictEqual(reply.correlId, request(0).descriptor.msgId)
    assert.isUndefined(reply.msgId)
    assert.strictEqual(reply.msgType, MsgType.REPLY)
    assert.strictEqual(reply.persistence, Persistence.PERSISTENT)
    assert.strictEqual(reply.priority, 4)
  })

  it("PASS_CORREL_ID passes the request's CorrelId, PASS_MSG_ID its MsgId", () => {
    const reply = Responder.replyDescriptor(request(Report.PASS_CORREL_ID | Report.PASS_MSG_ID), { body: "", descriptor: chosen })
    assert.deepStrictEqual(reply.correlId, request(0).descriptor.correlId)
    assert.deepStrictEqual(reply.msgId, request(0).descriptor.msgId)
  })

  it.live("a request without a reply-to queue is handled and gets no reply; the responder goes on", () =>
    run()(Effect.gen(function*() {
      const mq = yield* MqConnection
      const handled = yield* Queue.unbounded<string>()
      yield* Effect.forkScoped(Responder.serve(REQUESTS, (m) => Effect.as(Queue.offer(handled, text(m)), { body: "unsent" }), {
        wait: "50 millis"
      }))
      for (const body of ["a datagram", "another"]) {
        yield* mq.put1({ type: "queue", name: REQUESTS }, { body })
        assert.strictEqual(yield* Queue.take(handled), body)
      }
    })))
})
