import { assert } from "@effect/vitest"
import {
  type ConnectionEvent,
  type ConnectOptions,
  type Hconn,
  layer as connectionLayer,
  type Message,
  MqConnection,
  Mqi,
  type QueueDefinition,
  QueueManagerControl,
  type ReconnectMode
} from "@resilient-mq/core"
import * as Retry from "@resilient-mq/retry"
import { layer as guardLayer, TransactionGuard, type TransactionEvent, type TransactionGuardOptions } from "@resilient-mq/transaction"
import { Context, Effect, Layer, type Scope, Stream } from "effect"
import { layer, ReplyAffinity, type ReplyAffinityEvent, type ReplyAffinityOptions } from "../../ReplyAffinity.ts"
import * as Responder from "../../Responder.ts"

/** What the suite runs against: two running queue managers of one group. */
export interface SuiteTarget {
  /** The two members, by name. */
  readonly members: readonly [string, string]
  /** How to reach "any member" (a `*GROUP` name or a connection list): the first while it runs. */
  readonly group: ConnectOptions
  /** How to reach one member by itself. */
  readonly member: (name: string) => ConnectOptions
}

export type SuiteLayer = Layer.Layer<Mqi | QueueManagerControl, unknown>

type Services = Mqi | QueueManagerControl | Retry.RetryPolicy | Scope.Scope

// Reconnects within a tenth of a second, and a deadline that a test can wait out.
const policy = Retry.layer({
  connection: { initialDelay: "20 millis", maxDelay: "100 millis", jitter: 0, deadline: "5 seconds" }
})

/** Runs a case on a fresh build of the layer (in process: fresh queue managers). */
export const run = (suiteLayer: SuiteLayer) => <A, E>(body: Effect.Effect<A, E, Services>) =>
  Effect.scoped(body).pipe(Effect.provide(Layer.merge(suiteLayer, policy)))

// Names unique per run as well as per case: a server shared by cases keeps what earlier ones left.
const runId = Math.random().toString(36).slice(2, 7).toUpperCase().padEnd(5, "0")
let counter = 0

/** A fresh name, `RA.<TAG>.<run>.<n>`. */
const uniqueName = (tag: string): string => `RA.${tag}.${runId}.${++counter}`

/** Defines a queue on a member, deleted when the case ends. */
const defineOn = (member: string, name: string, definition?: QueueDefinition) =>
  Effect.gen(function*() {
    const control = yield* QueueManagerControl
    yield* control.defineQueue(member, name, definition)
    yield* Effect.addFinalizer(() => control.deleteQueue(member, name).pipe(Effect.exit, Effect.asVoid))
  })

/** A queue of the case's own on one member (a ledger, a queue with a backout threshold...). */
export const defineQueue = (member: string, tag: string, definition?: QueueDefinition) => {
  const name = uniqueName(tag)
  return Effect.as(defineOn(member, name, definition), name)
}

/** Waits (at most 10 seconds) until `check` holds. */
export const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    while (!(yield* check)) yield* Effect.sleep("10 millis")
  }).pipe(Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.die(new Error(`timed out waiting until ${what}`)) }))

/**
 * What every case starts with, in this order: a request, a reply and a stray queue on both members,
 * deleted when it ends, and a plain connection to each member to look at queues with.
 *
 * A case closes what it opened in the reverse order, and through the `ibmmq` binding (2.1.9) the
 * order matters: its MQDISC loops forever while another connection of the process has a consumer
 * registered (`cleanupConnectionContext` in its `mqgeta.cc` never steps past another connection's
 * entry). So every connection is made before anything consumes on any of them (`connection`, then
 * `client` and `serve`), and all consumers have stopped when the first connection closes.
 */
export const setup = Effect.fnUntraced(function*(target: SuiteTarget, tag: string) {
  const mqi = yield* Mqi
  const queues = { request: uniqueName(`${tag}.Q`), reply: uniqueName(`${tag}.R`), stray: uniqueName(`${tag}.S`) }
  for (const member of target.members) {
    for (const name of Object.values(queues)) yield* defineOn(member, name)
  }
  const observers = new Map<string, Hconn>()
  for (const member of target.members) observers.set(member, yield* mqi.connect(target.member(member)))
  /** The number of messages on a queue of one member. */
  const depth = (member: string, queue: string) =>
    Effect.scoped(Effect.gen(function*() {
      const observer = observers.get(member) ?? assert.fail(`${member} is not a member`)
      const object = yield* mqi.open(observer, { type: "queue", name: queue }, { inquire: true })
      return (yield* mqi.inquire(object, ["CurrentQDepth"])).CurrentQDepth
    }))
  /** Waits until a queue of one member holds `n` messages. */
  const holds = (member: string, queue: string, n: number) =>
    eventually(`${queue} on ${member} holds ${n}`, Effect.map(depth(member, queue), (d) => d === n))
  return { queues, depth, holds }
})

/** A resilient connection of the case's own, to a member or the group. */
export const connection = (connect: ConnectOptions, reconnect: ReconnectMode = "any") =>
  Layer.build(connectionLayer({ connect, reconnect, heartbeat: false }))

/** The events of a stream from now on. */
export const record = Effect.fnUntraced(function*<A extends { readonly _tag: string }>(stream: Stream.Stream<A>) {
  const seen: Array<A> = []
  yield* Effect.forkScoped(Stream.runForEach(stream, (event) => Effect.sync(() => void seen.push(event))))
  yield* Effect.yieldNow
  const of = <T extends A["_tag"]>(tag: T): ReadonlyArray<Extract<A, { readonly _tag: T }>> =>
    seen.filter((event): event is Extract<A, { readonly _tag: T }> => event._tag === tag)
  return {
    tags: (): ReadonlyArray<A["_tag"]> => seen.map((event) => event._tag),
    of,
    /** The events with the tag once there are `count` of them (they reach the recorder a little after they happen). */
    await: <T extends A["_tag"]>(tag: T, count = 1) =>
      Effect.andThen(eventually(`${count} ${tag} events`, Effect.sync(() => of(tag).length >= count)), Effect.sync(() => of(tag)))
  }
})

/** A requester on a connection made for it (see `setup`), with the events of both recorded. */
export const client = Effect.fnUntraced(function*(connected: Context.Context<MqConnection>, options: ReplyAffinityOptions) {
  const affinity = Context.get(yield* Layer.build(layer(options)).pipe(Effect.provideContext(connected)), ReplyAffinity)
  const mq = Context.get(connected, MqConnection)
  const events = yield* record<ReplyAffinityEvent>(affinity.events)
  const connectionEvents = yield* record<ConnectionEvent>(mq.events)
  return { affinity, connection: mq, events, connectionEvents }
})

export type Client = Effect.Success<ReturnType<typeof client>>

/**
 * A transaction guard on a responder's connection, its events recorded. Build it before the client
 * (see `setup`), and define its ledger queue before it.
 */
export const guard = Effect.fnUntraced(function*(on: Context.Context<MqConnection>, options: TransactionGuardOptions) {
  const built = Context.get(yield* Layer.build(guardLayer(options)).pipe(Effect.provideContext(on)), TransactionGuard)
  return { guard: built, events: yield* record<TransactionEvent>(built.events) }
})

const echo = (request: Message) => Effect.succeed({ body: request.body })

/**
 * A responder on a connection made before the client (see `setup`), serving until the case ends;
 * under `guarded`, a guard on that connection.
 */
export const serve = <E>(
  on: Context.Context<MqConnection>,
  queue: string,
  handler: (request: Message) => Effect.Effect<{ readonly body: Uint8Array | string }, E> = echo,
  guarded?: TransactionGuard["Service"]
) =>
  Effect.forkScoped(
    (guarded === undefined
      ? Responder.serve(queue, handler, { wait: "100 millis" })
      : Responder.serve(queue, handler, { wait: "100 millis", guard: guarded })).pipe(Effect.provideContext(on))
  )

/** The queue manager the client reached (the first member, as `group` promises), and the other member. */
export const whereIs = Effect.fnUntraced(function*(target: SuiteTarget, c: Client) {
  const first = yield* c.connection.queueManager
  const [expected, other] = target.members
  assert.strictEqual(first.name, expected, "a group connection reaches the first member while it runs")
  return { first, other }
})

/**
 * A queue manager ends (`endmqm -i -r`): its clients reconnect, to the other member when they may.
 * It is started again when the case ends.
 */
export const failOver = Effect.fnUntraced(function*(queueManager: string) {
  const control = yield* QueueManagerControl
  yield* control.stop(queueManager, { mode: "immediate", reconnect: true })
  yield* Effect.addFinalizer(() => control.start(queueManager))
})

const decoder = new TextDecoder()

export const text = (message: Message): string => decoder.decode(message.body)
