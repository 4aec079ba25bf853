import type { Config } from "effect"
import { Clock, Effect, Layer } from "effect"
import {
  BufferStore,
  type BufferStoreError,
  type DeadLetter,
  type Depth,
  type Envelope,
  type EnvelopeId,
  type Removed,
  type Stored
} from "./BufferStore.ts"
import { capacityConfig, type CapacityOptions, withCapacity } from "./Capacity.ts"

/** One destination's envelopes in append order (a `Map` iterates in insertion order), and their size. */
interface Queue {
  readonly envelopes: Map<EnvelopeId, Stored>
  bytes: number
}

/**
 * A store in memory, without capacity: what it holds is lost with the process. `layerMemory` is the
 * usual way to get one (with capacity).
 */
export const makeMemory: Effect.Effect<BufferStore["Service"]> = Effect.sync(() => {
  let nextId = 0
  const queues = new Map<string, Queue>()
  const destinationOf = new Map<EnvelopeId, string>()
  const dead = new Map<EnvelopeId, DeadLetter>()

  // Takes envelopes out of their queues, skipping ids not held: what was taken, and its size.
  const remove = (ids: ReadonlyArray<EnvelopeId>) => {
    const taken: Array<Stored> = []
    let bytes = 0
    for (const id of ids) {
      const destination = destinationOf.get(id)
      const queue = destination === undefined ? undefined : queues.get(destination)
      const stored = queue?.envelopes.get(id)
      if (destination === undefined || queue === undefined || stored === undefined) continue
      destinationOf.delete(id)
      queue.envelopes.delete(id)
      queue.bytes -= stored.body.length
      if (queue.envelopes.size === 0) queues.delete(destination)
      taken.push(stored)
      bytes += stored.body.length
    }
    return { taken, removed: { messages: taken.length, bytes } satisfies Removed }
  }

  const depthOf = (selected: ReadonlyArray<Queue>): Depth => {
    let messages = 0
    let bytes = 0
    let oldestAcceptedAt: number | undefined
    for (const queue of selected) {
      messages += queue.envelopes.size
      bytes += queue.bytes
      // Append order is acceptance order within a destination: the first is the oldest.
      const first = queue.envelopes.values().next()
      if (!first.done && (oldestAcceptedAt === undefined || first.value.acceptedAt < oldestAcceptedAt)) {
        oldestAcceptedAt = first.value.acceptedAt
      }
    }
    return { messages, bytes, oldestAcceptedAt }
  }

  return BufferStore.of({
    append: (envelope: Envelope) =>
      Effect.sync(() => {
        const id = `m${nextId++}`
        // The caller may reuse its buffer: the store keeps its own copy, as a durable store would.
        const stored: Stored = { ...envelope, body: envelope.body.slice(), msgId: envelope.msgId.slice(), id }
        let queue = queues.get(envelope.destination)
        if (queue === undefined) {
          queue = { envelopes: new Map(), bytes: 0 }
          queues.set(envelope.destination, queue)
        }
        queue.envelopes.set(id, stored)
        queue.bytes += stored.body.length
        destinationOf.set(id, envelope.destination)
        return { id, dropped: [] }
      }),
    take: (destination, max) =>
      Effect.sync(() => {
        const queue = queues.get(destination)
        const taken: Array<Stored> = []
        if (queue === undefined) return taken
        for (const stored of queue.envelopes.values()) {
          if (taken.length >= max) break
          taken.push(stored)
        }
        return taken
      }),
    acknowledge: (ids) => Effect.sync(() => remove(ids).removed),
    destinations: Effect.sync(() => [...queues.keys()]),
    depth: (destination) =>
      Effect.sync(() => {
        if (destination === undefined) return depthOf([...queues.values()])
        const queue = queues.get(destination)
        return depthOf(queue === undefined ? [] : [queue])
      }),
    deadLetter: (ids, reason) =>
      Effect.gen(function*() {
        const deadLetteredAt = yield* Clock.currentTimeMillis
        const { taken, removed } = remove(ids)
        for (const stored of taken) dead.set(stored.id, { ...stored, reason, deadLetteredAt })
        return removed
      }),
    deadLetters: (destination) =>
      Effect.sync(() => [...dead.values()].filter((letter) => destination === undefined || letter.destination === destination))
  })
})

/**
 * A `BufferStore` in memory, for tests and for applications that accept losing what is buffered when
 * the process ends, with the capacity of `options` (default 10,000 messages, overflow `reject`).
 * Invalid options fail the layer with a `ConfigError` naming them.
 */
export const layerMemory = (options?: CapacityOptions): Layer.Layer<BufferStore, Config.ConfigError | BufferStoreError> =>
  Layer.effect(BufferStore, Effect.flatMap(makeMemory, (store) => withCapacity(store, options)))

/** `layerMemory` with the capacity read from configuration under `path` (see `capacityConfig`). */
export const layerMemoryConfig = (path?: string): Layer.Layer<BufferStore, Config.ConfigError | BufferStoreError> =>
  Layer.unwrap(Effect.map(capacityConfig(path), layerMemory))
