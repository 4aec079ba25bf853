import { assert, describe, it } from "@effect/vitest"
import { IDENTIFIER_NONE, Mqi } from "@resilient-mq/core"
import { Effect, Fiber, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { bodyOf, connect, drain, openQueue, reasonOf, text, withEmulator } from "./support.ts"

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

describe("put and the message descriptor", () => {
  it.effect("the queue manager fills the descriptor as MQ does", () =>
    withEmulator()(Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2025, 3, 22, 3, 1, 5, 120))
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      const put = yield* mqi.put(queue, { body: "x", descriptor: { replyToQ: "REPLY.Q" } })
      // "AMQ " + "QM1" padded to 12 + 8 bytes
      assert.strictEqual(hex(put.msgId).slice(0, 32), "414d5120514d31202020202020202020")
      assert.strictEqual(put.msgId.length, 24)
      assert.strictEqual(put.putDate, "20250422")
      assert.strictEqual(put.putTime, "03010512")
      assert.strictEqual(put.persistence, 0)
      assert.strictEqual(put.priority, 0)
      assert.strictEqual(put.expiry, -1)
      assert.strictEqual(put.replyToQMgr, "QM1")
      assert.strictEqual(put.userIdentifier, "app")
      assert.strictEqual(put.putApplName, "resilient-mq")
      assert.deepStrictEqual(put.correlId, IDENTIFIER_NONE)
      const got = Option.getOrThrow(yield* mqi.get(queue))
      assert.deepStrictEqual(got.descriptor, put)
    })))

  it.effect("every message gets its own MsgId unless one is given; NEW_MSG_ID overrides it", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      const a = yield* mqi.put(queue, { body: "a" })
      const b = yield* mqi.put(queue, { body: "b" })
      assert.notDeepEqual(a.msgId, b.msgId)
      const mine = new Uint8Array(24).fill(7)
      assert.deepStrictEqual((yield* mqi.put(queue, { body: "c", descriptor: { msgId: mine } })).msgId, mine)
      assert.notDeepEqual((yield* mqi.put(queue, { body: "d", descriptor: { msgId: mine } }, { newMsgId: true })).msgId, mine)
    })))

  it.effect("persistence and priority AS_Q_DEF take the first definition's defaults, alias before local", () =>
    withEmulator({
      queueManagers: [{
        name: "QM1",
        queues: {
          "APP.Q": { defaultPersistent: true, defaultPriority: 4 },
          "APP.ALIAS": { type: "alias", target: "APP.Q", defaultPersistent: false, defaultPriority: 7 }
        }
      }]
    })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const local = yield* openQueue(hconn, "APP.Q")
      const alias = yield* mqi.open(hconn, { type: "queue", name: "APP.ALIAS" }, { output: true })
      const direct = yield* mqi.put(local, { body: "l", descriptor: { persistence: 2, priority: -1 } })
      assert.strictEqual(direct.persistence, 1)
      assert.strictEqual(direct.priority, 4)
      const through = yield* mqi.put(alias, { body: "a" })
      assert.strictEqual(through.persistence, 0)
      assert.strictEqual(through.priority, 7)
      assert.strictEqual((yield* mqi.put(local, { body: "p", descriptor: { priority: 12 } })).priority, 9)
    })))

  it.effect("properties are kept with the message, usr. names by their short name", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      const bytes = new Uint8Array([1, 2, 3])
      yield* mqi.put(queue, { body: "x", properties: { "usr.Color": "blue", size: 3, ok: true, raw: bytes, none: null } })
      bytes[0] = 9
      const got = Option.getOrThrow(yield* mqi.get(queue))
      assert.deepStrictEqual(got.properties, {
        Color: "blue",
        size: 3,
        ok: true,
        raw: new Uint8Array([1, 2, 3]),
        none: null
      })
    })))

  it.effect("put checks: inhibited 2051 (open still works), too big for the queue 2030 or queue manager 2031, full 2053", () =>
    withEmulator({
      queueManagers: [{
        name: "QM1",
        maxMessageLength: 100,
        queues: {
          "SMALL.Q": { maxMessageLength: 10, maxDepth: 2 },
          "BIG.Q": { maxMessageLength: 1000 },
          "SHUT.Q": { inhibitPut: true }
        }
      }]
    })(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const shut = yield* openQueue(hconn, "SHUT.Q")
      assert.strictEqual(yield* reasonOf(mqi.put(shut, { body: "x" })), 2051)
      const small = yield* openQueue(hconn, "SMALL.Q")
      assert.strictEqual(yield* reasonOf(mqi.put(small, { body: "x".repeat(11) })), 2030)
      const big = yield* openQueue(hconn, "BIG.Q")
      assert.strictEqual(yield* reasonOf(mqi.put(big, { body: "x".repeat(101) })), 2031)
      yield* mqi.put(small, { body: "1" })
      yield* mqi.put(small, { body: "2" })
      const full = yield* Effect.flip(mqi.put(small, { body: "3" }))
      assert.strictEqual(full.reason, 2053)
      assert.strictEqual(full.verb, "MQPUT")
      assert.strictEqual(full.object, "SMALL.Q")
      assert.strictEqual(full.errorClass, "transient")
    })))

  it.effect("put1 opens, puts and closes in one call", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      yield* mqi.put1(hconn, { type: "queue", name: "DEV.QUEUE.2" }, { body: "one" })
      assert.deepStrictEqual(yield* drain(yield* openQueue(hconn, "DEV.QUEUE.2")), ["one"])
      assert.strictEqual(yield* reasonOf(mqi.put1(hconn, { type: "queue", name: "NOPE" }, { body: "x" })), 2085)
      assert.strictEqual(
        yield* reasonOf(mqi.put1(hconn, { type: "queue", name: "DEV.APP.MODEL.QUEUE" }, { body: "x" })),
        2057
      )
    })))
})

describe("delivery order", () => {
  it.effect("highest priority first, FIFO within a priority", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      for (const [body, priority] of [["a", 0], ["b", 5], ["c", 0], ["d", 5], ["e", 9]] as const) {
        yield* mqi.put(queue, { body, descriptor: { priority } })
      }
      assert.deepStrictEqual(yield* drain(queue), ["e", "b", "d", "a", "c"])
    })))

  it.effect("a FIFO queue ignores priority", () =>
    withEmulator({ queueManagers: [{ name: "QM1", queues: { "FIFO.Q": { deliverySequence: "fifo" } } }] })(
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* openQueue(yield* connect(), "FIFO.Q")
        yield* mqi.put(queue, { body: "low", descriptor: { priority: 0 } })
        yield* mqi.put(queue, { body: "high", descriptor: { priority: 9 } })
        assert.deepStrictEqual(yield* drain(queue), ["low", "high"])
      })
    ))
})

describe("expiry", () => {
  it.effect("returns the remaining time, and never an expired message, which counts in the depth until discarded", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      yield* mqi.put(queue, { body: "short", descriptor: { expiry: 10 } })
      yield* mqi.put(queue, { body: "long", descriptor: { expiry: 600 } })
      yield* TestClock.adjust("300 millis")
      const browsed = Option.getOrThrow(yield* mqi.get(queue, { browse: "first" }))
      assert.strictEqual(browsed.descriptor.expiry, 7)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* mqi.inquire(queue, ["CurrentQDepth"])).CurrentQDepth, 2)
      const got = Option.getOrThrow(yield* mqi.get(queue))
      assert.strictEqual(text(got), "long")
      assert.strictEqual(got.descriptor.expiry, 587)
      assert.strictEqual((yield* mqi.inquire(queue, ["CurrentQDepth"])).CurrentQDepth, 0)
    })))
})

describe("matching", () => {
  it.effect("gets by MsgId, CorrelId or GroupId; an all-zero identifier matches any message", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      const correlId = new Uint8Array(24).fill(1)
      const groupId = new Uint8Array(24).fill(2)
      const first = yield* mqi.put(queue, { body: "first" })
      yield* mqi.put(queue, { body: "second", descriptor: { correlId } })
      yield* mqi.put(queue, { body: "third", descriptor: { groupId } })
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { match: { correlId } })), "second")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { match: { groupId } })), "third")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { match: { correlId } })), undefined)
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { match: { msgId: first.msgId } })), "first")
      yield* mqi.put(queue, { body: "any" })
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { match: { msgId: IDENTIFIER_NONE } })), "any")
    })))
})

describe("truncation", () => {
  it.effect("2080 leaves the message; accepting truncation removes it and reports the full length", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      yield* mqi.put(queue, { body: "0123456789" })
      assert.strictEqual(yield* reasonOf(mqi.get(queue, { maxLength: 4 })), 2080)
      const got = Option.getOrThrow(yield* mqi.get(queue, { maxLength: 4, acceptTruncated: true }))
      assert.strictEqual(text(got), "0123")
      assert.strictEqual(got.dataLength, 10)
      assert.isTrue(Option.isNone(yield* mqi.get(queue)))
    })))
})

describe("browsing", () => {
  it.effect("first, next and under the cursor; the messages stay", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      for (const body of ["a", "b", "c"]) yield* mqi.put(queue, { body })
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "next" })), "a")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "next" })), "b")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "under-cursor" })), "b")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "first" })), "a")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { underCursor: true })), "a")
      assert.strictEqual(yield* reasonOf(mqi.get(queue, { browse: "under-cursor" })), 2034)
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "next" })), "b")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "next" })), "c")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "next" })), undefined)
      yield* mqi.put(queue, { body: "d" })
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "next" })), "d")
      assert.deepStrictEqual(yield* drain(queue), ["b", "c", "d"])
    })))

  it.effect("a message arriving ahead of the cursor is seen only after browse-first", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      yield* mqi.put(queue, { body: "a" })
      yield* mqi.put(queue, { body: "b" })
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "first" })), "a")
      yield* mqi.put(queue, { body: "urgent", descriptor: { priority: 9 } })
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "next" })), "b")
      assert.strictEqual(bodyOf(yield* mqi.get(queue, { browse: "first" })), "urgent")
    })))

  it.effect("under the cursor before any browse is 2034; browsing needs MQOO_BROWSE (2036), getting input (2037)", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      yield* mqi.put(queue, { body: "a" })
      assert.strictEqual(yield* reasonOf(mqi.get(queue, { underCursor: true })), 2034)
      const output = yield* mqi.open(hconn, { type: "queue", name: "DEV.QUEUE.1" }, { output: true })
      assert.strictEqual(yield* reasonOf(mqi.get(output, { browse: "first" })), 2036)
      assert.strictEqual(yield* reasonOf(mqi.get(output)), 2037)
    })))
})

describe("waiting gets", () => {
  it.effect("a message arriving during the wait is returned; none by the end of the wait is None", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      const waiting = yield* Effect.forkChild(mqi.get(queue, { wait: "10 seconds" }))
      yield* TestClock.adjust("5 seconds")
      yield* mqi.put(queue, { body: "late" })
      assert.strictEqual(bodyOf(yield* Fiber.join(waiting)), "late")
      const empty = yield* Effect.forkChild(mqi.get(queue, { wait: "10 seconds" }))
      yield* TestClock.adjust("10 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.join(empty)))
    })))

  it.effect("one waiter is woken per message, waiters for a specific message first", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      const correlId = new Uint8Array(24).fill(5)
      const general = yield* Effect.forkChild(mqi.get(queue, { wait: "unlimited" }))
      const specific = yield* Effect.forkChild(mqi.get(queue, { wait: "unlimited", match: { correlId } }))
      yield* TestClock.adjust("1 second")
      yield* mqi.put(queue, { body: "for-specific", descriptor: { correlId } })
      assert.strictEqual(bodyOf(yield* Fiber.join(specific)), "for-specific")
      yield* mqi.put(queue, { body: "for-general" })
      assert.strictEqual(bodyOf(yield* Fiber.join(general)), "for-general")
    })))

  it.effect("inhibiting gets ends a wait with 2016", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      const waiting = yield* Effect.forkChild(reasonOf(mqi.get(queue, { wait: "unlimited" })))
      yield* TestClock.adjust("1 second")
      const admin = yield* mqi.open(hconn, { type: "queue", name: "DEV.QUEUE.1" }, { set: true })
      yield* mqi.set(admin, { InhibitGet: 1 })
      assert.strictEqual(yield* Fiber.join(waiting), 2016)
      assert.strictEqual(yield* reasonOf(mqi.get(queue)), 2016)
    })))

  it.effect("closing the handle ends its wait with 2019; interrupting a wait leaves no waiter behind", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      const waiting = yield* Effect.forkChild(mqi.get(queue, { wait: "unlimited" }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(waiting)
      yield* mqi.put(queue, { body: "kept" })
      const closing = yield* Effect.forkChild(
        reasonOf(mqi.get(queue, { wait: "unlimited", match: { correlId: new Uint8Array(24).fill(1) } }))
      )
      yield* TestClock.adjust("1 second")
      yield* mqi.close(queue)
      assert.strictEqual(yield* Fiber.join(closing), 2019)
      assert.deepStrictEqual(yield* drain(yield* openQueue(yield* connect())), ["kept"])
    })))

  it.effect("a browse can wait too", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      const browsing = yield* Effect.forkChild(mqi.get(queue, { browse: "next", wait: "1 minute" }))
      yield* TestClock.adjust("1 second")
      yield* mqi.put(queue, { body: "seen" })
      assert.strictEqual(bodyOf(yield* Fiber.join(browsing)), "seen")
      assert.deepStrictEqual(yield* drain(queue), ["seen"])
    })))
})

describe("consumers", () => {
  it.effect("stream messages as they arrive and end when the handle closes", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const queue = yield* openQueue(yield* connect())
      yield* mqi.put(queue, { body: "1" })
      const consumer = yield* Effect.forkChild(Stream.runCollect(mqi.consume(queue).pipe(Stream.map(text))))
      yield* TestClock.adjust("1 second")
      yield* mqi.put(queue, { body: "2" })
      yield* TestClock.adjust("1 second")
      yield* mqi.close(queue)
      assert.deepStrictEqual(yield* Fiber.join(consumer), ["1", "2"])
    })))

  it.effect("a consumer on a closed handle fails 2019; a browsing consumer leaves the messages", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn)
      for (const body of ["a", "b"]) yield* mqi.put(queue, { body })
      const browsed = yield* mqi.consume(queue, { browse: "first" }).pipe(Stream.take(2), Stream.map(text), Stream.runCollect)
      assert.deepStrictEqual(browsed, ["a", "b"])
      assert.deepStrictEqual(yield* drain(queue), ["a", "b"])
      yield* mqi.close(queue)
      const failed = yield* Effect.flip(Stream.runDrain(mqi.consume(queue)))
      assert.strictEqual(failed.reason, 2019)
    })))

  it.effect("a consumer fails with 2016 when gets are inhibited", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* mqi.open(hconn, { type: "queue", name: "DEV.QUEUE.1" }, { input: "shared", set: true })
      const consumer = yield* Effect.forkChild(Effect.flip(Stream.runDrain(mqi.consume(queue))))
      yield* TestClock.adjust("1 second")
      yield* mqi.set(queue, { InhibitGet: 1 })
      assert.strictEqual((yield* Fiber.join(consumer)).reason, 2016)
    })))
})
