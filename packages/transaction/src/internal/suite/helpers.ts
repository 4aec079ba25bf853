import { assert } from "@effect/vitest"
import {
  type AttributeName,
  type ConnectOptions,
  layer as connectionLayer,
  type Message,
  MqConnection,
  Mqi,
  type OutgoingMessage,
  type QueueDefinition,
  QueueManagerControl
} from "@resilient-mq/core"
import * as Retry from "@resilient-mq/retry"
import { Context, Effect, Layer, Metric, Option, Ref, type Scope, Stream } from "effect"
import { layer as guardLayer, TransactionGuard, type TransactionEvent, type TransactionGuardOptions } from "../../TransactionGuard.ts"

/** What the suite runs against: a queue manager, and how to connect to it. */
export interface SuiteTarget {
  readonly queueManager: string
  readonly connect: ConnectOptions
}

export type SuiteLayer = Layer.Layer<Mqi | QueueManagerControl, unknown>

type CaseServices = Mqi | QueueManagerControl | Scope.Scope

// Reruns and reconnects a few milliseconds apart: the cases break connections on purpose, often.
const policy = Retry.layer({
  connection: { initialDelay: "1 millis", maxDelay: "10 millis", jitter: 0, deadline: "20 seconds" },
  transient: { initialDelay: "1 millis", maxDelay: "10 millis", jitter: 0 }
})

/**
 * Runs a case on a fresh build of the layer. Faults it injected and did not use are cleared at its
 * end: a server outlives the case.
 */
export const fresh = (suiteLayer: SuiteLayer, target: SuiteTarget) =>
<A, E>(body: Effect.Effect<A, E, CaseServices>): Effect.Effect<A, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    const control = yield* QueueManagerControl
    yield* Effect.addFinalizer(() => control.clearFaults(target.queueManager))
    return yield* body
  })).pipe(Effect.provide(suiteLayer))

/** A connection and a guard on it, for the rest of the case (define the guard's queues before). */
export const connectGuard = (target: SuiteTarget, options: TransactionGuardOptions = {}) =>
  Effect.map(
    Layer.build(
      guardLayer(options).pipe(
        Layer.provideMerge(connectionLayer({ connect: target.connect, heartbeat: false })),
        Layer.provide(policy)
      )
    ),
    (context) => ({ guard: Context.get(context, TransactionGuard), mq: Context.get(context, MqConnection) })
  )

// Names are unique per run as well as per case: a long-lived queue manager keeps what earlier runs
// left behind, and no case may see it.
const runId = Math.random().toString(36).slice(2, 7).toUpperCase().padEnd(5, "0")
let counter = 0

/** Defines a queue under a fresh name for this case and deletes it when the case ends. */
export const defineQueue = Effect.fnUntraced(function*(target: SuiteTarget, tag: string, definition?: QueueDefinition) {
  const control = yield* QueueManagerControl
  const name = `TX.${tag}.${runId}.${++counter}`
  yield* control.defineQueue(target.queueManager, name, definition)
  // Best effort: a leftover queue harms no one.
  yield* Effect.addFinalizer(() => control.deleteQueue(target.queueManager, name).pipe(Effect.exit, Effect.asVoid))
  return name
})

const decoder = new TextDecoder()

export const text = (message: Message): string => decoder.decode(message.body)

/** A message that a get must have returned. */
export const expectSome = (found: Option.Option<Message>, what = "a message"): Message =>
  Option.isSome(found) ? found.value : assert.fail(`expected ${what}, but none came`)

// The cases check queues through connections of their own, outside the guard, made per check: the
// guard's connection is broken on purpose, a plain one would break with it.
const withQueue = <A, E>(
  target: SuiteTarget,
  queue: string,
  use: (mqi: Mqi["Service"], hobj: Effect.Success<ReturnType<Mqi["Service"]["open"]>>) => Effect.Effect<A, E>
) =>
  Effect.scoped(Effect.gen(function*() {
    const mqi = yield* Mqi
    const hconn = yield* mqi.connect(target.connect)
    const hobj = yield* mqi.open(hconn, { type: "queue", name: queue }, { input: "shared", output: true, inquire: true })
    return yield* use(mqi, hobj)
  }))

/** Puts messages, outside syncpoint; their descriptors as the queue manager resolved them. */
export const feed = (target: SuiteTarget, queue: string, messages: ReadonlyArray<OutgoingMessage>) =>
  withQueue(target, queue, (mqi, hobj) => Effect.forEach(messages, (message) => mqi.put(hobj, message)))

/** Removes every message of a queue (at most `max`), returning them in order. */
export const drain = (target: SuiteTarget, queue: string, max = 100) =>
  withQueue(target, queue, (mqi, hobj) =>
    Effect.gen(function*() {
      const messages: Array<Message> = []
      while (messages.length <= max) {
        const next = yield* mqi.get(hobj)
        if (Option.isNone(next)) return messages
        messages.push(next.value)
      }
      return assert.fail(`more than ${max} messages on ${queue}`)
    }))

/** Removes the message with this MsgId from a queue. */
export const take = (target: SuiteTarget, queue: string, msgId: Uint8Array) =>
  withQueue(target, queue, (mqi, hobj) => mqi.get(hobj, { match: { msgId } }))

/** Attributes of the queue manager under test. */
export const inquireQueueManager = <const A extends AttributeName>(target: SuiteTarget, attributes: ReadonlyArray<A>) =>
  Effect.scoped(Effect.gen(function*() {
    const mqi = yield* Mqi
    const hconn = yield* mqi.connect(target.connect)
    return yield* mqi.inquire(yield* mqi.open(hconn, { type: "queue-manager" }, { inquire: true }), attributes)
  }))

/** The bodies of every message of a queue, removed, as text. */
export const drainText = (target: SuiteTarget, queue: string, max?: number) =>
  Effect.map(drain(target, queue, max), (messages) => messages.map(text))

/** How many messages a queue holds (uncommitted puts included, as MQ counts). */
export const depth = (target: SuiteTarget, queue: string) =>
  withQueue(target, queue, (mqi, hobj) => Effect.map(mqi.inquire(hobj, ["CurrentQDepth"]), (a) => a.CurrentQDepth))

/** Collects the guard's events from now on. */
export const recordEvents = (guard: TransactionGuard["Service"]) =>
  Effect.gen(function*() {
    const events = yield* Ref.make<ReadonlyArray<TransactionEvent>>([])
    yield* Effect.forkScoped(Stream.runForEach(guard.events, (event) => Ref.update(events, (all) => [...all, event])))
    yield* Effect.yieldNow
    const of = <T extends TransactionEvent["_tag"]>(tag: T) =>
      Effect.map(Ref.get(events), (list) => list.filter((e): e is Extract<TransactionEvent, { _tag: T }> => e._tag === tag))
    return {
      of,
      /** The events of a tag, once there are at least `count` of them. */
      await: <T extends TransactionEvent["_tag"]>(tag: T, count = 1) =>
        Effect.gen(function*() {
          while (true) {
            const found = yield* of(tag)
            if (found.length >= count) return found
            yield* Effect.sleep("5 millis")
          }
        }).pipe(Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die(new Error(`fewer than ${count} ${tag} events`)) }))
    }
  })

/** A counter's value, with these attributes. */
export const count = (metric: Metric.Metric<number, Metric.CounterState<number>>, attributes: Record<string, string>) =>
  Effect.map(Metric.value(Metric.withAttributes(metric, attributes)), (state) => state.count)

/** A small seeded generator, so that a run's faults can be repeated. */
export const seeded = (seed: number) => {
  let state = seed >>> 0
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
