import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { type Hconn, Mqi } from "../../Mqi.ts"
import type { SuiteTarget } from "../../testing.ts"
import {
  connect,
  defineQueue,
  drain,
  expectMqError,
  group,
  openQueue,
  type SuiteLayer,
  uniqueName,
  uniqueTopic
} from "./helpers.ts"

/** Opens a topic string for publishing. */
const openTopic = (hconn: Hconn, topicString: string) =>
  Mqi.use((mqi) => mqi.open(hconn, { type: "topic", topicString }, { output: true }))

/** Publish/subscribe (MQ-BEHAVIOUR §8). */
export const topicCases = (suiteLayer: SuiteLayer, target: SuiteTarget): void =>
  group("topics", suiteLayer, (it) => {
    it.effect("a non-durable subscription receives what is published to its topic string", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const topic = uniqueTopic("NONDUR")
        const hconn = yield* connect(target)
        const subscription = yield* mqi.subscribe(hconn, { topicString: topic })
        assert.strictEqual(subscription.topicString, topic)
        const publisher = yield* openTopic(yield* connect(target), topic)
        for (const body of ["first", "second"]) yield* mqi.put(publisher, { body })
        assert.deepStrictEqual(yield* drain(subscription.destination), ["first", "second"])
      }))

    it.effect("every subscription receives its own copy of a publication", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const topic = uniqueTopic("COPIES")
        const hconn = yield* connect(target)
        const one = yield* mqi.subscribe(hconn, { topicString: topic })
        const two = yield* mqi.subscribe(yield* connect(target), { topicString: topic })
        yield* mqi.put(yield* openTopic(hconn, topic), { body: "news" })
        assert.deepStrictEqual(yield* drain(one.destination), ["news"])
        assert.deepStrictEqual(yield* drain(two.destination), ["news"])
      }))

    it.effect("publishing to a topic nobody subscribes to succeeds and the publication is dropped", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const topic = uniqueTopic("NOSUB")
        const hconn = yield* connect(target)
        yield* mqi.put(yield* openTopic(hconn, topic), { body: "into the void" })
        const late = yield* mqi.subscribe(hconn, { topicString: topic })
        assert.deepStrictEqual(yield* drain(late.destination), [], "a later subscriber does not get it")
      }))

    it.effect("a non-durable subscription is gone after it is closed", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const topic = uniqueTopic("CLOSED")
        // Publications go to a queue of the case's own, which outlives the subscription.
        const queue = yield* defineQueue(target, "TOPIC")
        const hconn = yield* connect(target)
        const destination = yield* openQueue(hconn, queue, { input: "shared" })
        const subscription = yield* mqi.subscribe(hconn, { topicString: topic, destination })
        const publisher = yield* openTopic(yield* connect(target), topic)
        yield* mqi.put(publisher, { body: "while subscribed" })
        yield* mqi.unsubscribe(subscription)
        yield* mqi.put(publisher, { body: "after close" })
        assert.deepStrictEqual(yield* drain(destination), ["while subscribed"])
      }))

    it.effect("a non-durable subscription is gone after its connection disconnects", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const topic = uniqueTopic("DISC")
        const queue = yield* defineQueue(target, "TOPIC")
        const subscriber = yield* connect(target)
        const destination = yield* openQueue(subscriber, queue, { input: "shared" })
        yield* mqi.subscribe(subscriber, { topicString: topic, destination })
        yield* mqi.disconnect(subscriber)
        const hconn = yield* connect(target)
        yield* mqi.put(yield* openTopic(hconn, topic), { body: "after disconnect" })
        assert.deepStrictEqual(yield* drain(yield* openQueue(hconn, queue, { input: "shared" })), [])
      }))

    it.effect("a durable subscription keeps publications across a disconnect and is resumed by name", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const topic = uniqueTopic("DURABLE")
        const name = uniqueName("SUB")
        const subscriber = yield* connect(target)
        const created = yield* mqi.subscribe(subscriber, { topicString: topic, name, durable: true, mode: "create" })
        assert.strictEqual(created.name, name)
        const publisher = yield* openTopic(yield* connect(target), topic)
        yield* mqi.put(publisher, { body: "before disconnect" })
        yield* mqi.disconnect(subscriber)
        for (const body of ["meanwhile 1", "meanwhile 2"]) yield* mqi.put(publisher, { body })
        const resumed = yield* mqi.subscribe(yield* connect(target), {
          topicString: topic,
          name,
          durable: true,
          mode: "resume"
        })
        assert.deepStrictEqual(yield* drain(resumed.destination), ["before disconnect", "meanwhile 1", "meanwhile 2"])
        yield* mqi.unsubscribe(resumed, { subscription: "remove" })
      }))

    it.effect("a removed durable subscription cannot be resumed (2428)", () =>
      Effect.gen(function*() {
        const mqi = yield* Mqi
        const topic = uniqueTopic("REMOVED")
        const name = uniqueName("SUB")
        const hconn = yield* connect(target)
        const subscription = yield* mqi.subscribe(hconn, { topicString: topic, name, durable: true, mode: "create" })
        yield* mqi.unsubscribe(subscription, { subscription: "remove" })
        yield* expectMqError(
          mqi.subscribe(hconn, { topicString: topic, name, durable: true, mode: "resume" }),
          "MQSUB",
          2428
        )
      }))
  })
