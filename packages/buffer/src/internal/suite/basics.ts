import { assert, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import {
  ACCEPTED_BASE,
  appendAll,
  assertEnvelope,
  assertEnvelopes,
  bodyBytes,
  envelope,
  everything,
  fresh,
  idsOf,
  type Target
} from "./helpers.ts"

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

/** Order, acknowledgement, depth, destinations and dead letters. */
export const basicCases = (target: Target): void => {
  it.live("hands envelopes back in append order, with everything they hold", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const appended = yield* appendAll(store, range(0, 20).map((n) => envelope("ORDER.Q", n)))
      assert.strictEqual(new Set(idsOf(appended)).size, 20, "every append has its own id")
      assertEnvelopes(yield* store.take("ORDER.Q", 100), appended)
      assert.deepStrictEqual(idsOf(yield* store.take("ORDER.Q", 5)), idsOf(appended.slice(0, 5)))
      assert.deepStrictEqual(yield* store.take("NOTHING.HERE", 10), [])
    }), target.timeout)

  it.live("keeps each destination's order on its own", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const names = ["A.Q", "B.Q", "C.Q"]
      const appended = yield* appendAll(store, range(0, 30).map((n) => envelope(names[(n * 7) % 3]!, n)))
      const of = (name: string) => appended.filter((e) => e.destination === name)
      for (const name of names) assertEnvelopes(yield* everything(store, name), of(name))
      yield* store.acknowledge(idsOf(of("B.Q")))
      assertEnvelopes(yield* everything(store, "A.Q"), of("A.Q"))
      assertEnvelopes(yield* everything(store, "C.Q"), of("C.Q"))
      assert.deepStrictEqual(yield* everything(store, "B.Q"), [])
    }), target.timeout)

  it.live("take does not remove an envelope; acknowledge does, and says what it removed", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const appended = yield* appendAll(store, range(1, 6).map((n) => envelope("ACK.Q", n)))
      assert.deepStrictEqual(idsOf(yield* store.take("ACK.Q", 10)), idsOf(appended))
      assert.deepStrictEqual(idsOf(yield* store.take("ACK.Q", 10)), idsOf(appended))
      const removed = yield* store.acknowledge(idsOf(appended.slice(0, 2)))
      assert.deepStrictEqual(removed, { messages: 2, bytes: bodyBytes(appended.slice(0, 2)) })
      assertEnvelopes(yield* store.take("ACK.Q", 10), appended.slice(2))
      yield* store.acknowledge(idsOf(appended.slice(2)))
      assert.deepStrictEqual(yield* store.take("ACK.Q", 10), [])
    }), target.timeout)

  it.live("acknowledging ids it does not hold changes nothing", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const appended = yield* appendAll(store, range(1, 4).map((n) => envelope("UNKNOWN.Q", n)))
      const none = { messages: 0, bytes: 0 }
      assert.deepStrictEqual(yield* store.acknowledge([]), none)
      assert.deepStrictEqual(yield* store.acknowledge(["no-such-id"]), none)
      assert.deepStrictEqual(yield* store.acknowledge([appended[0]!.id]), { messages: 1, bytes: appended[0]!.body.length })
      assert.deepStrictEqual(yield* store.acknowledge([appended[0]!.id]), none, "a second acknowledgement removes nothing")
      assert.deepStrictEqual(
        yield* store.acknowledge([appended[1]!.id, appended[1]!.id, "no-such-id"]),
        { messages: 1, bytes: appended[1]!.body.length },
        "an id given twice in one call counts once"
      )
      assertEnvelopes(yield* everything(store, "UNKNOWN.Q"), appended.slice(2))
    }), target.timeout)

  it.live("depth counts messages, body bytes and the oldest, in all and per destination", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const empty = { messages: 0, bytes: 0, oldestAcceptedAt: undefined }
      assert.deepStrictEqual(yield* store.depth(), empty)
      const a = yield* appendAll(store, [1, 2, 4].map((n) => envelope("DEPTH.A", n)))
      const b = yield* appendAll(store, [3, 5].map((n) => envelope("DEPTH.B", n)))
      assert.deepStrictEqual(yield* store.depth(), {
        messages: 5,
        bytes: bodyBytes([...a, ...b]),
        oldestAcceptedAt: ACCEPTED_BASE + 1
      })
      assert.deepStrictEqual(yield* store.depth("DEPTH.A"), { messages: 3, bytes: bodyBytes(a), oldestAcceptedAt: ACCEPTED_BASE + 1 })
      assert.deepStrictEqual(yield* store.depth("DEPTH.B"), { messages: 2, bytes: bodyBytes(b), oldestAcceptedAt: ACCEPTED_BASE + 3 })
      assert.deepStrictEqual(yield* store.depth("DEPTH.NONE"), empty)
      yield* store.acknowledge([a[0]!.id, a[1]!.id])
      assert.deepStrictEqual(yield* store.depth(), {
        messages: 3,
        bytes: bodyBytes([a[2]!, ...b]),
        oldestAcceptedAt: ACCEPTED_BASE + 3
      })
    }), target.timeout)

  it.live("destinations are exactly those with unacknowledged envelopes", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const sorted = Effect.map(store.destinations, (names) => [...names].sort())
      assert.deepStrictEqual(yield* sorted, [])
      const a = yield* appendAll(store, [envelope("LIST.A", 1), envelope("LIST.A", 2)])
      const b = yield* appendAll(store, [envelope("LIST.B", 3)])
      assert.deepStrictEqual(yield* sorted, ["LIST.A", "LIST.B"])
      yield* store.acknowledge(idsOf(a))
      assert.deepStrictEqual(yield* sorted, ["LIST.B"])
      yield* store.deadLetter(idsOf(b), "refused")
      assert.deepStrictEqual(yield* sorted, [])
    }), target.timeout)

  it.live("dead letters keep the envelope and the reason, leave the depth and are never taken", () =>
    Effect.gen(function*() {
      const store = yield* fresh(target)
      const a = yield* appendAll(store, range(1, 5).map((n) => envelope("DEAD.A", n)))
      const b = yield* appendAll(store, [envelope("DEAD.B", 9)])
      const before = yield* Clock.currentTimeMillis
      const reason = "MQPUT on DEAD.A: MQRC_MSG_TOO_BIG_FOR_Q (2030)"
      const removed = yield* store.deadLetter([a[1]!.id, a[2]!.id], reason)
      assert.deepStrictEqual(removed, { messages: 2, bytes: bodyBytes([a[1]!, a[2]!]) })
      assertEnvelopes(yield* everything(store, "DEAD.A"), [a[0]!, a[3]!])
      assert.deepStrictEqual(yield* store.depth("DEAD.A"), {
        messages: 2,
        bytes: bodyBytes([a[0]!, a[3]!]),
        oldestAcceptedAt: a[0]!.acceptedAt
      })
      const letters = yield* store.deadLetters("DEAD.A")
      assert.deepStrictEqual(idsOf(letters), [a[1]!.id, a[2]!.id])
      letters.forEach((letter, i) => {
        assertEnvelope(letter, a[i + 1]!, a[i + 1]!.id)
        assert.strictEqual(letter.reason, reason)
        assert.isAtLeast(letter.deadLetteredAt, before)
      })
      assert.deepStrictEqual(yield* store.deadLetters("DEAD.B"), [])
      assert.deepStrictEqual(idsOf(yield* store.deadLetters()), idsOf(letters))
      const none = { messages: 0, bytes: 0 }
      assert.deepStrictEqual(yield* store.deadLetter([a[1]!.id, "no-such-id"], "again"), none)
      assert.deepStrictEqual(yield* store.acknowledge([a[1]!.id]), none, "a dead letter is not in the depth")
      assertEnvelopes(yield* everything(store, "DEAD.B"), b)
    }), target.timeout)
}
