import { assert, describe, layer } from "@effect/vitest"
import { type Hconn, type Message, Mqi, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import { Cause, Effect, Exit, Fiber, Layer, Option, Redacted, Stream } from "effect"
import { afterAll } from "vitest"
import * as IbmMq from "../src/index.ts"
import { startServer } from "./support.ts"

// What the conformance suite cannot see: how this adapter drives the binding's asynchronous
// consumers (demand, sharing a connection, interruption), and how it types properties.

const server = await startServer()
afterAll(() => server.stop())

const options = { queueManager: "QM1", channel: "DEV.APP.SVRCONN", connectionName: server.connectionName }
const decoder = new TextDecoder()
const text = (message: Message): string => decoder.decode(message.body)

let counter = 0
/** A queue of the test's own, deleted when its scope ends. */
const defineQueue = Effect.fnUntraced(function*() {
  const control = yield* QueueManagerControl
  const name = `IBMMQ.TEST.${process.pid}.${++counter}`
  yield* Effect.acquireRelease(control.defineQueue("QM1", name), () => control.deleteQueue("QM1", name))
  return name
})

const connect = Mqi.use((mqi) => mqi.connect(options))

const openQueue = (hconn: Hconn, name: string) =>
  Mqi.use((mqi) => mqi.open(hconn, { type: "queue", name }, { input: "shared", output: true, inquire: true }))

const depth = (hconn: Hconn, name: string) =>
  Effect.gen(function*() {
    const mqi = yield* Mqi
    const hobj = yield* mqi.open(hconn, { type: "queue", name }, { inquire: true })
    const { CurrentQDepth } = yield* mqi.inquire(hobj, ["CurrentQDepth"])
    yield* mqi.close(hobj)
    return CurrentQDepth
  })

/** Every message a handle can get now, as text. */
const drain = Effect.fnUntraced(function*(hobj: Parameters<Mqi["Service"]["get"]>[0]) {
  const mqi = yield* Mqi
  const bodies: Array<string> = []
  for (let next = yield* mqi.get(hobj); Option.isSome(next); next = yield* mqi.get(hobj)) bodies.push(text(next.value))
  return bodies
})

layer(Layer.mergeAll(IbmMq.layer, Emulator.layerClient({ port: server.port })), { excludeTestServices: true })(
  "ibmmq adapter",
  (it) => {
    describe("consumers", () => {
      it.effect("a stream that is not pulled takes nothing more from the queue", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const queue = yield* defineQueue()
          const producer = yield* connect
          const output = yield* openQueue(producer, queue)
          const pull = yield* Stream.toPull(mqi.consume(yield* openQueue(yield* connect, queue)))
          yield* mqi.put(output, { body: "first" })
          assert.deepStrictEqual((yield* pull).map(text), ["first"])
          for (const body of ["second", "third"]) yield* mqi.put(output, { body })
          yield* Effect.sleep("200 millis")
          assert.strictEqual(yield* depth(producer, queue), 2, "both messages wait on the queue")
          assert.deepStrictEqual((yield* pull).map(text), ["second"])
          assert.strictEqual(yield* depth(producer, queue), 1)
        }))

      it.effect("two streams and puts share one connection, and every message arrives once", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const [one, two] = [yield* defineQueue(), yield* defineQueue()]
          const hconn = yield* connect
          const [outOne, outTwo] = [yield* openQueue(hconn, one), yield* openQueue(hconn, two)]
          const count = 30
          const first = yield* mqi.consume(yield* openQueue(hconn, one)).pipe(
            Stream.take(count),
            Stream.runCollect,
            Effect.forkChild
          )
          const second = yield* mqi.consume(yield* openQueue(hconn, two)).pipe(
            Stream.take(count),
            Stream.runCollect,
            Effect.forkChild
          )
          yield* Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
            Effect.andThen(mqi.put(outOne, { body: `one ${i}` }), mqi.put(outTwo, { body: `two ${i}` })))
          const expected = (label: string) => Array.from({ length: count }, (_, i) => `${label} ${i}`)
          assert.deepStrictEqual((yield* Fiber.join(first)).map(text), expected("one"))
          assert.deepStrictEqual((yield* Fiber.join(second)).map(text), expected("two"))
        }), 30_000)

      it.effect("gets with wait that are interrupted lose no message", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const queue = yield* defineQueue()
          const input = yield* openQueue(yield* connect, queue)
          const output = yield* openQueue(yield* connect, queue)
          const received: Array<string> = []
          const count = 40
          for (let i = 0; i < count; i++) {
            const waiting = yield* Effect.forkChild(mqi.get(input, { wait: "2 seconds" }))
            yield* mqi.put(output, { body: `m${i}` })
            // Interrupted at any point: before, while or after the message is delivered.
            yield* Effect.sleep(`${i % 5} millis`)
            yield* Fiber.interrupt(waiting)
            const exit = yield* Fiber.await(waiting)
            if (Exit.isSuccess(exit) && Option.isSome(exit.value)) received.push(text(exit.value.value))
            else assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause), "only interrupted")
          }
          received.push(...(yield* drain(input)))
          assert.deepStrictEqual(received.toSorted(), Array.from({ length: count }, (_, i) => `m${i}`).toSorted())
        }), 30_000)

      it.effect("a get with wait and a stream on the same connection both get their messages", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const [streamed, waited] = [yield* defineQueue(), yield* defineQueue()]
          const hconn = yield* connect
          const producer = yield* connect
          const stream = yield* mqi.consume(yield* openQueue(hconn, streamed)).pipe(
            Stream.take(2),
            Stream.runCollect,
            Effect.forkChild
          )
          const waiting = yield* Effect.forkChild(mqi.get(yield* openQueue(hconn, waited), { wait: "3 seconds" }))
          yield* Effect.sleep("100 millis")
          yield* mqi.put(yield* openQueue(producer, streamed), { body: "s1" })
          yield* mqi.put(yield* openQueue(producer, waited), { body: "w1" })
          yield* mqi.put(yield* openQueue(producer, streamed), { body: "s2" })
          assert.deepStrictEqual((yield* Fiber.join(stream)).map(text), ["s1", "s2"])
          assert.deepStrictEqual(Option.map(yield* Fiber.join(waiting), text), Option.some("w1"))
        }))

      it.effect("a consumer delivers properties with each message", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const queue = yield* defineQueue()
          const output = yield* openQueue(yield* connect, queue)
          const consumer = yield* mqi.consume(yield* openQueue(yield* connect, queue)).pipe(
            Stream.take(2),
            Stream.runCollect,
            Effect.forkChild
          )
          yield* mqi.put(output, { body: "a", properties: { n: 1 } })
          yield* mqi.put(output, { body: "b", properties: { n: 2, s: "two" } })
          const received = yield* Fiber.join(consumer)
          assert.deepStrictEqual(received.map((m) => m.properties), [{ n: 1 }, { n: 2, s: "two" }])
        }))
    })

    describe("gets", () => {
      it.effect("a get with wait and maxLength fails with 2080 and leaves the message", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const hobj = yield* openQueue(yield* connect, yield* defineQueue())
          yield* mqi.put(hobj, { body: "0123456789" })
          const error = yield* Effect.flip(mqi.get(hobj, { wait: "1 second", maxLength: 4 }))
          assert.strictEqual(error.reason, 2080)
          const truncated = yield* mqi.get(hobj, { wait: "1 second", maxLength: 4, acceptTruncated: true })
          assert.deepStrictEqual(Option.map(truncated, (m) => [text(m), m.dataLength]), Option.some(["0123", 10]))
        }))

      it.effect("a message longer than the first buffer comes back whole, with its properties", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const hobj = yield* openQueue(yield* connect, yield* defineQueue())
          const long = "x".repeat(5000)
          yield* mqi.put(hobj, { body: new Uint8Array(200_000).fill(1), properties: { long } })
          const got = yield* mqi.get(hobj)
          const shape = Option.map(got, (m) => [m.body.length, m.properties["long"]])
          assert.deepStrictEqual(shape, Option.some([200_000, long]))
        }))
    })

    describe("properties", () => {
      it.effect("a property the binding cannot type (INT64, FLOAT64) is refused with 2473, and nothing is put", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const hobj = yield* openQueue(yield* connect, yield* defineQueue())
          for (const value of [2 ** 40, 1.5, 10n]) {
            const error = yield* Effect.flip(mqi.put(hobj, { body: "x", properties: { value } }))
            assert.strictEqual(error.verb, "MQSETMP")
            assert.strictEqual(error.reason, 2473)
          }
          assert.deepStrictEqual(yield* drain(hobj), [])
        }))
    })

    describe("connect", () => {
      it.effect("a refused connection's error never shows the password", () =>
        Effect.gen(function*() {
          const mqi = yield* Mqi
          const control = yield* QueueManagerControl
          yield* Effect.acquireRelease(
            control.refuseConnections("QM1", 2035),
            () => control.refuseConnections("QM1", undefined)
          )
          const secret = "s3cret-Passw0rd"
          const error = yield* Effect.flip(mqi.connect({ ...options, user: "app", password: Redacted.make(secret) }))
          assert.strictEqual(error.reason, 2035)
          for (const shown of [error.message, String(error), JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
            assert.notInclude(shown, secret)
          }
        }))
    })
  }
)
