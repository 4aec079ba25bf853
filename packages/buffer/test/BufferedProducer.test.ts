import { assert, describe, it } from "@effect/vitest"
import {
  isMqError,
  layer as connectionLayer,
  type Message,
  MqConnection,
  type Mqi,
  QueueManagerControl
} from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { Effect, Latch, Layer, Metric, Option, Ref, type Scope, Stream, SubscriptionRef } from "effect"
import {
  type BufferEvent,
  BufferedProducer,
  type BufferedProducerOptions,
  BufferStore,
  type BufferStoreError,
  layer,
  layerMemory,
  metrics,
  type SendResult
} from "../src/index.ts"

const QM = "QM1"
const QUEUE = "DEV.QUEUE.1"
const SMALL = "SMALL.Q"

// Reconnect attempts every 20 to 100 ms: an outage ends within a tenth of a second of the restart.
const policy = Retry.layer({ connection: { initialDelay: "20 millis", maxDelay: "100 millis", jitter: 0, deadline: "10 seconds" } })

type Services = BufferedProducer | BufferStore | MqConnection | Mqi | QueueManagerControl | Scope.Scope

/**
 * Runs a case against a fresh emulator (QM1, with `SMALL.Q` taking at most 100 bytes), a resilient
 * connection to it, a store (memory by default) and the producer, with metrics of its own.
 */
const run = (
  options: {
    readonly store?: Layer.Layer<BufferStore, unknown>
    readonly producer?: BufferedProducerOptions
  } = {}
) =>
<A, E>(body: Effect.Effect<A, E, Services>) => {
  const emulator = Emulator.layer({ queueManagers: [{ name: QM, queues: { [SMALL]: { maxMessageLength: 100 } } }] })
  const connection = connectionLayer({ connect: { queueManager: QM }, heartbeat: false }).pipe(
    Layer.provide(policy),
    Layer.provideMerge(emulator)
  )
  const services = layer(options.producer).pipe(
    Layer.provideMerge(options.store ?? layerMemory()),
    Layer.provideMerge(connection)
  )
  return body.pipe(
    Effect.provide(services),
    Effect.provideService(Metric.MetricRegistry, new Map())
  )
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** Collects the producer's events from now on. */
const recordEvents = Effect.gen(function*() {
  const producer = yield* BufferedProducer
  const events = yield* Ref.make<ReadonlyArray<BufferEvent>>([])
  yield* Effect.forkScoped(Stream.runForEach(producer.events, (event) => Ref.update(events, (all) => [...all, event])))
  // Let the subscription start before anything is published.
  yield* Effect.sleep("10 millis")
  return {
    all: Ref.get(events),
    of: <T extends BufferEvent["_tag"]>(tag: T) =>
      Effect.map(Ref.get(events), (all) => all.filter((e): e is Extract<BufferEvent, { _tag: T }> => e._tag === tag))
  }
})

/** Waits (at most 5 seconds) until `check` holds. */
const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    while (!(yield* check)) yield* Effect.sleep("10 millis")
  }).pipe(Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die(new Error(`timed out waiting until ${what}`)) }))

const backlog = Effect.flatMap(BufferedProducer, (p) => SubscriptionRef.get(p.backlog))

/** Waits until the producer has nothing buffered. */
const drained = eventually("the backlog is drained", Effect.map(backlog, (n) => n === 0))

const send = (destination: string, body: string | Uint8Array) =>
  Effect.flatMap(BufferedProducer, (p) => p.send(destination, { body }))

const sendAll = (destination: string, bodies: ReadonlyArray<string>) => Effect.forEach(bodies, (body) => send(destination, body))

const tags = (results: ReadonlyArray<SendResult>) => results.map((r) => r._tag)

const bodies = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`)

/** Takes every message off a queue, in order. */
const takeAll = (queue: string) =>
  Effect.gen(function*() {
    const mq = yield* MqConnection
    const object = yield* mq.open({ type: "queue", name: queue }, { input: "shared" })
    const messages: Array<Message> = []
    for (;;) {
      const message = yield* mq.get(object)
      if (Option.isNone(message)) break
      messages.push(message.value)
    }
    yield* mq.close(object)
    return messages
  })

const stop = Effect.flatMap(QueueManagerControl, (control) => control.stop(QM, { mode: "immediate", reconnect: true }))
const start = Effect.flatMap(QueueManagerControl, (control) => control.start(QM))

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i])

type CounterName = "appended" | "drained" | "dropped" | "deadLettered"

const count = (name: CounterName, destination: string) =>
  Effect.map(Metric.value(Metric.withAttributes(metrics[name], { destination })), (state) => state.count)

const depthGauge = (destination: string) =>
  Effect.map(Metric.value(Metric.withAttributes(metrics.depth, { destination })), (state) => state.value)

const oldestAge = Effect.map(Metric.value(metrics.oldestAge), (state) => state.value)

/** Whether every message on `queue` carries the MsgId its send was answered with. */
const assertOriginalMsgIds = (messages: ReadonlyArray<Message>, results: ReadonlyMap<string, SendResult>) => {
  for (const message of messages) {
    const result = results.get(text(message.body))
    assert.isDefined(result, `unexpected message ${text(message.body)}`)
    const msgId = result?._tag === "Buffered" ? result.msgId : result?.descriptor.msgId
    assert.isTrue(msgId !== undefined && sameBytes(message.descriptor.msgId, msgId), `${text(message.body)} lost its MsgId`)
  }
}

describe("BufferedProducer", () => {
  it.live("sends while connected are Sent, each with a MsgId of its own or the one given", () =>
    run()(Effect.gen(function*() {
      const results = yield* sendAll(QUEUE, ["a", "b", "c"])
      assert.deepStrictEqual(tags(results), ["Sent", "Sent", "Sent"])
      const given = new Uint8Array(24).fill(7)
      const own = yield* Effect.flatMap(BufferedProducer, (p) => p.send(QUEUE, { body: "d", descriptor: { msgId: given } }))
      const messages = yield* takeAll(QUEUE)
      assert.deepStrictEqual(messages.map((m) => text(m.body)), ["a", "b", "c", "d"])
      assertOriginalMsgIds(messages, new Map([...results.map((r, i) => [["a", "b", "c"][i]!, r] as const), ["d", own]]))
      assert.isTrue(sameBytes(messages[3]!.descriptor.msgId, given))
      assert.strictEqual((yield* Effect.flatMap(BufferStore, (s) => s.depth())).messages, 0, "nothing was buffered")
    })))

  it.live("sends while the queue manager is stopped are Buffered, and drained in order once it is back", () =>
    run()(Effect.gen(function*() {
      const events = yield* recordEvents
      yield* stop
      const sent = bodies("m", 0, 10)
      const results = yield* sendAll(QUEUE, sent)
      assert.deepStrictEqual(tags(results), sent.map(() => "Buffered"))
      assert.strictEqual(yield* backlog, 10)
      assert.strictEqual(yield* depthGauge(QUEUE), 10)
      // The age of the oldest is sampled every second.
      yield* eventually("the oldest age is sampled", Effect.map(oldestAge, (age) => age > 0))
      yield* start
      yield* drained
      const messages = yield* takeAll(QUEUE)
      assert.deepStrictEqual(messages.map((m) => text(m.body)), sent)
      assertOriginalMsgIds(messages, new Map(sent.map((body, i) => [body, results[i]!])))
      assert.strictEqual((yield* events.of("Buffered")).length, 10)
      assert.strictEqual((yield* events.of("Drained")).reduce((n, e) => n + e.count, 0), 10)
      assert.deepStrictEqual(yield* events.of("BacklogCleared"), [{ _tag: "BacklogCleared", destination: QUEUE }])
      assert.strictEqual(yield* count("appended", QUEUE), 10)
      assert.strictEqual(yield* count("drained", QUEUE), 10)
      assert.strictEqual(yield* depthGauge(QUEUE), 0)
      assert.deepStrictEqual(tags([yield* send(QUEUE, "after")]), ["Sent"], "direct sends resume once the backlog is empty")
    })))

  it.live("a break during the drain loses nothing, and repeats only the batch whose commit outcome was unknown, with its MsgIds", () =>
    run({ producer: { batchSize: 5 } })(Effect.gen(function*() {
      const control = yield* QueueManagerControl
      const producer = yield* BufferedProducer
      const mq = yield* MqConnection
      const losses = yield* Ref.make(0)
      yield* Effect.forkScoped(
        Stream.runForEach(Stream.filter(mq.events, (e) => e._tag === "ConnectionLost"), () => Ref.update(losses, (n) => n + 1))
      )
      yield* stop
      const sent = bodies("m", 0, 20)
      const results = yield* sendAll(QUEUE, sent)
      // The first commit is carried out and then answered 2009; once a batch is drained after that,
      // the next put breaks the connection inside a unit of work (which the queue manager backs out).
      // Slow puts keep the drain going long enough for that.
      yield* control.failNext(QM, "MQCMIT", 2009, { after: true })
      yield* control.delay(QM, "MQPUT", "3 millis")
      yield* Effect.forkScoped(
        producer.events.pipe(
          Stream.filter((e) => e._tag === "Drained"),
          Stream.take(1),
          Stream.runForEach(() => control.failNext(QM, "MQPUT", 2009))
        )
      )
      yield* Effect.sleep("10 millis")
      yield* start
      yield* drained
      const messages = yield* takeAll(QUEUE)
      const delivered = messages.map((m) => text(m.body))
      assert.deepStrictEqual([...new Set(delivered)], sent, "everything arrived, in order of first arrival")
      assert.deepStrictEqual(delivered, [...sent.slice(0, 5), ...sent], "only the first batch came twice")
      assertOriginalMsgIds(messages, new Map(sent.map((body, i) => [body, results[i]!])))
      assert.strictEqual(yield* Ref.get(losses), 3, "the stop, the commit and the put each broke the connection")
    })))

  it.live("the next batches are put while an acknowledgement is still being written, and nothing is sent twice", () => {
    // A memory store whose acknowledgements wait at a gate until it opens: as a disk's sync would,
    // but for as long as the test wants.
    const gate = Latch.makeUnsafe(false)
    const acknowledgements = { started: 0 }
    const slowAcknowledgements = Layer.effect(
      BufferStore,
      Effect.map(BufferStore, (store) =>
        BufferStore.of({
          ...store,
          acknowledge: (ids) =>
            Effect.andThen(
              Effect.sync(() => acknowledgements.started++),
              Effect.andThen(Latch.await(gate), store.acknowledge(ids))
            )
        }))
    ).pipe(Layer.provide(layerMemory()))
    return run({ store: slowAcknowledgements, producer: { batchSize: 10 } })(Effect.gen(function*() {
      const store = yield* BufferStore
      const mq = yield* MqConnection
      const queue = yield* mq.open({ type: "queue", name: QUEUE }, { inquire: true })
      const onQueue = (n: number) =>
        eventually(`${n} messages are on the queue`, Effect.map(mq.inquire(queue, ["CurrentQDepth"]), (a) => a.CurrentQDepth === n))
      yield* stop
      const sent = bodies("m", 0, 35)
      yield* sendAll(QUEUE, sent)
      yield* start
      yield* onQueue(sent.length)
      yield* eventually("an acknowledgement started", Effect.sync(() => acknowledgements.started > 0))
      assert.strictEqual((yield* store.depth()).messages, sent.length, "none acknowledged yet: the first is held at the gate")
      assert.strictEqual(acknowledgements.started, 1, "one acknowledgement in progress, the others wait for it")
      yield* Latch.open(gate)
      yield* drained
      assert.strictEqual((yield* store.depth()).messages, 0)
      assert.isAtMost(acknowledgements.started, 2, "the batches committed meanwhile were acknowledged together")
      assert.deepStrictEqual((yield* takeAll(QUEUE)).map((m) => text(m.body)), sent)
    }).pipe(
      // Held acknowledgements would keep the producer from closing after a failed assertion.
      Effect.ensuring(Latch.open(gate))
    ))
  })

  it.live("reads ahead several batches of small messages, and one batch at a time of large ones", () => {
    const takes: Array<number> = []
    const recordedTakes = Layer.effect(
      BufferStore,
      Effect.map(BufferStore, (store) =>
        BufferStore.of({ ...store, take: (destination, max) => Effect.andThen(Effect.sync(() => takes.push(max)), store.take(destination, max)) }))
    ).pipe(Layer.provide(layerMemory({ messages: 1_000, bytes: Number.POSITIVE_INFINITY })))
    return run({ store: recordedTakes, producer: { batchSize: 10 } })(Effect.gen(function*() {
      yield* stop
      yield* sendAll(QUEUE, bodies("small", 0, 50))
      yield* start
      yield* drained
      assert.isAbove(Math.max(...takes), 2 * 10, "small messages: several batches per take")
      takes.length = 0
      yield* stop
      const large = new Uint8Array(1024 * 1024).fill(0x61)
      yield* Effect.forEach(Array.from({ length: 25 }), () => send(QUEUE, large), { discard: true })
      yield* start
      yield* drained
      // A take also reads again what is still being acknowledged (left out of the batch): less than a batch.
      assert.isAtMost(Math.max(...takes), 2 * 10, "1 MiB messages: a batch per take")
    }))
  })

  it.live("a take that overlaps an acknowledgement does not send what that acknowledgement settles again", () => {
    // Takes that read at once and answer later, and acknowledgements that finish meanwhile: a take
    // made while batches are being settled reads them before they are removed.
    const slowStore = Layer.effect(
      BufferStore,
      Effect.map(BufferStore, (store) =>
        BufferStore.of({
          ...store,
          take: (destination, max) => Effect.flatMap(store.take(destination, max), (taken) => Effect.as(Effect.sleep("5 millis"), taken)),
          acknowledge: (ids) => Effect.andThen(Effect.sleep("2 millis"), store.acknowledge(ids))
        }))
    ).pipe(Layer.provide(layerMemory({ messages: 1_000 })))
    return run({ store: slowStore, producer: { batchSize: 10 } })(Effect.gen(function*() {
      yield* stop
      const sent = bodies("m", 0, 400)
      yield* sendAll(QUEUE, sent)
      yield* start
      yield* drained
      assert.deepStrictEqual((yield* takeAll(QUEUE)).map((m) => text(m.body)), sent)
    }))
  })

  it.live("new sends queue behind a backlog that is draining, and go directly again once it is empty", () =>
    run({ producer: { batchSize: 4 } })(Effect.gen(function*() {
      const control = yield* QueueManagerControl
      const events = yield* recordEvents
      yield* stop
      const early = bodies("m", 0, 30)
      yield* sendAll(QUEUE, early)
      // Slow puts: the drain takes long enough for sends to happen while it runs.
      yield* control.delay(QM, "MQPUT", "5 millis")
      yield* start
      yield* eventually("a first batch is drained", Effect.map(events.of("Drained"), (d) => d.length > 0))
      const late = bodies("m", 30, 40)
      const during = yield* sendAll(QUEUE, late)
      assert.deepStrictEqual(tags(during), late.map(() => "Buffered"))
      yield* drained
      yield* control.delay(QM, "MQPUT", 0)
      assert.deepStrictEqual(tags([yield* send(QUEUE, "m40")]), ["Sent"])
      assert.deepStrictEqual((yield* takeAll(QUEUE)).map((m) => text(m.body)), [...early, ...late, "m40"])
    })))

  it.live("a full buffer with the reject policy fails the send with BufferFull", () =>
    run({ store: layerMemory({ messages: 3 }) })(Effect.gen(function*() {
      yield* stop
      assert.deepStrictEqual(tags(yield* sendAll(QUEUE, ["a", "b", "c"])), ["Buffered", "Buffered", "Buffered"])
      const error = yield* Effect.flip(send(QUEUE, "d"))
      assert.strictEqual(error._tag, "BufferFull")
      assert.strictEqual(yield* backlog, 3)
      yield* start
      yield* drained
      assert.deepStrictEqual((yield* takeAll(QUEUE)).map((m) => text(m.body)), ["a", "b", "c"])
    })))

  it.live("drop-oldest makes room, says what it dropped, and the dropped messages are never sent", () =>
    run({ store: layerMemory({ messages: 3, overflow: "drop-oldest" }) })(Effect.gen(function*() {
      const events = yield* recordEvents
      yield* stop
      const results = yield* sendAll(QUEUE, bodies("m", 0, 5))
      assert.deepStrictEqual(tags(results), ["Buffered", "Buffered", "Buffered", "Buffered", "Buffered"])
      const dropped = yield* events.of("Dropped")
      assert.deepStrictEqual(dropped.map((e) => text(e.envelope.body)), ["m0", "m1"])
      assert.strictEqual(yield* count("dropped", QUEUE), 2)
      assert.strictEqual(yield* backlog, 3)
      yield* start
      yield* drained
      assert.deepStrictEqual((yield* takeAll(QUEUE)).map((m) => text(m.body)), ["m2", "m3", "m4"])
    })))

  it.live("a message refused for good is dead-lettered with the reason, and the rest goes on", () =>
    run()(Effect.gen(function*() {
      const events = yield* recordEvents
      const store = yield* BufferStore
      yield* stop
      const big = "x".repeat(200)
      yield* sendAll(SMALL, ["s0", big, "s1"])
      yield* send("NO.SUCH.Q", "lost")
      yield* start
      yield* drained
      assert.deepStrictEqual((yield* takeAll(SMALL)).map((m) => text(m.body)), ["s0", "s1"])
      const letters = yield* store.deadLetters()
      assert.deepStrictEqual(letters.map((l) => [l.destination, text(l.body)]).sort(), [["NO.SUCH.Q", "lost"], [SMALL, big]])
      assert.include(letters.find((l) => l.destination === SMALL)?.reason, "MQRC_MSG_TOO_BIG_FOR_Q (2030)")
      assert.include(letters.find((l) => l.destination === "NO.SUCH.Q")?.reason, "MQRC_UNKNOWN_OBJECT_NAME (2085)")
      const deadLettered = yield* events.of("DeadLettered")
      assert.deepStrictEqual(deadLettered.map((e) => e.envelope.destination).sort(), ["NO.SUCH.Q", SMALL])
      assert.strictEqual(yield* count("deadLettered", SMALL), 1)

      // Refused when sent directly: the caller hears it, and nothing is buffered.
      const direct = yield* Effect.flip(send(SMALL, big))
      assert.isTrue(isMqError(direct) && direct.reason === 2030, String(direct))
      const unknown = yield* Effect.flip(send("NO.SUCH.Q", "again"))
      assert.isTrue(isMqError(unknown) && unknown.reason === 2085, String(unknown))
      assert.strictEqual(yield* backlog, 0)
    })))

  it.live("with a dead-letter queue, refused messages go there with the reason as a property", () =>
    run({ producer: { deadLetterQueue: "DEV.DEAD.LETTER.QUEUE" } })(Effect.gen(function*() {
      const events = yield* recordEvents
      const store = yield* BufferStore
      yield* stop
      const [result] = yield* sendAll(SMALL, ["y".repeat(150), "fits"])
      yield* start
      yield* drained
      const [letter, ...others] = yield* takeAll("DEV.DEAD.LETTER.QUEUE")
      assert.deepStrictEqual(others, [])
      assert.include(String(letter?.properties["resilient.reason"]), "2030")
      assert.strictEqual(letter?.properties["resilient.destination"], SMALL)
      assert.isTrue(result?._tag === "Buffered" && letter !== undefined && sameBytes(letter.descriptor.msgId, result.msgId))
      assert.deepStrictEqual((yield* takeAll(SMALL)).map((m) => text(m.body)), ["fits"])
      assert.deepStrictEqual(yield* store.deadLetters(), [])
      assert.deepStrictEqual((yield* events.of("DeadLettered")).map((e) => e.queue), ["DEV.DEAD.LETTER.QUEUE"])
    })))

  it.live("what a previous run left in the store is drained first, and new sends queue behind it", () =>
    Effect.gen(function*() {
      // One store for two producers in turn: the first buffers and goes away, the second finds it.
      const memory = yield* Layer.build(layerMemory())
      const store: Layer.Layer<BufferStore, BufferStoreError> = Layer.succeedContext(memory)
      yield* run({ store })(Effect.andThen(stop, sendAll(QUEUE, ["old0", "old1"])))
      yield* run({ store })(Effect.gen(function*() {
        const [next] = yield* sendAll(QUEUE, ["new0"])
        assert.strictEqual(next?._tag, "Buffered")
        yield* drained
        assert.deepStrictEqual((yield* takeAll(QUEUE)).map((m) => text(m.body)), ["old0", "old1", "new0"])
      }))
    }))
})
