import { assert, describe, it } from "@effect/vitest"
import * as Retry from "@resilient-mq/retry"
import { Duration, Effect, Fiber, Layer, Option, Ref, type Scope, Stream, SubscriptionRef } from "effect"
import type { ConnectOptions } from "../../ConnectOptions.ts"
import { Persistence } from "../../MessageDescriptor.ts"
import {
  type ConnectionEvent,
  ConnectionUnavailable,
  layer as connectionLayer,
  MqConnection,
  type MqConnectionOptions
} from "../../MqConnection.ts"
import { isMqError } from "../../MqError.ts"
import { Mqi } from "../../Mqi.ts"
import { QueueManagerControl } from "../../QueueManagerControl.ts"
import { defineQueue, type SuiteLayer, text, uniqueName, uniqueTopic } from "./helpers.ts"

/** What the resilience cases run against: a queue manager, and optionally a group of two. */
export interface ResilienceTarget {
  readonly queueManager: string
  readonly connect: ConnectOptions
  /** Two running queue managers of one group, and how to connect to "any of them". */
  readonly group?: {
    readonly members: readonly [string, string]
    readonly connect: ConnectOptions
  }
}

// Fast enough for a test, slow enough that the events between attempts can be seen.
const policy = Retry.layer({
  connection: { initialDelay: "20 millis", maxDelay: "200 millis", jitter: 0, deadline: "3 seconds" }
})

type Services = Mqi | QueueManagerControl | MqConnection | Scope.Scope

/** Runs a case on a fresh build of the layer, with a connection made by `options`. */
const withConnection = (suiteLayer: SuiteLayer, options: MqConnectionOptions) =>
<A, E>(body: Effect.Effect<A, E, Services>) =>
  Effect.scoped(body).pipe(
    Effect.provide(connectionLayer(options).pipe(Layer.provide(policy), Layer.provideMerge(suiteLayer)))
  )

/** Collects the connection's events from now on. */
const recordEvents = Effect.gen(function*() {
  const connection = yield* MqConnection
  const events = yield* Ref.make<ReadonlyArray<ConnectionEvent>>([])
  yield* Effect.forkScoped(Stream.runForEach(connection.events, (event) => Ref.update(events, (all) => [...all, event])))
  yield* Effect.yieldNow
  return {
    tags: Effect.map(Ref.get(events), (all) => all.map((e) => e._tag)),
    all: Ref.get(events),
    /** Waits until an event with the tag has been seen. */
    await: (tag: ConnectionEvent["_tag"]) =>
      Effect.gen(function*() {
        while (!(yield* Ref.get(events)).some((e) => e._tag === tag)) yield* Effect.sleep("10 millis")
      }).pipe(Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die(new Error(`no ${tag} event`)) }))
  }
})

const connectedTo = Effect.flatMap(MqConnection, (c) => c.queueManager)

export const resilienceCases = (suiteLayer: SuiteLayer, target: ResilienceTarget): void => {
  const qm = target.queueManager
  const on = withConnection(suiteLayer, { connect: target.connect, heartbeat: false })

  describe("MqConnection", () => {
    it.live("a restart is survived: the next call waits for the reconnect, and the events tell", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "RESTART", { defaultPersistent: true })
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const events = yield* recordEvents
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, input: "shared", inquire: true })
        yield* connection.put(object, { body: "before" })
        yield* control.restart(qm)
        const depth = yield* connection.inquire(object, ["CurrentQDepth"])
        assert.strictEqual(depth.CurrentQDepth, 1)
        yield* connection.put(object, { body: "after" })
        yield* events.await("Reconnected")
        assert.deepStrictEqual(yield* events.tags, ["ConnectionLost", "Reconnected"])
        const reconnected = (yield* events.all).find((e) => e._tag === "Reconnected")
        assert.isTrue(reconnected?._tag === "Reconnected" && reconnected.sameQueueManager)
        assert.deepStrictEqual(Option.map(yield* connection.get(object), text), Option.some("before"))
        assert.deepStrictEqual(Option.map(yield* connection.get(object), text), Option.some("after"))
      })))

    it.live("calls made while the queue manager is stopped wait and complete once it is back", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "STOPPED")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const events = yield* recordEvents
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, input: "shared" })
        yield* control.stop(qm, { mode: "immediate", reconnect: true })
        const waiting = yield* Effect.forkChild(connection.get(object, { wait: "2 seconds" }))
        yield* events.await("Reconnecting")
        yield* control.start(qm)
        yield* events.await("Reconnected")
        yield* connection.put(object, { body: "meanwhile" })
        assert.deepStrictEqual(Option.map(yield* Fiber.join(waiting), text), Option.some("meanwhile"))
        const state = yield* SubscriptionRef.get(connection.state)
        assert.strictEqual(state._tag, "Connected")
      })))

    it.live("a quiesced queue manager refuses the put, which is made once after the reconnect", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "QUIESCE")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const events = yield* recordEvents
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, inquire: true })
        yield* control.stop(qm, { mode: "quiesce", reconnect: true })
        const put = yield* Effect.forkChild(connection.put(object, { body: "once" }))
        yield* events.await("ConnectionLost")
        yield* control.stop(qm, { mode: "immediate" })
        yield* control.start(qm)
        yield* Fiber.join(put)
        assert.strictEqual((yield* connection.inquire(object, ["CurrentQDepth"])).CurrentQDepth, 1)
      })))

    it.live("a commit cut off with its connection fails as outcome-unknown", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "CUTCOMMIT")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true })
        yield* connection.put(object, { body: "maybe" }, { syncpoint: true })
        yield* control.breakConnections(qm)
        const error = yield* Effect.flip(connection.commit)
        assert.isTrue(isMqError(error) && error.verb === "MQCMIT" && error.errorClass === "outcome-unknown", String(error))
      })))

    it.live("a put cut off with its connection fails as outcome-unknown and is not made again", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "UNKNOWN")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, inquire: true })
        yield* control.failNext(qm, "MQPUT", 2009, { after: true })
        const error = yield* Effect.flip(connection.put(object, { body: "maybe" }))
        assert.isTrue(isMqError(error) && error.errorClass === "outcome-unknown", String(error))
        assert.strictEqual((yield* connection.inquire(object, ["CurrentQDepth"])).CurrentQDepth, 1)
      })))

    it.live("a unit of work cut off by a break fails with 2003 until it is backed out", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "UNIT")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, input: "shared" })
        yield* connection.put(object, { body: "first" }, { syncpoint: true })
        yield* control.breakConnections(qm)
        const cut = yield* Effect.flip(connection.put(object, { body: "second" }, { syncpoint: true }))
        assert.isTrue(isMqError(cut) && cut.reason === 2003 && cut.errorClass === "backed-out", String(cut))
        const again = yield* Effect.flip(connection.put(object, { body: "third" }, { syncpoint: true }))
        assert.isTrue(isMqError(again) && again.reason === 2003, String(again))
        yield* connection.backout
        yield* connection.put(object, { body: "redone" }, { syncpoint: true })
        yield* connection.commit
        assert.deepStrictEqual(Option.map(yield* connection.get(object), text), Option.some("redone"))
        assert.isTrue(Option.isNone(yield* connection.get(object)))
      })))

    it.live("a commit after the break was noticed reports 2003 and the next unit works", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "COMMIT")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, input: "shared", inquire: true })
        yield* connection.put(object, { body: "lost" }, { syncpoint: true })
        yield* control.breakConnections(qm)
        // Outside the unit, an inquiry notices the break (and waits for the reconnect).
        yield* connection.inquire(object, ["CurrentQDepth"])
        const error = yield* Effect.flip(connection.commit)
        assert.isTrue(isMqError(error) && error.reason === 2003, String(error))
        yield* connection.put(object, { body: "kept" }, { syncpoint: true })
        yield* connection.commit
        assert.deepStrictEqual(Option.map(yield* connection.get(object), text), Option.some("kept"))
      })))

    it.live("refused connections make it give up at the deadline, and waiting calls fail", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "REFUSED")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const events = yield* recordEvents
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, inquire: true })
        yield* control.refuseConnections(qm, 2059)
        yield* control.breakConnections(qm)
        const error = yield* Effect.flip(connection.inquire(object, ["CurrentQDepth"]))
        assert.instanceOf(error, ConnectionUnavailable)
        const failed = (yield* events.all).find((e) => e._tag === "ReconnectFailed")
        assert.isTrue(failed?._tag === "ReconnectFailed" && failed.reason._tag === "ReconnectTimedOut")
        assert.isAbove((yield* events.tags).filter((t) => t === "Reconnecting").length, 2)
        yield* control.clearFaults(qm)
      })))

    it.live("rejected credentials stop reconnecting at once, saying what to fix", () =>
      on(Effect.gen(function*() {
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const events = yield* recordEvents
        const manager = yield* connection.open({ type: "queue-manager" }, { inquire: true })
        yield* control.refuseConnections(qm, 2035)
        yield* control.breakConnections(qm)
        const error = yield* Effect.flip(connection.inquire(manager, ["QMgrName"]))
        assert.instanceOf(error, ConnectionUnavailable)
        const tags = yield* events.tags
        assert.deepStrictEqual(tags, ["ConnectionLost", "ReconnectFailed"])
        const failed = (yield* events.all).find((e) => e._tag === "ReconnectFailed")
        assert.isTrue(failed?._tag === "ReconnectFailed" && failed.reason._tag === "ReconnectAborted")
        assert.include(error.message, "user and password")
        yield* control.clearFaults(qm)
      })))

    it.live("the first connect is retried until a late queue manager starts", () =>
      Effect.gen(function*() {
        const control = yield* QueueManagerControl
        yield* control.stop(qm, { mode: "immediate" })
        const starter = yield* Effect.forkChild(Effect.delay(control.start(qm), "300 millis"))
        const name = yield* Effect.scoped(
          Effect.flatMap(MqConnection, (c) => c.queueManager).pipe(
            Effect.provide(connectionLayer({ connect: target.connect, heartbeat: false }).pipe(Layer.provide(policy)))
          )
        )
        yield* Fiber.join(starter)
        assert.strictEqual(name.name, qm)
      }).pipe(Effect.provide(suiteLayer)))

    it.live("the idle heartbeat notices a dead connection before the next call", () =>
      withConnection(suiteLayer, { connect: target.connect, heartbeat: "100 millis" })(Effect.gen(function*() {
        const control = yield* QueueManagerControl
        const events = yield* recordEvents
        yield* control.breakConnections(qm)
        yield* events.await("Reconnected")
        assert.deepStrictEqual((yield* events.tags).slice(0, 2), ["ConnectionLost", "Reconnected"])
      })))

    it.live("an open browse queue is reopened and says its cursor restarted", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "BROWSE")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const events = yield* recordEvents
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, browse: true })
        for (const body of ["a", "b"]) yield* connection.put(object, { body })
        assert.deepStrictEqual(Option.map(yield* connection.get(object, { browse: "next" }), text), Option.some("a"))
        yield* control.breakConnections(qm)
        assert.deepStrictEqual(Option.map(yield* connection.get(object, { browse: "next" }), text), Option.some("a"))
        const reset = (yield* events.all).find((e) => e._tag === "BrowseCursorReset")
        assert.isTrue(reset?._tag === "BrowseCursorReset" && reset.object === queue)
      })))

    it.live("a temporary dynamic queue is made again under the same name", () =>
      on(Effect.gen(function*() {
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const object = yield* connection.open(
          { type: "queue", name: "SYSTEM.DEFAULT.MODEL.QUEUE", dynamicQueueName: "RESILIENT.*" },
          { output: true, input: "exclusive", inquire: true }
        )
        assert.isTrue(object.name.startsWith("RESILIENT."))
        yield* control.breakConnections(qm)
        const names = yield* connection.inquire(object, ["QName"])
        assert.strictEqual(names.QName, object.name)
        yield* connection.put(object, { body: "again" })
        assert.deepStrictEqual(Option.map(yield* connection.get(object), text), Option.some("again"))
      })))

    it.live("a durable subscription resumes with what was published while the connection was away", () =>
      on(Effect.gen(function*() {
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const mqi = yield* Mqi
        const topic = uniqueTopic("durable")
        const subscription = yield* connection.subscribe({ topicString: topic, durable: true, name: `SUB.${topic}` })
        yield* control.breakConnections(qm)
        const publisher = yield* mqi.connect(target.connect)
        yield* mqi.put1(publisher, { type: "topic", topicString: topic }, { body: "while away" })
        const got = yield* connection.get(subscription.destination, { wait: "2 seconds" })
        assert.deepStrictEqual(Option.map(got, text), Option.some("while away"))
        yield* connection.unsubscribe(subscription, { subscription: "remove" })
      })))

    it.live("a consumer keeps receiving across a reconnect", () =>
      on(Effect.gen(function*() {
        const queue = yield* defineQueue(target, "CONSUME")
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const object = yield* connection.open({ type: "queue", name: queue }, { output: true, input: "shared" })
        const received = yield* Effect.forkChild(connection.consume(object).pipe(Stream.map(text), Stream.take(6), Stream.runCollect))
        for (const body of ["1", "2", "3"]) yield* connection.put(object, { body })
        yield* Effect.sleep("100 millis")
        yield* control.breakConnections(qm)
        yield* connection.inquire(object, ["CurrentQDepth"]).pipe(Effect.ignore)
        for (const body of ["4", "5", "6"]) yield* connection.put(object, { body })
        const all = yield* Fiber.join(received).pipe(
          Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die(new Error("the consumer stopped")) })
        )
        assert.deepStrictEqual([...all], ["1", "2", "3", "4", "5", "6"])
      })))

    it.live("a consumer under syncpoint survives ten failovers without losing or duplicating a committed message", () =>
      on(Effect.gen(function*() {
        const input = yield* defineQueue(target, "IN", { defaultPersistent: true })
        const output = yield* defineQueue(target, "OUT", { defaultPersistent: true })
        const connection = yield* MqConnection
        const control = yield* QueueManagerControl
        const mqi = yield* Mqi
        const count = 60
        const feeder = yield* mqi.connect(target.connect)
        const inbound = yield* mqi.open(feeder, { type: "queue", name: input }, { output: true })
        for (let i = 0; i < count; i++) {
          yield* mqi.put(inbound, { body: `m${i}`, descriptor: { persistence: Persistence.PERSISTENT } })
        }
        const source = yield* connection.open({ type: "queue", name: input }, { input: "shared" })
        const sink = yield* connection.open({ type: "queue", name: output }, { output: true })
        const processed = yield* Ref.make(0)
        const worker = yield* Effect.forkChild(
          connection.consumeWith(source, (message) =>
            Effect.gen(function*() {
              yield* connection.put(sink, { body: message.body, descriptor: { persistence: Persistence.PERSISTENT } }, { syncpoint: true })
              yield* Ref.update(processed, (n) => n + 1)
              // Give the breaks a chance to land between the put and the commit.
              yield* Effect.sleep("2 millis")
            }), { wait: "50 millis" }).pipe(Stream.runDrain)
        )
        for (let i = 0; i < 10; i++) {
          yield* Effect.sleep(Duration.millis(15 + 7 * i))
          yield* control.breakConnections(qm)
        }
        const reader = yield* mqi.connect(target.connect)
        const out = yield* mqi.open(reader, { type: "queue", name: output }, { input: "shared" })
        const delivered: Array<string> = []
        while (delivered.length < count) {
          const message = yield* mqi.get(out, { wait: "5 seconds" })
          if (Option.isNone(message)) break
          delivered.push(text(message.value))
        }
        yield* Fiber.interrupt(worker)
        assert.isTrue(Option.isNone(yield* mqi.get(out, { wait: "200 millis" })), "no message is delivered twice")
        assert.deepStrictEqual([...delivered].sort(), Array.from({ length: count }, (_, i) => `m${i}`).sort())
        assert.isAtLeast(yield* Ref.get(processed), count)
      })))

    if (target.group !== undefined) {
      const group = target.group
      const onGroup = (mode: "any" | "same") =>
        withConnection(suiteLayer, { connect: group.connect, reconnect: mode, heartbeat: false })

      it.live("after a failover `any` follows the group to the other queue manager", () =>
        onGroup("any")(Effect.gen(function*() {
          const connection = yield* MqConnection
          const control = yield* QueueManagerControl
          const events = yield* recordEvents
          const first = yield* connectedTo
          yield* control.stop(first.name, { mode: "immediate", reconnect: true })
          yield* connection.put1({ type: "queue", name: "DEV.QUEUE.1" }, { body: "on the other" }).pipe(Effect.ignore)
          const second = yield* connectedTo
          yield* control.start(first.name)
          yield* events.await("Reconnected")
          assert.notStrictEqual(second.qmid, first.qmid)
          assert.include(group.members, second.name)
          const reconnected = (yield* events.all).find((e) => e._tag === "Reconnected")
          assert.isTrue(
            reconnected?._tag === "Reconnected" && !reconnected.sameQueueManager && reconnected.qmid === second.qmid
          )
        })))

      it.live("a move by the MQ client's own reconnect goes unseen: no event, no new identity, only MQINQ tells", () =>
        onGroup("any")(Effect.gen(function*() {
          const connection = yield* MqConnection
          const control = yield* QueueManagerControl
          const events = yield* recordEvents
          const first = yield* connectedTo
          const other = group.members.find((member) => member !== first.name) ?? first.name
          // A queue of the same name on both, as the MQ client reopens queues by name.
          const name = uniqueName("MOVED")
          for (const member of group.members) {
            yield* control.defineQueue(member, name)
            yield* Effect.addFinalizer(() => control.deleteQueue(member, name).pipe(Effect.exit, Effect.asVoid))
          }
          const queue = yield* connection.open({ type: "queue", name }, { output: true, input: "shared" })
          const manager = yield* connection.open({ type: "queue-manager" }, { inquire: true })
          yield* connection.put(queue, { body: "in a unit" }, { syncpoint: true })
          yield* control.moveConnections(first.name, other)
          const inquired = yield* connection.inquire(manager, ["QMgrName", "QMgrIdentifier"])
          assert.strictEqual(inquired.QMgrName, other)
          assert.notStrictEqual(inquired.QMgrIdentifier, first.qmid)
          assert.deepStrictEqual(yield* connectedTo, first)
          const commit = yield* Effect.flip(connection.commit)
          assert.isTrue(isMqError(commit) && commit.reason === 2003, String(commit))
          yield* connection.put(queue, { body: "after the move" })
          assert.deepStrictEqual(Option.map(yield* connection.get(queue), text), Option.some("after the move"))
          assert.deepStrictEqual(yield* events.tags, [])
        })))

      it.live("after a failover `same` refuses the other queue manager and fails", () =>
        onGroup("same")(Effect.gen(function*() {
          const connection = yield* MqConnection
          const control = yield* QueueManagerControl
          const events = yield* recordEvents
          const first = yield* connectedTo
          const manager = yield* connection.open({ type: "queue-manager" }, { inquire: true })
          yield* control.stop(first.name, { mode: "immediate", reconnect: true })
          const error = yield* Effect.flip(connection.inquire(manager, ["QMgrName"]))
          yield* control.start(first.name)
          assert.instanceOf(error, ConnectionUnavailable)
          const state = yield* SubscriptionRef.get(connection.state)
          assert.isTrue(state._tag === "Failed" && state.error._tag === "ReconnectQmidMismatch", state._tag)
          assert.include(yield* events.tags, "ReconnectFailed")
        })))
    }
  })
}
