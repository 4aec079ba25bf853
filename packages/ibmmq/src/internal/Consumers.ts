/**
 * Asynchronous consumption (MQCB/MQCTL) on one connection, as the `ibmmq` binding offers it.
 *
 * How the binding behaves (2.1.9, `src/mqgeta.cc`, `lib/mqigeta.js`), and what follows from it:
 *
 * - `Get(obj, md, gmo, cb)` registers a consumer (MQCB) and, with the `useCtl` tuning (the default),
 *   does nothing else: consumption starts with `Ctl(MQOP_START)`.
 * - Each message is delivered on MQ's callback thread, which suspends the connection (MQCTL SUSPEND,
 *   the `SYNCED` strategy) and queues the JavaScript callback; after that callback the binding
 *   resumes the connection. Every other verb on the connection also suspends and resumes it around
 *   itself (`autoCtl`). So a verb that ends while a delivery is queued resumes the connection early,
 *   and a second message can be delivered before the first reached JavaScript.
 * - `GetDone` deregisters at once: a delivery still queued for that consumer is dropped by the
 *   binding (it no longer finds the callback), and with it a message MQ already removed.
 *
 * Hence the rules here:
 *
 * - Demand drives MQCTL: the connection is started only while some consumer waits for a message,
 *   and stopped (MQCTL STOP, which the binding's automatic RESUME cannot undo) as soon as none does,
 *   from inside the callback that satisfied the last waiter. A stream that is not pulled pulls
 *   nothing from MQ.
 * - Verbs on a connection whose consumers are started run with consumption stopped, and a stop is
 *   followed by `flush` (a delivery queued before it reaches its consumer) before anything that
 *   needs the connection quiet: a verb, or `GetDone`.
 * - A consumer is deregistered only after such a flush, so no delivery is dropped. A message that
 *   arrives for a consumer nobody waits on any more (a get that was interrupted, a stream that
 *   ended) is kept for the next get or consumer of the same handle with the same options.
 *
 * - While another connection disconnects, the consumers are parked (see `DisconnectGate`): stopped,
 *   flushed and deregistered like a consumer that ends, but kept with their buffers and waiters, and
 *   registered again afterwards. A get's consumer is registered again for what is left of its wait.
 *
 * Everything but the callbacks, `wait`, `take` and `keep` runs under the connection's lock.
 */
import {
  classify,
  type Message,
  type MqError,
  ReasonCode
} from "@resilient-mq/core"
import { Clock, Deferred, Effect, Option, Result, type Semaphore } from "effect"
import type { GetCallback, HMSG, MQError, MQGMO, MQMD, MQObject, MQQueueManager } from "ibmmq"
import { setImmediate } from "node:timers"
import { type Binding, fromBinding, quietly, type Where } from "./binding.ts"
import { fromMqmd } from "./descriptor.ts"
import type { Parkable } from "./DisconnectGate.ts"
import { createHandle, deleteHandle, readProperties } from "./properties.ts"

/** What a consumer gets, and how: a stream's consumer, or a get with wait's. */
export interface ConsumerSpec {
  readonly kind: "stream" | "get"
  /** Get options that select the same messages the same way have the same signature. */
  readonly signature: string
  readonly md: MQMD
  readonly gmo: MQGMO
  /** With `acceptTruncated`: MQCB always delivers whole messages, so the body is cut here. */
  readonly maxLength: number | undefined
}

/** A registered consumer (MQCB) of one object handle. */
export interface Consumer {
  readonly objectId: number
  readonly obj: MQObject
  readonly where: Where
  readonly kind: ConsumerSpec["kind"]
  readonly signature: string
  readonly maxLength: number | undefined
  readonly hmsg: HMSG
  /** What it was registered with, to register it again after it was parked. */
  readonly md: MQMD
  readonly gmo: MQGMO
  /** The wait interval it was registered with (MQWI_UNLIMITED: -1), and when, in milliseconds. */
  readonly waitInterval: number
  readonly registeredAt: number
  /**
   * Messages delivered and not yet taken. A waiter is only woken: it takes its message from here
   * itself, so that a waiter interrupted after the delivery leaves the message here, not nowhere.
   */
  readonly buffer: Array<Message>
  waiter: Deferred.Deferred<void> | undefined
  /** A get's wait interval ended (2033), not yet taken. */
  expired: boolean
  /** Set once: what every later `take` fails with. */
  failure: Effect.Effect<never, MqError> | undefined
  /** Set when the handle or the connection went away: streams end, gets fail with it. */
  ended: MqError | undefined
  /** While MQCB REGISTER runs: a failure then is the registration's. */
  registering: boolean
}

/**
 * Lets deliveries queued before a stop reach their consumers. The binding queues each delivery on a
 * thread-safe function, which Node dispatches in the poll phase of the event loop; two turns of the
 * check phase are after the next poll phase.
 */
const flush: Effect.Effect<void> = Effect.callback<void>((resume) => {
  setImmediate(() => setImmediate(() => resume(Effect.void)))
})

export class Consumers implements Parkable {
  private readonly mq: Binding
  private readonly qm: MQQueueManager
  private readonly lock: Semaphore.Semaphore
  private started = false
  /** Deregistered while another connection disconnects: nothing starts until they are back. */
  private parked = false
  private readonly consumers = new Map<number, Consumer>()
  private readonly stash = new Map<number, Array<{ readonly signature: string; readonly message: Message }>>()

  /** The consumers of a connection; `lock` is the connection's, which every verb on it holds. */
  constructor(mq: Binding, qm: MQQueueManager, lock: Semaphore.Semaphore) {
    this.mq = mq
    this.qm = qm
    this.lock = lock
  }

  /** Whether a consumer is registered for the handle (MQ allows one per handle). */
  isConsumed(objectId: number): boolean {
    return this.consumers.has(objectId)
  }

  /** A message kept for the handle from a consumer nobody waited on, if one matches the options. */
  takeStashed(objectId: number, signature: string): Message | undefined {
    const kept = this.stash.get(objectId)
    const index = kept?.findIndex((entry) => entry.signature === signature) ?? -1
    if (kept === undefined || index < 0) return undefined
    const [entry] = kept.splice(index, 1)
    return entry?.message
  }

  /**
   * Runs a verb with consumption stopped and the deliveries already queued handed over, so that
   * the verb's automatic suspend and resume cannot let a message in early; restarts consumption
   * for the consumers that still wait.
   */
  paused<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.suspend(() => {
      if (!this.started) return effect
      this.stop()
      return flush.pipe(Effect.andThen(effect), Effect.ensuring(this.start))
    })
  }

  /** Registers a consumer of a handle (MQCB REGISTER), stopped until something waits on it. */
  register(objectId: number, obj: MQObject, where: Where, spec: ConsumerSpec): Effect.Effect<Consumer, MqError> {
    return this.paused(
      Effect.gen({ self: this }, function*() {
        const hmsg = yield* createHandle(this.mq, this.qm, where)
        spec.gmo.MsgHandle = hmsg
        const consumer: Consumer = {
          objectId,
          obj,
          where,
          kind: spec.kind,
          signature: spec.signature,
          maxLength: spec.maxLength,
          hmsg,
          md: spec.md,
          gmo: spec.gmo,
          waitInterval: spec.gmo.WaitInterval,
          registeredAt: yield* Clock.currentTimeMillis,
          buffer: [],
          waiter: undefined,
          expired: false,
          failure: undefined,
          ended: undefined,
          registering: true
        }
        this.consumers.set(objectId, consumer)
        yield* this.registerNow(consumer)
        if (consumer.failure !== undefined) {
          this.consumers.delete(objectId)
          yield* quietly(this.getDone(consumer))
          yield* quietly(deleteHandle(this.mq, this.qm, hmsg, where))
          return yield* consumer.failure
        }
        for (let message = this.takeStashed(objectId, spec.signature); message !== undefined;) {
          consumer.buffer.push(message)
          message = this.takeStashed(objectId, spec.signature)
        }
        return consumer
      })
    )
  }

  /**
   * Waits until the consumer has something to report: a message, the end of a get's wait interval
   * (2033), a failure, or its end; starts consumption meanwhile. Interruptible: an interrupted wait
   * leaves whatever arrives in the consumer's buffer. Not under the lock, which it takes to start.
   */
  wait(consumer: Consumer): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (
        consumer.buffer.length > 0 || consumer.failure !== undefined || consumer.ended !== undefined || consumer.expired
      ) return Effect.void
      const waiter = Deferred.makeUnsafe<void>()
      consumer.waiter = waiter
      return this.lock.withPermits(1)(this.start).pipe(
        Effect.andThen(Deferred.await(waiter)),
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            if (consumer.waiter !== waiter) return
            consumer.waiter = undefined
            if (!this.waiting()) this.stop()
          })
        ),
        Effect.andThen(this.wait(consumer))
      )
    })
  }

  /**
   * What the consumer reports, after `wait`: its next message, `None` for a get's ended wait or a
   * stream's end, or its failure. Synchronous, so that a caller can take a message with no
   * interruption point between taking it and returning it.
   */
  take(consumer: Consumer): Effect.Effect<Option.Option<Message>, MqError> {
    const message = consumer.buffer.shift()
    if (message !== undefined) return Effect.succeed(Option.some(message))
    if (consumer.failure !== undefined) return consumer.failure
    if (consumer.ended !== undefined) {
      return consumer.kind === "stream" ? Effect.succeedNone : Effect.fail(consumer.ended)
    }
    if (!consumer.expired) return Effect.die(new Error("a consumer taken from before it had anything to report"))
    consumer.expired = false
    return Effect.succeedNone
  }

  /** Keeps what a deregistered consumer received and nobody took for the handle's next get or consumer. */
  keep(consumer: Consumer): void {
    if (consumer.ended !== undefined || consumer.buffer.length === 0) return
    const kept = this.stash.get(consumer.objectId) ?? []
    for (const message of consumer.buffer.splice(0)) kept.push({ signature: consumer.signature, message })
    this.stash.set(consumer.objectId, kept)
  }

  /**
   * Deregisters a consumer (GetDone) once nothing can be on its way to it: what it received stays
   * in its buffer (see `keep`).
   */
  deregister(consumer: Consumer): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.consumers.get(consumer.objectId) !== consumer) return Effect.void
      this.consumers.delete(consumer.objectId)
      // A parked consumer is deregistered already; the binding must not be touched during MQDISC.
      if (this.parked) return quietly(deleteHandle(this.mq, this.qm, consumer.hmsg, consumer.where))
      // Stopped even when nothing waits: a delivery may have been queued before the last stop.
      this.stop()
      return flush.pipe(
        Effect.andThen(quietly(this.getDone(consumer))),
        Effect.andThen(quietly(deleteHandle(this.mq, this.qm, consumer.hmsg, consumer.where)))
      )
    })
  }

  /**
   * The handle is being closed: its consumer ends (a stream after what it holds, a waiting get
   * with `error`) and is deregistered; what was kept for the handle is dropped with it.
   */
  closeObject(objectId: number, error: MqError): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.stash.delete(objectId)
      const consumer = this.consumers.get(objectId)
      if (consumer === undefined) return Effect.void
      this.end(consumer, error)
      return this.deregister(consumer)
    })
  }

  /**
   * The connection is being disconnected: every consumer ends as for a closed handle, after the
   * deliveries already queued have arrived, and is deregistered, so that MQDISC finds none of them
   * (see `DisconnectGate`) and a failed MQDISC leaves none behind in the binding.
   */
  disconnecting(error: MqError): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.stop()
      return flush.pipe(Effect.andThen(Effect.suspend(() => {
        const ended = [...this.consumers.values()]
        for (const consumer of ended) this.end(consumer, error)
        this.consumers.clear()
        this.stash.clear()
        return Effect.forEach(ended, (consumer) => quietly(this.getDone(consumer)), { discard: true })
      })))
    })
  }

  /** See `DisconnectGate`: stops, hands over what is queued, deregisters; keeps every consumer. */
  readonly park: Effect.Effect<void> = this.underLock(Effect.suspend(() => {
    if (this.consumers.size === 0) return Effect.void
    this.stop()
    this.parked = true
    return flush.pipe(
      Effect.andThen(Effect.forEach(this.consumers.values(), (consumer) => quietly(this.getDone(consumer)), {
        discard: true
      }))
    )
  }))

  /** Registers the parked consumers again (a get's for the rest of its wait) and starts the waited ones. */
  readonly unpark: Effect.Effect<void> = this.underLock(Effect.suspend(() => {
    if (!this.parked) return Effect.void
    this.parked = false
    return Effect.forEach(this.consumers.values(), (consumer) =>
      Clock.currentTimeMillis.pipe(Effect.flatMap((now) => {
        if (consumer.waitInterval >= 0) {
          consumer.gmo.WaitInterval = Math.max(0, consumer.waitInterval - (now - consumer.registeredAt))
        }
        return this.registerNow(consumer)
      })), { discard: true }).pipe(Effect.andThen(this.start))
  }))

  private end(consumer: Consumer, error: MqError): void {
    consumer.ended = error
    this.wake(consumer)
  }

  private wake(consumer: Consumer): void {
    const waiter = consumer.waiter
    if (waiter === undefined) return
    consumer.waiter = undefined
    Deferred.doneUnsafe(waiter, Effect.void)
  }

  private waiting(): boolean {
    for (const consumer of this.consumers.values()) if (consumer.waiter !== undefined) return true
    return false
  }

  private ctl(operation: number): MQError | undefined {
    let failure: MQError | undefined
    this.mq.Ctl(this.qm, operation, (error) => (failure = error ?? undefined))
    return failure
  }

  private underLock(effect: Effect.Effect<void>): Effect.Effect<void> {
    return Effect.suspend(() => this.lock.withPermits(1)(effect))
  }

  /** MQCB REGISTER; one the binding or MQ refuses is reported through the callback, at once. */
  private registerNow(consumer: Consumer): Effect.Effect<void> {
    return Effect.sync(() => {
      consumer.registering = true
      try {
        this.mq.Get(consumer.obj, consumer.md, consumer.gmo, this.callback(consumer))
      } finally {
        consumer.registering = false
      }
    })
  }

  /** Starts consumption if a consumer waits and it is stopped; under the lock. */
  private readonly start: Effect.Effect<void> = Effect.sync(() => {
    if (this.started || this.parked || !this.waiting()) return
    const failure = this.ctl(this.mq.MQC.MQOP_START)
    if (failure === undefined) {
      this.started = true
      return
    }
    for (const consumer of this.consumers.values()) {
      if (consumer.waiter !== undefined) this.fail(consumer, Effect.fail(fromBinding("MQCTL", failure, consumer.where)))
    }
  })

  // A connection that cannot be stopped is broken, and its consumers hear of it from MQ.
  private stop(): void {
    if (!this.started) return
    this.started = false
    this.ctl(this.mq.MQC.MQOP_STOP)
  }

  private getDone(consumer: Consumer): Effect.Effect<void, MqError> {
    return Effect.callback<void, MqError>((resume) => {
      this.mq.GetDone(consumer.obj, (error) =>
        resume(error == null ? Effect.void : Effect.fail(fromBinding("MQCB", error, consumer.where))))
    })
  }

  private fail(consumer: Consumer, failure: Effect.Effect<never, MqError>): void {
    consumer.failure ??= failure
    this.wake(consumer)
  }

  private callback(consumer: Consumer): GetCallback {
    return (error, _obj, _gmo, md, data) => {
      try {
        if (error) this.failed(consumer, error)
        else if (md === null || data === null) this.fail(consumer, Effect.die(new Error("a delivery without message")))
        else this.delivered(consumer, md, data)
      } catch (defect) {
        this.fail(consumer, Effect.die(defect))
      } finally {
        if (!this.waiting()) this.stop()
      }
    }
  }

  private delivered(consumer: Consumer, md: MQMD, data: Uint8Array): void {
    // The properties are in the consumer's message handle until the next delivery: read them now.
    const properties = readProperties(this.mq, this.qm, consumer.hmsg, consumer.where)
    if (Result.isFailure(properties)) return this.fail(consumer, Effect.fail(properties.failure))
    // A copy: the binding reuses the memory of the delivery after this callback.
    const whole = new Uint8Array(data)
    const body = consumer.maxLength !== undefined && whole.length > consumer.maxLength
      ? whole.slice(0, consumer.maxLength)
      : whole
    consumer.buffer.push({ body, descriptor: fromMqmd(md), properties: properties.success, dataLength: whole.length })
    this.wake(consumer)
  }

  private failed(consumer: Consumer, error: MQError): void {
    if (error.mqrc === ReasonCode.NO_MSG_AVAILABLE) {
      // A get's wait interval ended. A stream waits without limit and never hears it.
      if (consumer.kind === "get" && consumer.waiter !== undefined) {
        consumer.expired = true
        this.wake(consumer)
      }
      return
    }
    const failure = Effect.fail(fromBinding(consumer.registering ? "MQCB" : "MQGET", error, consumer.where))
    // The binding hands an event about the whole connection (2009...) to one consumer of it.
    if (classify("MQGET", error.mqrc) === "connection") {
      for (const other of this.consumers.values()) this.fail(other, failure)
    }
    this.fail(consumer, failure)
  }
}
