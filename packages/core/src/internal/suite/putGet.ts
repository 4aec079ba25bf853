import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { IDENTIFIER_NONE, MsgType, Persistence, PRIORITY_AS_Q_DEF } from "../../MessageDescriptor.ts"
import { Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  bytes,
  connect,
  defineQueue,
  expectMessage,
  expectNoMessage,
  group,
  hex,
  identifier,
  openQueue,
  type SuiteLayer,
  text,
  trimmed
} from "./helpers.ts"

// Values from cmqc.h.
const MQRO_PASS_CORREL_ID = 0x40
const MQRO_PASS_MSG_ID = 0x80
const MQENC_NATIVE = 0x222
const MQFB_APPL_FIRST = 65536
const MQMF_MSG_IN_GROUP = 0x08
const MQMF_LAST_MSG_IN_GROUP = 0x10
const MQAT_UNIX = 6

/** "AMQ " in ASCII: how a queue manager's generated identifiers start (§3.2). */
const AMQ = "414d5120"

/** The instant of a PutDate (YYYYMMDD) and PutTime (HHMMSSTH), both GMT. */
const putInstant = (putDate: string, putTime: string): number => {
  assert.match(putDate, /^\d{8}$/, "PutDate is YYYYMMDD")
  assert.match(putTime, /^\d{8}$/, "PutTime is HHMMSSTH")
  const n = (s: string, from: number, to: number) => Number(s.slice(from, to))
  return Date.UTC(
    n(putDate, 0, 4),
    n(putDate, 4, 6) - 1,
    n(putDate, 6, 8),
    n(putTime, 0, 2),
    n(putTime, 2, 4),
    n(putTime, 4, 6),
    n(putTime, 6, 8) * 10
  )
}

/** MQPUT, MQPUT1 and MQGET of whole messages: descriptors and bodies (MQ-BEHAVIOUR §3, §4). */
export const putGetCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("put and get", suiteLayer, (it) => {
    it.effect("every descriptor field an application sets on a request comes back on get", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const msgId = identifier("suite-msg-id")
        const correlId = identifier("suite-correl-id")
        const put = yield* mqi.put(hobj, {
          body: "request",
          descriptor: {
            msgId,
            correlId,
            replyToQ: "SUITE.REPLY.QUEUE",
            replyToQMgr: "SUITE.REPLY.QMGR",
            msgType: MsgType.REQUEST,
            report: MQRO_PASS_MSG_ID | MQRO_PASS_CORREL_ID,
            persistence: Persistence.PERSISTENT,
            priority: 7,
            expiry: 36000,
            format: "MQSTR",
            codedCharSetId: 1208,
            encoding: MQENC_NATIVE
          }
        })
        assert.strictEqual(hex(put.msgId), hex(msgId), "a MsgId the application gives is kept")
        const got = yield* expectMessage(mqi.get(hobj))
        const d = got.descriptor
        assert.strictEqual(hex(d.msgId), hex(msgId))
        assert.strictEqual(hex(d.correlId), hex(correlId))
        assert.strictEqual(trimmed(d.replyToQ), "SUITE.REPLY.QUEUE")
        assert.strictEqual(trimmed(d.replyToQMgr), "SUITE.REPLY.QMGR")
        assert.strictEqual(d.msgType, MsgType.REQUEST)
        assert.strictEqual(d.report, MQRO_PASS_MSG_ID | MQRO_PASS_CORREL_ID)
        assert.strictEqual(d.persistence, Persistence.PERSISTENT)
        assert.strictEqual(d.priority, 7)
        // Get returns the remaining expiry, so at most what was put and still positive.
        assert.isAbove(d.expiry, 0)
        assert.isAtMost(d.expiry, 36000)
        assert.strictEqual(trimmed(d.format), "MQSTR")
        assert.strictEqual(d.codedCharSetId, 1208)
        assert.strictEqual(d.encoding, MQENC_NATIVE)
        assert.strictEqual(d.backoutCount, 0)
        assert.strictEqual(text(got), "request")
      }))

    it.effect("a report message keeps its feedback code", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: "report", descriptor: { msgType: MsgType.REPORT, feedback: MQFB_APPL_FIRST } })
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(got.descriptor.msgType, MsgType.REPORT)
        assert.strictEqual(got.descriptor.feedback, MQFB_APPL_FIRST)
      }))

    it.effect("a message in a group keeps its GroupId, sequence number and flags", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const groupId = identifier("suite-group-id")
        yield* mqi.put(hobj, {
          body: "only member",
          descriptor: { groupId, msgSeqNumber: 1, msgFlags: MQMF_MSG_IN_GROUP | MQMF_LAST_MSG_IN_GROUP }
        })
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(hex(got.descriptor.groupId), hex(groupId))
        assert.strictEqual(got.descriptor.msgSeqNumber, 1)
        assert.strictEqual(got.descriptor.msgFlags, MQMF_MSG_IN_GROUP | MQMF_LAST_MSG_IN_GROUP)
      }))

    it.effect("identity and origin context set with set-all-context come back as set", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hconn = yield* connect(target)
        const output = yield* openQueue(hconn, queue, { output: true, context: "set-all" })
        const input = yield* openQueue(hconn, queue, { input: "shared" })
        const accountingToken = new Uint8Array(32).map((_, i) => i + 1)
        yield* mqi.put(output, {
          body: "with context",
          descriptor: {
            userIdentifier: "suiteuser",
            accountingToken,
            applIdentityData: "suite identity",
            putApplType: MQAT_UNIX,
            putApplName: "suite application",
            putDate: "20240229",
            putTime: "12345678",
            applOriginData: "ORIG"
          }
        }, { context: "set-all" })
        const d = (yield* expectMessage(mqi.get(input))).descriptor
        assert.strictEqual(trimmed(d.userIdentifier), "suiteuser")
        assert.strictEqual(hex(d.accountingToken), hex(accountingToken))
        assert.strictEqual(trimmed(d.applIdentityData), "suite identity")
        assert.strictEqual(d.putApplType, MQAT_UNIX)
        assert.strictEqual(trimmed(d.putApplName), "suite application")
        assert.strictEqual(d.putDate, "20240229")
        assert.strictEqual(d.putTime, "12345678")
        assert.strictEqual(trimmed(d.applOriginData), "ORIG")
      }))

    it.effect("with default context the queue manager ignores the context fields the application sets", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, {
          body: "default context",
          descriptor: { applIdentityData: "ignored", putDate: "19990101", putTime: "00000000" }
        })
        const d = (yield* expectMessage(mqi.get(hobj))).descriptor
        assert.strictEqual(trimmed(d.applIdentityData), "", "ApplIdentityData is blank with default context")
        assert.notStrictEqual(d.putDate, "19990101", "PutDate is the time of the put")
      }))

    it.effect("without a MsgId the queue manager generates a distinct 24-byte one starting with AMQ", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const first = yield* mqi.put(hobj, { body: "first" })
        const second = yield* mqi.put(hobj, { body: "second", descriptor: { msgId: IDENTIFIER_NONE } })
        for (const put of [first, second]) {
          assert.strictEqual(put.msgId.length, 24)
          assert.strictEqual(hex(put.msgId).slice(0, 8), AMQ)
        }
        assert.notStrictEqual(hex(first.msgId), hex(second.msgId))
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(hex(got.descriptor.msgId), hex(first.msgId), "the put returned the MsgId the get sees")
      }))

    it.effect("newMsgId replaces the MsgId the application gives", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const given = identifier("replaced")
        const put = yield* mqi.put(hobj, { body: "new id", descriptor: { msgId: given } }, { newMsgId: true })
        assert.notStrictEqual(hex(put.msgId), hex(given))
        assert.strictEqual(hex(put.msgId).slice(0, 8), AMQ)
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(hex(got.descriptor.msgId), hex(put.msgId))
      }))

    it.effect("the queue manager stamps PutDate and PutTime in GMT at the time of the put", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const before = Date.now()
        yield* mqi.put(hobj, { body: "stamped" })
        const after = Date.now()
        const got = yield* expectMessage(mqi.get(hobj))
        // A wide margin for clocks that differ between client and server; a local-time stamp
        // would be off by whole hours anywhere but in GMT.
        const stamped = putInstant(got.descriptor.putDate, got.descriptor.putTime)
        const margin = 5 * 60_000
        assert.isAtLeast(stamped, before - margin, "PutDate/PutTime are not before the put")
        assert.isAtMost(stamped, after + margin, "PutDate/PutTime are not after the put")
      }))

    it.effect("a message put with no descriptor has MQ's defaults and BackoutCount 0", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: "defaults" })
        const d = (yield* expectMessage(mqi.get(hobj))).descriptor
        assert.strictEqual(d.msgType, MsgType.DATAGRAM)
        assert.strictEqual(d.report, 0)
        assert.strictEqual(d.feedback, 0)
        assert.strictEqual(d.expiry, -1)
        assert.strictEqual(hex(d.correlId), hex(IDENTIFIER_NONE))
        assert.strictEqual(d.backoutCount, 0)
        // The queue's defaults: DEFPSIST(NO), DEFPRTY(0).
        assert.strictEqual(d.persistence, Persistence.NOT_PERSISTENT)
        assert.strictEqual(d.priority, 0)
      }))

    it.effect("persistence and priority left to the queue take the queue's defaults", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET", { defaultPersistent: true, defaultPriority: 4 })
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const implicit = yield* mqi.put(hobj, { body: "implicit" })
        const explicit = yield* mqi.put(hobj, {
          body: "explicit",
          descriptor: { persistence: Persistence.AS_Q_DEF, priority: PRIORITY_AS_Q_DEF }
        })
        for (const put of [implicit, explicit]) {
          assert.strictEqual(put.persistence, Persistence.PERSISTENT, "put resolves the persistence")
          assert.strictEqual(put.priority, 4, "put resolves the priority")
        }
        for (const body of ["implicit", "explicit"]) {
          const got = yield* expectMessage(mqi.get(hobj))
          assert.strictEqual(text(got), body)
          assert.strictEqual(got.descriptor.persistence, Persistence.PERSISTENT)
          assert.strictEqual(got.descriptor.priority, 4)
        }
      }))

    it.effect("a string body comes back as its bytes", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: "Hello, MQ!" })
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(hex(got.body), hex(bytes("Hello, MQ!")))
        assert.strictEqual(got.dataLength, 10)
      }))

    it.effect("a binary body comes back byte for byte", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const body = new Uint8Array(512).map((_, i) => (i * 7) % 256)
        yield* mqi.put(hobj, { body })
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(hex(got.body), hex(body))
        assert.strictEqual(got.dataLength, 512)
      }))

    it.effect("a 1 MiB body comes back whole", () =>
      Effect.gen(function*() {
        // Whatever buffer an implementation starts with, a get without maxLength returns everything.
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        const body = new Uint8Array(1024 * 1024).map((_, i) => (i * 31 + (i >> 10)) % 256)
        yield* mqi.put(hobj, { body })
        const got = yield* expectMessage(mqi.get(hobj))
        assert.strictEqual(got.body.length, body.length)
        assert.strictEqual(got.dataLength, body.length)
        assert.isTrue(got.body.every((b, i) => b === body[i]), "every byte comes back")
      }))

    it.effect("an empty body is a message, not the absence of one", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hobj = yield* openQueue(yield* connect(target), queue, { input: "shared", output: true })
        yield* mqi.put(hobj, { body: new Uint8Array(0) })
        yield* mqi.put(hobj, { body: "" })
        for (let i = 0; i < 2; i++) {
          const got = yield* expectMessage(mqi.get(hobj), "an empty message")
          assert.strictEqual(got.body.length, 0)
          assert.strictEqual(got.dataLength, 0)
        }
        yield* expectNoMessage(mqi.get(hobj))
      }))

    it.effect("put1 puts to a queue without an open handle and returns the descriptor", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const queue = yield* defineQueue(target, "PUTGET")
        const hconn = yield* connect(target)
        const correlId = identifier("put1")
        const put = yield* mqi.put1(hconn, { type: "queue", name: queue }, { body: "put1", descriptor: { correlId } })
        assert.strictEqual(hex(put.msgId).slice(0, 8), AMQ)
        const got = yield* expectMessage(mqi.get(yield* openQueue(hconn, queue, { input: "shared" })))
        assert.strictEqual(text(got), "put1")
        assert.strictEqual(hex(got.descriptor.msgId), hex(put.msgId))
        assert.strictEqual(hex(got.descriptor.correlId), hex(correlId))
      }))
  })
