import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { NodeRedis } from "@effect/platform-node"
import { BufferedProducer, BufferStore, BufferStoreError, type Envelope, layer as producerLayer, type Stored } from "@resilient-mq/buffer"
import { suite } from "@resilient-mq/buffer/testing"
import { layer as connectionLayer, MqConnection, QueueManagerControl } from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import * as Retry from "@resilient-mq/retry"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Config, ConfigProvider, Context, Effect, Exit, Fiber, Layer, Option, Result, Scope } from "effect"
import * as Redis from "effect/persistence/Redis"
import { layerRedisConfig, RedisBufferStore, type RedisStoreOptions } from "../src/index.ts"
import { type RedisServer, redisServer } from "../src/testing.ts"
import { locationOn, quickRetry, storeAt } from "./support/stores.ts"

// One server for the conformance suite, each case under a key prefix of its own.
const suiteScope = Scope.makeUnsafe()
let server: RedisServer | undefined
beforeAll(async () => {
  server = await Effect.runPromise(Scope.provide(redisServer(), suiteScope))
}, 30_000)
afterAll(() => Effect.runPromise(Scope.close(suiteScope, Exit.void)))

suite("redis", {
  layer: (location) => storeAt(location),
  location: Effect.sync(() => locationOn(server!.port)),
  durable: true,
  crash: { childModule: fileURLToPath(new URL("./support/crashChild.ts", import.meta.url)) }
})

// --- helpers ---

/** A store over a location with a client of its own, open until the scope closes: the port and its own face. */
const open = (location: string, options: RedisStoreOptions = {}, retry: Layer.Layer<Retry.RetryPolicy, Config.ConfigError> = quickRetry) =>
  Effect.map(Layer.build(storeAt(location, options, retry)), (context) => ({
    store: Context.get(context, BufferStore),
    own: Context.get(context, RedisBufferStore)
  }))

const envelope = (destination: string, n: number): Envelope => ({
  destination,
  body: new TextEncoder().encode(`message ${n}`),
  descriptor: { correlId: new Uint8Array(24).fill(n % 256) },
  properties: { n },
  msgId: new Uint8Array(24).fill(1),
  acceptedAt: 1_700_000_000_000 + n
})

const numbers = (stored: ReadonlyArray<Stored>) => stored.map((s) => s.properties["n"])

const everything = (store: BufferStore["Service"], destination: string) => store.take(destination, Number.MAX_SAFE_INTEGER)

/** Waits until `check` holds, at most `within` milliseconds. */
const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, within = 10_000) =>
  Effect.gen(function*() {
    while (!(yield* check)) yield* Effect.sleep("20 millis")
  }).pipe(Effect.timeoutOrElse({ duration: within, orElse: () => Effect.die(new Error(`timed out waiting until ${what}`)) }))

/** The `BufferStoreError` an effect fails with (a case fails if it succeeds or fails otherwise). */
const storeErrorOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.result(effect), (result) =>
    Result.isFailure(result) && result.failure instanceof BufferStoreError
      ? Effect.succeed(result.failure)
      : Effect.die(new Error(`expected a BufferStoreError, got ${Result.isSuccess(result) ? "a success" : String(result.failure)}`)))

// The runtime running the tests runs the child too: Node runs TypeScript itself, Deno with `run -A`.
const spawnChild = (module: string, args: ReadonlyArray<string>): ChildProcess =>
  spawn(
    process.execPath,
    process.versions["deno"] === undefined ? [module, ...args] : ["run", "-A", module, ...args],
    { stdio: ["ignore", "pipe", "pipe"] }
  )

/** Runs a child until it prints `line`; the scope kills it with SIGKILL if it still runs. */
const childUntil = (module: string, args: ReadonlyArray<string>, line: string) =>
  Effect.acquireRelease(
    Effect.callback<ChildProcess, Error>((resume) => {
      const child = spawnChild(module, args)
      let out = ""
      let err = ""
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk
        if (out.includes(line)) resume(Effect.succeed(child))
      })
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk))
      child.once("exit", (code, signal) => resume(Effect.fail(new Error(`${module} ended (${code ?? signal}): ${out} ${err}`))))
    }),
    (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

const killed = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

describe("redis store", () => {
  it.live("nothing acknowledged as appended is lost when redis-server is killed with SIGKILL and started again", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const location = locationOn(server.port)
      // One store (one client) through every round: it reconnects by itself once the server is back.
      const { store } = yield* open(location)
      const returned: Array<Stored> = []
      for (let round = 0; round < 3; round++) {
        // 16 producers append until the kill: every append that returned is recorded.
        let n = round * 1_000_000
        const producers = yield* Effect.forkChild(Effect.all(
          Array.from({ length: 16 }, () =>
            Effect.gen(function*() {
              for (;;) {
                const e = envelope("KILL.Q", n++)
                const appended = yield* Effect.result(store.append(e))
                if (Result.isFailure(appended)) return appended.failure
                returned.push({ ...e, id: appended.success.id })
              }
            })),
          { concurrency: "unbounded" }
        ))
        const before = returned.length
        yield* eventually("appends land", Effect.sync(() => returned.length > before + 200 + Math.floor(Math.random() * 500)))
        yield* server.kill
        const failures = yield* Fiber.join(producers)
        assert.isTrue(failures.every((f) => f._tag === "BufferStoreError" && f.store === "redis"), "appends fail with BufferStoreError")
        yield* server.start
        yield* eventually("the store answers again", Effect.map(Effect.result(store.depth()), Result.isSuccess))
        const held = new Map((yield* everything(store, "KILL.Q")).map((s) => [s.id, s]))
        for (const appended of returned) {
          const stored = held.get(appended.id)
          assert.isDefined(stored, `append ${appended.id} had returned before the kill, and is gone`)
          assert.deepStrictEqual(stored?.properties, appended.properties)
          assert.deepStrictEqual(stored?.body, appended.body)
        }
      }
      // And a store opened afresh on the restarted server sees the same.
      const fresh = yield* open(location)
      assert.strictEqual((yield* fresh.store.depth("KILL.Q")).messages, (yield* store.depth("KILL.Q")).messages)
    }), 120_000)

  it.live("appends from two instances keep their order per destination, and every instance sees them all", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const location = locationOn(server.port)
      const a = yield* open(location)
      const b = yield* open(location)
      // One after the other, alternating: the destination holds them in that order.
      for (let n = 0; n < 20; n++) yield* (n % 2 === 0 ? a : b).store.append(envelope("SHARED.Q", n))
      // Concurrently from both: each fiber's own order is kept.
      yield* Effect.all(
        [a, b].flatMap(({ store }, instance) =>
          Array.from({ length: 4 }, (_, fiber) =>
            Effect.forEach(Array.from({ length: 25 }, (_, i) => 1000 * (1 + instance * 4 + fiber) + i), (n) =>
              store.append(envelope("SHARED.Q", n))))
        ),
        { concurrency: "unbounded" }
      )
      const held = numbers(yield* everything(a.store, "SHARED.Q")) as ReadonlyArray<number>
      assert.deepStrictEqual(held.slice(0, 20), Array.from({ length: 20 }, (_, n) => n))
      for (let writer = 1; writer <= 8; writer++) {
        const own = held.filter((n) => Math.floor(n / 1000) === writer)
        assert.deepStrictEqual(own, Array.from({ length: 25 }, (_, i) => writer * 1000 + i), `writer ${writer}'s order`)
      }
      // Taken by `a` above, so `a` holds the lease: `b` sees the same depth, but takes nothing.
      assert.deepStrictEqual(yield* b.store.depth("SHARED.Q"), yield* a.store.depth("SHARED.Q"))
      assert.deepStrictEqual(yield* b.store.take("SHARED.Q", 10), [])
    }), 60_000)

  it.live("only one instance drains a destination: the lease is renewed while its holder uses it, and given up when it is done or idle", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const location = locationOn(server.port)
      const a = yield* open(location, { lease: "1500 millis" })
      const b = yield* open(location, { lease: "1500 millis" })
      yield* Effect.forEach(Array.from({ length: 10 }, (_, n) => n), (n) => a.store.append(envelope("LEASE.Q", n)))
      yield* b.store.append(envelope("OTHER.Q", 99))

      const first = yield* a.store.take("LEASE.Q", 3)
      assert.deepStrictEqual(numbers(first), [0, 1, 2])
      assert.deepStrictEqual(yield* a.own.leases, ["LEASE.Q"])
      assert.deepStrictEqual(yield* b.store.take("LEASE.Q", 3), [], "another instance takes nothing while the lease is held")
      assert.deepStrictEqual(numbers(yield* b.store.take("OTHER.Q", 3)), [99], "leases are per destination")

      // A drainer at work for three lease periods: acknowledging and taking keeps the lease.
      for (let batch = 0; batch < 6; batch++) {
        const taken = yield* a.store.take("LEASE.Q", 1)
        yield* a.store.acknowledge(taken.map((s) => s.id))
        yield* Effect.sleep("750 millis")
        assert.deepStrictEqual(yield* b.store.take("LEASE.Q", 1), [], `still held after ${(batch + 1) * 750} ms`)
      }

      // The holder stops (its drainer waits for a reconnection, say): it gives the lease up.
      yield* eventually("the idle holder gives its lease up", Effect.map(a.own.leases, (held) => held.length === 0))
      assert.deepStrictEqual(numbers(yield* b.store.take("LEASE.Q", 2)), [6, 7], "the other instance takes over")
      assert.deepStrictEqual(yield* a.store.take("LEASE.Q", 2), [])

      // Taking the last and finding nothing left gives the lease up at once.
      const rest = yield* everything(b.store, "LEASE.Q")
      yield* b.store.acknowledge(rest.map((s) => s.id))
      assert.deepStrictEqual(yield* b.store.take("LEASE.Q", 10), [])
      yield* a.store.append(envelope("LEASE.Q", 10))
      assert.deepStrictEqual(numbers(yield* a.store.take("LEASE.Q", 10)), [10])
    }), 60_000)

  it.live("a holder killed with SIGKILL keeps the destination only until its lease expires", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const location = locationOn(server.port)
      const { store } = yield* open(location)
      yield* Effect.forEach([1, 2, 3], (n) => store.append(envelope("TAKEOVER.Q", n)))
      const holder = yield* childUntil(
        fileURLToPath(new URL("./support/leaseHolder.ts", import.meta.url)),
        [location, "TAKEOVER.Q", "5000"],
        "held"
      )
      yield* killed(holder)
      assert.deepStrictEqual(yield* store.take("TAKEOVER.Q", 10), [], "the dead holder's lease has not expired yet")
      yield* eventually("the lease expires", Effect.map(store.take("TAKEOVER.Q", 10), (taken) => taken.length === 3))
    }), 60_000)

  it.live("a Redis that goes away fails calls with BufferStoreError, and the store works again once it is back", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const { store } = yield* open(locationOn(server.port))
      const [appended] = yield* Effect.forEach([1], (n) => store.append(envelope("AWAY.Q", n)))
      yield* server.kill
      const errors = [
        yield* storeErrorOf(store.append(envelope("AWAY.Q", 2))),
        yield* storeErrorOf(store.take("AWAY.Q", 10)),
        yield* storeErrorOf(store.acknowledge([appended!.id])),
        yield* storeErrorOf(store.deadLetter([appended!.id], "refused")),
        yield* storeErrorOf(store.depth()),
        yield* storeErrorOf(store.destinations),
        yield* storeErrorOf(store.deadLetters())
      ]
      assert.deepStrictEqual(
        errors.map((e) => e.operation),
        ["append", "take", "acknowledge", "dead-letter", "measure depth", "list destinations", "read dead letters"]
      )
      for (const error of errors) {
        assert.strictEqual(error.store, "redis")
        assert.instanceOf(error.cause, Error, "the client's error is the cause")
      }
      yield* server.start
      yield* eventually("the store answers again", Effect.map(Effect.result(store.depth()), Result.isSuccess))
      yield* store.append(envelope("AWAY.Q", 3))
      assert.deepStrictEqual(numbers(yield* everything(store, "AWAY.Q")), [1, 3])
    }), 60_000)

  it.live("an append made while Redis restarts is retried under the policy and lands once", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const patient = Retry.layer({ transient: { maxAttempts: 50, initialDelay: "100 millis", maxDelay: "100 millis", jitter: 0 } })
      const { store } = yield* open(locationOn(server.port), {}, patient)
      yield* store.append(envelope("RETRY.Q", 1))
      yield* server.kill
      const appending = yield* Effect.forkChild(store.append(envelope("RETRY.Q", 2)))
      yield* Effect.sleep("300 millis")
      yield* server.start
      yield* Fiber.join(appending)
      assert.deepStrictEqual(numbers(yield* everything(store, "RETRY.Q")), [1, 2])
    }), 60_000)

  it.live("an append or acknowledgement whose reply is late is retried, and done once", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const location = locationOn(server.port)
      const patient = Retry.layer({ transient: { maxAttempts: 20, initialDelay: "50 millis", maxDelay: "50 millis", jitter: 0 } })
      const { store } = yield* open(location, { timeout: "100 millis" }, patient)
      const other = yield* Layer.build(NodeRedis.layer({ socket: { host: "127.0.0.1", port: server.port } }))
      // Redis holds every write for 600 ms: the first attempts time out, and all of them run once it
      // resumes, the first doing the work and the others finding its reply.
      const pauseWrites = Context.get(other, Redis.Redis).send("CLIENT", "PAUSE", "600", "WRITE")
      yield* store.append(envelope("LATE.Q", 1))
      const taken = yield* everything(store, "LATE.Q")
      yield* pauseWrites
      const removed = yield* store.acknowledge(taken.map((s) => s.id))
      assert.deepStrictEqual(removed, { messages: 1, bytes: "message 1".length }, "a retried acknowledgement says what the first did")
      yield* pauseWrites
      yield* store.append(envelope("LATE.Q", 2))
      assert.deepStrictEqual(numbers(yield* everything(store, "LATE.Q")), [2], "a retried append lands once")
    }), 60_000)

  it.live("refuses a Redis that evicts keys under memory pressure, and options that make no sense", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const location = locationOn(server.port)
      const config = yield* Layer.build(NodeRedis.layer({ socket: { host: "127.0.0.1", port: server.port } }))
      yield* Context.get(config, Redis.Redis).send("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
      const evicting = yield* storeErrorOf(Effect.scoped(open(location)))
      assert.strictEqual(evicting.operation, "open")
      assert.match(evicting.message, /maxmemory-policy allkeys-lru/)
      yield* Context.get(config, Redis.Redis).send("CONFIG", "SET", "maxmemory-policy", "noeviction")
      const { own } = yield* open(location)
      assert.deepStrictEqual(own.persistence, { appendonly: "yes", appendfsync: "always", maxmemoryPolicy: "noeviction" })

      const invalid = yield* Effect.flip(Effect.scoped(Layer.build(storeAt(location, { prefix: "", lease: "1 milli", timeout: -1 }))))
      assert.strictEqual(invalid._tag, "ConfigError")
      for (const option of ["prefix", "lease", "timeout"]) assert.include(invalid.message, option)
    }), 60_000)

  it.live("layerRedisConfig reads its options from configuration", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const configured = layerRedisConfig({
        prefix: Config.String("prefix"),
        lease: Config.Duration("lease"),
        capacity: { messages: Config.Int("messages") }
      }).pipe(
        Layer.provide(NodeRedis.layer({ socket: { host: "127.0.0.1", port: server.port } })),
        Layer.provide(quickRetry),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ prefix: "configured", lease: "2 seconds", messages: 1 })))
      )
      const context = yield* Layer.build(configured)
      assert.strictEqual(Context.get(context, RedisBufferStore).prefix, "configured")
      const store = Context.get(context, BufferStore)
      yield* store.append(envelope("CONFIGURED.Q", 1))
      assert.strictEqual((yield* Effect.flip(store.append(envelope("CONFIGURED.Q", 2))))._tag, "BufferFull")
    }), 60_000)
})

describe("the buffered producer over the redis store", () => {
  const QUEUE = "DEV.QUEUE.1"
  const policy = Retry.layer({
    connection: { initialDelay: "20 millis", maxDelay: "100 millis", jitter: 0, deadline: "10 seconds" },
    transient: { maxAttempts: 3, initialDelay: "20 millis", maxDelay: "50 millis" }
  })

  const takeAll = Effect.gen(function*() {
    const mq = yield* MqConnection
    const object = yield* mq.open({ type: "queue", name: QUEUE }, { input: "shared" })
    const messages: Array<string> = []
    for (;;) {
      const message = yield* mq.get(object)
      if (Option.isNone(message)) break
      messages.push(new TextDecoder().decode(message.value.body))
    }
    yield* mq.close(object)
    return messages
  })

  it.live("a send while Redis is away fails with BufferStoreError and the producer goes on; an instance that starts drains what one left", () =>
    Effect.gen(function*() {
      const server = yield* redisServer()
      const location = locationOn(server.port)
      // One queue manager; each instance of the application has its own connection, Redis client and producer.
      const emulator = Layer.succeedContext(yield* Layer.build(Emulator.layer()))
      const instance = producerLayer({ batchSize: 8 }).pipe(
        Layer.provideMerge(storeAt(location, {}, policy)),
        Layer.provideMerge(connectionLayer({ connect: { queueManager: "QM1" }, heartbeat: false }).pipe(Layer.provide(policy))),
        Layer.provideMerge(emulator)
      )
      const leaving = yield* Scope.make()
      const first = yield* Layer.buildWithScope(instance, leaving)
      const control = Context.get(first, QueueManagerControl)
      const send = (context: typeof first, body: string) => Context.get(context, BufferedProducer).send(QUEUE, { body })
      const depth = (context: typeof first) => Context.get(context, BufferStore).depth(QUEUE)

      yield* control.stop("QM1", { mode: "immediate", reconnect: true })
      const sent = Array.from({ length: 40 }, (_, n) => `m${n}`)
      for (const body of sent) assert.strictEqual((yield* send(first, body))._tag, "Buffered")

      yield* server.kill
      const refused = yield* Effect.flip(send(first, "while redis is away"))
      assert.strictEqual(refused._tag, "BufferStoreError")
      yield* server.start
      yield* eventually("the store answers again", Effect.map(Effect.result(depth(first)), Result.isSuccess))
      assert.strictEqual((yield* send(first, "m40"))._tag, "Buffered", "the producer goes on")
      sent.push("m40")

      // The first instance leaves while the queue manager is down; a second one starts, connects
      // once it is back, and finds what the store holds as its backlog.
      yield* Scope.close(leaving, Exit.void)
      const starting = yield* Effect.forkChild(Layer.build(instance))
      yield* control.start("QM1")
      const second = yield* Fiber.join(starting)
      yield* eventually("the buffer is drained", Effect.map(depth(second), (d) => d.messages === 0))
      assert.deepStrictEqual(yield* Effect.provideContext(takeAll, second), sent, "every message once, in order")
      assert.strictEqual((yield* send(second, "after"))._tag, "Sent", "direct sends resume once the backlog is empty")
    }), 60_000)
})
