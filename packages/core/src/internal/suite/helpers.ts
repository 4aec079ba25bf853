import { assert, layer, type Vitest } from "@effect/vitest"
import { Duration, Effect, type Layer, Option, Result } from "effect"
import { isMqError, type MqError, type Verb } from "../../MqError.ts"
import { type Hconn, type Hobj, type Message, Mqi } from "../../Mqi.ts"
import type { OpenOptions } from "../../OpenOptions.ts"
import { type QueueDefinition, QueueManagerControl } from "../../QueueManagerControl.ts"
import { CompletionCode, reasonName } from "../../ReasonCode.ts"
import type { SuiteTarget } from "../../testing.ts"

/** What the suite runs against: the port and the queue manager's control. */
export type SuiteServices = Mqi | QueueManagerControl

export type SuiteLayer = Layer.Layer<SuiteServices, unknown>

/** The test helpers of a group whose cases share one build of the layer. */
export type Cases = Vitest.MethodsNonLive<SuiteServices>

/**
 * Registers a group of cases that share one build of the layer. Test services are excluded, so
 * `it.effect` runs on the real clock exactly like `it.live`: the same cases run against network
 * servers, where a TestClock would have no power.
 */
export const group = (name: string, suiteLayer: SuiteLayer, cases: (it: Cases) => void): void =>
  layer(suiteLayer, { excludeTestServices: true })(name, cases)

// Names are unique per run as well as per case: a long-lived queue manager keeps what earlier runs
// left behind, and no case may see it.
const runId = Math.random().toString(36).slice(2, 7).toUpperCase().padEnd(5, "0")
let counter = 0

/** A fresh object name, `SUITE.<TAG>.<run>.<n>` (at most 48 characters for short tags). */
export const uniqueName = (tag: string): string => `SUITE.${tag}.${runId}.${++counter}`

/** A fresh topic string under `suite/<run>/`. */
export const uniqueTopic = (tag: string): string => `suite/${runId}/${tag.toLowerCase()}/${++counter}`

/**
 * Defines a queue under a fresh name for this case and deletes it when the case ends. Define
 * queues before connecting: finalizers run in reverse, so connections close before the deletion.
 */
export const defineQueue = Effect.fnUntraced(function*(
  target: SuiteTarget,
  tag: string,
  definition?: QueueDefinition
) {
  const control = yield* QueueManagerControl
  const name = uniqueName(tag)
  yield* control.defineQueue(target.queueManager, name, definition)
  // Best effort: a case may leave the queue manager stopped, and a leftover queue harms no one.
  yield* Effect.addFinalizer(() => control.deleteQueue(target.queueManager, name).pipe(Effect.exit, Effect.asVoid))
  return name
})

/** Connects to the queue manager under test; the scope disconnects. */
export const connect = (target: SuiteTarget) => Mqi.use((mqi) => mqi.connect(target.connect))

/** Opens a queue by name; the scope closes it. */
export const openQueue = (hconn: Hconn, name: string, options: OpenOptions) =>
  Mqi.use((mqi) => mqi.open(hconn, { type: "queue", name }, options))

/** Opens the queue-manager object for inquiries. */
export const openQueueManager = (hconn: Hconn) =>
  Mqi.use((mqi) => mqi.open(hconn, { type: "queue-manager" }, { inquire: true }))

// MQ answers these reasons with a warning, every other failure with CC FAILED (MQ-BEHAVIOUR,
// appendix A): 2003 is a warning from MQCMIT and MQDISC only.
const expectedCompletionCode = (verb: Verb, reason: number): number =>
  (reason === 2003 && (verb === "MQCMIT" || verb === "MQDISC")) ||
    reason === 2049 || reason === 2068 || reason === 2079 || reason === 2550
    ? CompletionCode.WARNING
    : CompletionCode.FAILED

const listOf = <A>(value: A | ReadonlyArray<A>): ReadonlyArray<A> =>
  Array.isArray(value) ? value : [value as A]

const describeReasons = (reasons: ReadonlyArray<number>): string =>
  reasons.map((r) => `${reasonName(r)} (${r})`).join(" or ")

/**
 * Runs an effect that must fail with an `MqError` of one of the verbs and one of the reasons
 * (alternatives where MQ-BEHAVIOUR leaves the choice open), with MQ's completion code for it.
 */
export const expectMqError = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  verb: Verb | ReadonlyArray<Verb>,
  reason: number | ReadonlyArray<number>
): Effect.Effect<MqError, never, R> => {
  const verbs = listOf(verb)
  const reasons = listOf(reason)
  const expected = `${verbs.join(" or ")} failing with ${describeReasons(reasons)}`
  return Effect.map(Effect.result(effect), (result) => {
    if (Result.isSuccess(result)) {
      return assert.fail(`expected ${expected}, but the call succeeded`)
    }
    const error = result.failure
    if (!isMqError(error)) {
      return assert.fail(`expected ${expected}, but it failed with ${String(error)}`)
    }
    assert.oneOf(error.verb, [...verbs], `expected ${expected}, got ${error.message}`)
    assert.oneOf(error.reason, [...reasons], `expected ${expected}, got ${error.message}`)
    assert.strictEqual(
      error.completionCode,
      expectedCompletionCode(error.verb, error.reason),
      `completion code of ${error.message}`
    )
    return error
  })
}

/** Runs a get that must return a message, and returns it. */
export const expectMessage = <E, R>(
  get: Effect.Effect<Option.Option<Message>, E, R>,
  what = "a message"
): Effect.Effect<Message, E, R> =>
  Effect.map(get, (found) => Option.isSome(found) ? found.value : assert.fail(`expected ${what}, but none came`))

/** Runs a get that must find no message (MQ's 2033 answered as `None`). */
export const expectNoMessage = <E, R>(
  get: Effect.Effect<Option.Option<Message>, E, R>,
  why = "no message"
): Effect.Effect<void, E, R> =>
  Effect.map(get, (found) => {
    if (Option.isSome(found)) {
      assert.fail(`expected ${why}, but got a message with body ${JSON.stringify(text(found.value))}`)
    }
  })

/** Removes every message a handle can get, returning their bodies as text, in order. */
export const drain = Effect.fnUntraced(function*(hobj: Hobj) {
  const mqi = yield* Mqi
  const bodies: Array<string> = []
  // A bound, so that a get that never says "no message" fails the case instead of hanging it.
  for (let i = 0; i < 1000; i++) {
    const next = yield* mqi.get(hobj)
    if (Option.isNone(next)) return bodies
    bodies.push(text(next.value))
  }
  return assert.fail(`more than 1000 messages on ${hobj.name}`)
})

/** Fails the case with a readable message when an effect does not end in time (instead of hanging). */
export const within = (duration: Duration.Input, what: string) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.timeoutOrElse(effect, {
    duration,
    orElse: () => Effect.die(new Error(`${what} did not end within ${Duration.format(Duration.fromInputUnsafe(duration))}`))
  })

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A body as text (the suite only puts ASCII text, so no code page question arises). */
export const text = (message: Message): string => decoder.decode(message.body)

export const bytes = (s: string): Uint8Array => encoder.encode(s)

/** A 24-byte identifier spelling a label, zero-padded: never MQMI_NONE. */
export const identifier = (label: string): Uint8Array => {
  const id = new Uint8Array(24)
  id.set(encoder.encode(label).subarray(0, 24))
  return id
}

/** Bytes as hex, so that comparisons do not depend on `Buffer` versus `Uint8Array`. */
export const hex = (data: Uint8Array): string => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("")

/** A fixed-length MQ string field compared without its blank padding. */
export const trimmed = (s: string): string => s.replace(/[ \0]+$/, "")
