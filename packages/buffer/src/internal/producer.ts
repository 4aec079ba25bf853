import {
  type CallError,
  isMqError,
  isNoIdentifier,
  type MessageDescriptor,
  MqConnection,
  type MqError,
  type MqObject,
  type OutgoingMessage
} from "@resilient-mq/core"
import {
  Clock,
  Deferred,
  Duration,
  Effect,
  Latch,
  Option,
  PubSub,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import type { BufferedProducer, BufferedProducerOptions, BufferEvent, SendError, SendResult } from "../BufferedProducer.ts"
import { BufferStore, type Envelope, type SendOptions, type Stored } from "../BufferStore.ts"
import { type Backlog, makeBacklog } from "./backlog.ts"
import { runDrainer } from "./drainer.ts"
import { makeMetrics, type Metrics } from "./metrics.ts"

/** What the send path and the drainer share. */
export interface Shared {
  readonly mq: MqConnection["Service"]
  readonly store: BufferStore["Service"]
  readonly backlog: Backlog
  readonly metrics: Metrics
  readonly publish: (event: BufferEvent) => Effect.Effect<unknown>
  /** Whether the connection's state is `Connected`, as last seen. */
  readonly isConnected: () => boolean
  /** Opened whenever there may be something for the drainer to do: an append landed, a (re)connect. */
  readonly wake: Latch.Latch
  /** The queue opened for output (and for the context the options set), opened once. */
  readonly output: Output
}

const encoder = new TextEncoder()

/** A fresh MsgId: 24 random bytes, as unique as the queue manager's own. */
const newMsgId = (): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(24))

/** The message of an envelope, with its MsgId. */
export const messageOf = (envelope: Envelope): OutgoingMessage => ({
  body: envelope.body,
  descriptor: { ...envelope.descriptor, msgId: envelope.msgId },
  properties: envelope.properties
})

/** Puts a message made from an envelope on a queue, with the envelope's put options. */
export const putEnvelope = (
  shared: Shared,
  queue: string,
  envelope: Envelope,
  message: OutgoingMessage,
  syncpoint: boolean
): Effect.Effect<MessageDescriptor, CallError> => {
  const options = envelope.options === undefined ? (syncpoint ? IN_UNIT : OUTSIDE_UNIT) : { ...envelope.options, syncpoint }
  // Straight to the put once the queue is open: the drainer puts thousands.
  const opened = shared.output.opened(queue, envelope.options)
  return opened === undefined
    ? Effect.flatMap(shared.output.open(queue, envelope.options), (object) => shared.mq.put(object, message, options))
    : shared.mq.put(opened, message, options)
}

// The put options of envelopes without options of their own, made once: the drainer puts thousands.
const IN_UNIT = { syncpoint: true }
const OUTSIDE_UNIT = { syncpoint: false }

// Putting with a context set by the application needs the queue opened for that context.
const openContext = (options: SendOptions | undefined) =>
  options?.context === "set-identity" || options?.context === "set-all" ? options.context : undefined

const outputKey = (destination: string, context: ReturnType<typeof openContext>) =>
  context === undefined ? destination : `${destination}\u0000${context}`

/** Queues opened for output, by destination and context. */
export interface Output {
  /** The queue, opened once (the first call opens it, later ones wait for that open or reuse it). */
  readonly open: (destination: string, options: SendOptions | undefined) => Effect.Effect<MqObject, CallError>
  /** The queue if it is open already. */
  readonly opened: (destination: string, options: SendOptions | undefined) => MqObject | undefined
}

/**
 * Opens queues for output once and remembers them. The open runs in a fiber of its own that waiters
 * join: an open through the connection cannot be interrupted (it may wait out a whole reconnect), and
 * a send giving up, or the producer closing, must not wait for it.
 */
const makeOutput = Effect.fnUntraced(function*(mq: MqConnection["Service"]) {
  const scope = yield* Effect.scope
  const opened = new Map<string, MqObject>()
  const opening = new Map<string, Deferred.Deferred<MqObject, CallError>>()
  const open = (destination: string, options: SendOptions | undefined): Effect.Effect<MqObject, CallError> =>
    Effect.suspend(() => {
      const context = openContext(options)
      const key = outputKey(destination, context)
      const ready = opened.get(key)
      if (ready !== undefined) return Effect.succeed(ready)
      const pending = opening.get(key)
      if (pending !== undefined) return Deferred.await(pending)
      const done = Deferred.makeUnsafe<MqObject, CallError>()
      opening.set(key, done)
      const opens = mq.open({ type: "queue", name: destination }, context === undefined ? { output: true } : { output: true, context })
        .pipe(
          // Open as long as the producer (closed at once if it is gone by then); the connection
          // reopens it after every reconnect.
          Scope.provide(scope),
          Effect.tap((object) => Effect.sync(() => opened.set(key, object))),
          Effect.ensuring(Effect.sync(() => opening.delete(key))),
          Effect.exit,
          Effect.flatMap((exit) => Deferred.done(done, exit))
        )
      return Effect.andThen(Effect.forkDetach(opens), Deferred.await(done))
    })
  const output: Output = {
    open,
    opened: (destination, options) => opened.get(outputKey(destination, openContext(options)))
  }
  return output
})

// How often the age of the oldest buffered message is sampled (it grows while nothing happens).
const sampleEvery = Duration.seconds(1)

export const makeProducer = Effect.fnUntraced(function*(options: BufferedProducerOptions) {
  const mq = yield* MqConnection
  const store = yield* BufferStore
  const events = yield* PubSub.unbounded<BufferEvent>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(events))
  const publish = (event: BufferEvent) => PubSub.publish(events, event)
  const metrics = makeMetrics()

  // What a previous run left in the store is backlog too: it is drained first, and queued behind.
  const initial = new Map<string, number>()
  for (const destination of yield* store.destinations) initial.set(destination, (yield* store.depth(destination)).messages)
  const backlog = yield* makeBacklog(initial, publish, metrics)

  let connected = (yield* SubscriptionRef.get(mq.state))._tag === "Connected"
  // Open while the connection is not `Connected`: a direct put racing it gives up and buffers.
  const disconnected = yield* Latch.make(!connected)
  const wake = yield* Latch.make(true)
  yield* Effect.forkScoped(Stream.runForEach(SubscriptionRef.changes(mq.state), (state) =>
    Effect.suspend(() => {
      connected = state._tag === "Connected"
      return connected ? Effect.andThen(Latch.close(disconnected), Latch.open(wake)) : Latch.open(disconnected)
    })))

  const shared: Shared = {
    mq,
    store,
    backlog,
    metrics,
    publish,
    isConnected: () => connected,
    wake,
    output: yield* makeOutput(mq)
  }

  /**
   * Puts at once, unless the connection goes first. `None`: not known to be put (the connection went
   * before or during the put, or its outcome is unknown), so the caller buffers it with its MsgId.
   */
  const putDirectly = (envelope: Envelope): Effect.Effect<Option.Option<MessageDescriptor>, MqError> =>
    Effect.raceFirst(
      putEnvelope(shared, envelope.destination, envelope, messageOf(envelope), false).pipe(
        Effect.map(Option.some),
        // A refusal goes to the caller; a lost connection (`ConnectionUnavailable` included) buffers.
        Effect.catch((error) =>
          isMqError(error) && error.errorClass !== "connection" && error.errorClass !== "outcome-unknown"
            ? Effect.fail(error)
            : Effect.succeed(Option.none<MessageDescriptor>())
        )
      ),
      Effect.as(Latch.await(disconnected), Option.none<MessageDescriptor>())
    )

  const onDropped = (dropped: ReadonlyArray<Stored>) =>
    Effect.forEach(dropped, (envelope) =>
      Effect.all([
        metrics.dropped(envelope.destination, 1),
        publish({ _tag: "Dropped", envelope }),
        backlog.settle(envelope.destination, 1)
      ]), { discard: true })

  // Counted in the backlog before the append starts and uncounted if it fails; not interrupted in
  // between, so that the count cannot keep an append that never happened (or miss one that did).
  const buffer = (envelope: Envelope): Effect.Effect<SendResult, SendError> =>
    Effect.gen(function*() {
      yield* backlog.begin(envelope.destination)
      const appended = yield* Effect.onError(store.append(envelope), () => backlog.cancel(envelope.destination))
      yield* metrics.appended(envelope.destination, 1)
      yield* onDropped(appended.dropped)
      yield* publish({ _tag: "Buffered", destination: envelope.destination, id: appended.id, msgId: envelope.msgId })
      yield* Latch.open(wake)
      return { _tag: "Buffered" as const, id: appended.id, msgId: envelope.msgId }
    }).pipe(Effect.uninterruptible)

  const send = Effect.fn("BufferedProducer.send")(function*(
    destination: string,
    message: OutgoingMessage,
    sendOptions?: SendOptions
  ): Effect.fn.Return<SendResult, SendError> {
    const given = message.descriptor?.msgId
    const envelope: Envelope = {
      destination,
      body: typeof message.body === "string" ? encoder.encode(message.body) : message.body,
      descriptor: message.descriptor ?? {},
      properties: message.properties ?? {},
      ...(sendOptions === undefined ? {} : { options: sendOptions }),
      msgId: given !== undefined && !isNoIdentifier(given) ? given : newMsgId(),
      acceptedAt: yield* Clock.currentTimeMillis
    }
    // Directly only while connected and with nothing older buffered: a message never overtakes one
    // buffered before it for the same destination.
    if (connected && backlog.of(destination) === 0) {
      const sent = yield* putDirectly(envelope)
      if (Option.isSome(sent)) return { _tag: "Sent", descriptor: sent.value }
    }
    return yield* buffer(envelope)
  })

  const sampleOldest = Effect.gen(function*() {
    const depth = yield* store.depth()
    const now = yield* Clock.currentTimeMillis
    yield* metrics.oldestAge(depth.oldestAcceptedAt === undefined ? 0 : Math.max(0, now - depth.oldestAcceptedAt) / 1000)
  }).pipe(
    Effect.catch((error) => Effect.logWarning(`the buffer's depth could not be read: ${error.message}`)),
    Effect.andThen(Effect.sleep(sampleEvery)),
    Effect.forever
  )

  yield* Effect.forkScoped(runDrainer(shared, options))
  yield* Effect.forkScoped(sampleOldest)

  return {
    send,
    events: Stream.fromPubSub(events),
    backlog: backlog.total
  } satisfies BufferedProducer["Service"]
})
