import { assert, describe, it } from "@effect/vitest"
import { type Hconn, Mqi, QueueManagerControl } from "@resilient-mq/core"
import { Effect, Option } from "effect"
import { connect, drain, openQueue, reasonOf, withEmulator } from "./support.ts"

const publish = (hconn: Hconn, topicString: string, body: string) =>
  Mqi.use((mqi) => mqi.put1(hconn, { type: "topic", topicString }, { body }))

describe("publish and subscribe", () => {
  it.effect("a managed subscription receives matching publications, each a message of its own", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const sub = yield* mqi.subscribe(hconn, { topicString: "dev/prices/+" })
      assert.match(sub.destination.name, /^SYSTEM\.MANAGED\.NDURABLE\.[0-9A-F]{16}$/)
      const put = yield* mqi.put1(hconn, { type: "topic", topicString: "dev/prices/fx" }, { body: "1.10" })
      yield* publish(hconn, "dev/prices/fx/eur", "deeper")
      yield* publish(hconn, "dev/other", "elsewhere")
      const got = Option.getOrThrow(yield* mqi.get(sub.destination))
      assert.notDeepEqual(got.descriptor.msgId, put.msgId)
      assert.strictEqual(got.properties.MQTopicString, "dev/prices/fx")
      assert.deepStrictEqual(yield* drain(sub.destination), [])
    })))

  it.effect("# matches any number of levels, none included; wildcards in a publication are literal", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const all = yield* mqi.subscribe(hconn, { topicString: "a/#" })
      const plus = yield* mqi.subscribe(hconn, { topicString: "+/b" })
      for (const topic of ["a", "a/b", "a/b/c", "x/b", "x/+"]) yield* publish(hconn, topic, topic)
      assert.deepStrictEqual(yield* drain(all.destination), ["a", "a/b", "a/b/c"])
      assert.deepStrictEqual(yield* drain(plus.destination), ["a/b", "x/b"])
    })))

  it.effect("a topic object's string is joined to the topic string with /", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const sub = yield* mqi.subscribe(hconn, { topicObject: "DEV.BASE.TOPIC" })
      assert.strictEqual(sub.topicString, "dev/")
      const topic = yield* mqi.open(hconn, { type: "topic", name: "DEV.BASE.TOPIC", topicString: "x" }, { output: true })
      assert.strictEqual(topic.name, "dev//x")
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "topic", name: "NOPE" }, { output: true })), 2085)
      assert.strictEqual(yield* reasonOf(mqi.open(hconn, { type: "topic" }, { output: true })), 2085)
    })))

  it.effect("publishing with no subscriber succeeds; a non-durable subscription goes when closed", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      yield* publish(hconn, "news", "nobody listens")
      const sub = yield* mqi.subscribe(hconn, { topicString: "news", name: "reader" })
      yield* mqi.unsubscribe(sub)
      assert.strictEqual(yield* reasonOf(mqi.get(sub.destination)), 2019)
      assert.strictEqual(yield* reasonOf(mqi.subscribe(hconn, { topicString: "news", name: "reader", mode: "resume" })), 2428)
    })))

  it.effect("publications under syncpoint reach subscribers at commit", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const sub = yield* mqi.subscribe(hconn, { topicString: "orders" })
      const topic = yield* mqi.open(hconn, { type: "topic", topicString: "orders" }, { output: true })
      yield* mqi.put(topic, { body: "o1" }, { syncpoint: true })
      assert.deepStrictEqual(yield* drain(sub.destination), [])
      yield* mqi.commit(hconn)
      assert.deepStrictEqual(yield* drain(sub.destination), ["o1"])
    })))

  it.effect("a managed destination can be got from but not put to (2039)", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const sub = yield* mqi.subscribe(yield* connect(), { topicString: "t" })
      assert.strictEqual(yield* reasonOf(mqi.put(sub.destination, { body: "x" })), 2039)
      assert.strictEqual((yield* mqi.inquire(sub.destination, ["DefinitionType"])).DefinitionType, 3)
    })))

  it.effect("publications can go to a queue the application gives", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      const queue = yield* openQueue(hconn, "DEV.QUEUE.3")
      const sub = yield* mqi.subscribe(hconn, { topicString: "given", destination: queue })
      assert.strictEqual(sub.destination.id, queue.id)
      yield* publish(hconn, "given", "here")
      yield* mqi.unsubscribe(sub)
      assert.deepStrictEqual(yield* drain(queue), ["here"])
      const temporary = yield* mqi.open(hconn, { type: "queue", name: "DEV.APP.MODEL.QUEUE" }, { input: "shared" })
      assert.strictEqual(
        yield* reasonOf(mqi.subscribe(hconn, { topicString: "given", destination: temporary, durable: true, name: "d" })),
        2522
      )
    })))
})

describe("durable subscriptions", () => {
  it.effect("need a name (2440), are unique (2432) and used by one handle at a time (2429)", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const hconn = yield* connect()
      assert.strictEqual(yield* reasonOf(mqi.subscribe(hconn, { topicString: "t", durable: true })), 2440)
      yield* mqi.subscribe(hconn, { topicString: "t", durable: true, name: "SUB1" })
      assert.strictEqual(
        yield* reasonOf(mqi.subscribe(hconn, { topicString: "t", durable: true, name: "SUB1", mode: "create" })),
        2432
      )
      assert.strictEqual(yield* reasonOf(mqi.subscribe(hconn, { topicString: "t", durable: true, name: "SUB1" })), 2429)
      assert.strictEqual(yield* reasonOf(mqi.subscribe(hconn, { topicString: "t", name: "SUB1" })), 2509)
    })))

  it.effect("survive disconnect and restart, keep accumulating publications, and are resumed by name", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const first = yield* connect()
      const sub = yield* mqi.subscribe(first, { topicString: "ledger", durable: true, name: "AUDIT" })
      assert.match(sub.destination.name, /^SYSTEM\.MANAGED\.DURABLE\./)
      yield* mqi.disconnect(first)
      const publisher = yield* connect()
      yield* mqi.put1(publisher, { type: "topic", topicString: "ledger" }, {
        body: "persistent",
        descriptor: { persistence: 1 }
      })
      yield* publish(publisher, "ledger", "lost at restart")
      yield* QueueManagerControl.use((c) => c.restart("QM1"))
      const second = yield* connect()
      yield* publish(second, "ledger", "after restart")
      const resumed = yield* mqi.subscribe(second, { name: "AUDIT", durable: true, mode: "resume" })
      assert.strictEqual(resumed.topicString, "ledger")
      assert.strictEqual(resumed.destination.name, sub.destination.name)
      assert.deepStrictEqual(yield* drain(resumed.destination), ["persistent", "after restart"])
      yield* mqi.unsubscribe(resumed, { subscription: "remove" })
      assert.strictEqual(
        yield* reasonOf(mqi.subscribe(second, { name: "AUDIT", durable: true, mode: "resume" })),
        2428
      )
    })))

  it.effect("closing a non-durable subscription with keep is 2045", () =>
    withEmulator()(Effect.gen(function*() {
      const mqi = yield* Mqi
      const sub = yield* mqi.subscribe(yield* connect(), { topicString: "t" })
      assert.strictEqual(yield* reasonOf(mqi.unsubscribe(sub, { subscription: "keep" })), 2045)
    })))
})
