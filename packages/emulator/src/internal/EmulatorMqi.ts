import { type AttributeName, type Attributes, CompletionCode, type GetOptions, type Hconn, type Hobj, MQSO, type Message, type MqError, Mqi, type OutgoingMessage, type Properties, type PutOptions, ReasonCode, type SubscribeOptions, type Subscription, type Verb, closeOptionBits, getOptionBits, mqError, objectName, openOptionBits, putOptionBits } from "@resilient-mq/core"
import { Deferred, Effect, Option, Redacted, Stream } from "effect"
import { type Connection, type Handle, PendingGet, type WaitResult } from "./Connection.ts"
import type { EmulatorModel } from "./Model.ts"
import { MqFailure, refuse } from "./MqFailure.ts"
import type { GetRequest, PutRequest } from "./QueueManager.ts"

/** What an error of a call names: the verb, the object and the queue manager. */
interface Call {
  readonly verb: Verb
  readonly object: string | undefined
  readonly queueManager: string | undefined
}

const toError = (call: Call, failure: MqFailure): MqError =>
  mqError(call.verb, failure.reason, {
    object: failure.object ?? call.object,
    queueManager: call.queueManager,
    completionCode: failure.warning ? CompletionCode.WARNING : CompletionCode.FAILED
  })

/** Runs model code, turning its refusals into `MqError`s (anything else it throws is a defect). */
const run = <A>(call: Call, f: () => A): Effect.Effect<A, MqError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (error) {
      if (error instanceof MqFailure) return Effect.fail(toError(call, error))
      throw error
    }
  })

/** Runs model code in a finalizer: refusals (the handle is gone already...) are of no interest. */
const quietly = (f: () => void): Effect.Effect<void> =>
  Effect.sync(() => {
    try {
      f()
    } catch (error) {
      if (!(error instanceof MqFailure)) throw error
    }
  })

const handleOf = (connection: Connection, hobj: { readonly id: number }): Handle =>
  connection.handles.get(hobj.id) ?? refuse(ReasonCode.HOBJ_ERROR)

const encoder = new TextEncoder()

// `usr.` properties are known by their short name, as MQ returns them (MQ-BEHAVIOUR §9).
const storedProperties = (properties: Properties | undefined): Properties => {
  const stored: Record<string, Properties[string]> = {}
  for (const [name, value] of Object.entries(properties ?? {})) {
    stored[name.startsWith("usr.") ? name.slice(4) : name] = value instanceof Uint8Array ? value.slice() : value
  }
  return stored
}

const putRequest = (message: OutgoingMessage, options: PutOptions | undefined): PutRequest => ({
  body: typeof message.body === "string" ? encoder.encode(message.body) : message.body.slice(),
  descriptor: message.descriptor ?? {},
  properties: storedProperties(message.properties),
  options: putOptionBits(options ?? {})
})

const getRequest = (options: GetOptions): GetRequest => {
  const bits = getOptionBits(options)
  return {
    options: bits.options,
    matchOptions: bits.matchOptions,
    waitInterval: bits.waitInterval,
    match: options.match ?? {},
    maxLength: options.maxLength
  }
}

const subscribeBits = (options: SubscribeOptions): number => {
  const mode = options.mode ?? "create-or-resume"
  return (mode === "create" ? MQSO.CREATE : mode === "resume" ? MQSO.RESUME : MQSO.CREATE | MQSO.RESUME) |
    (options.durable === true ? MQSO.DURABLE : 0) |
    (options.destination === undefined ? MQSO.MANAGED : 0) |
    (options.newPublicationsOnly === true ? MQSO.NEW_PUBLICATIONS_ONLY : 0) |
    (options.failIfQuiescing === false ? 0 : MQSO.FAIL_IF_QUIESCING) |
    (options.bits ?? 0)
}

const hobjOf = (hconn: Hconn, handle: Handle): Hobj => ({ _tag: "Hobj", id: handle.id, hconn, name: handle.name })

/** The in-process `Mqi`: each verb finds its connection, applies the queue manager's faults, then the model. */
export const makeMqi = (model: EmulatorModel): Mqi["Service"] => {
  /**
   * The frame of every verb on a connection (MQ-BEHAVIOUR §1.7, and the faults of the README):
   * 2018 for an unknown connection, the injected delay, the reason of a dead connection, an
   * injected failure (before the work, or after it with `after`), then the work.
   */
  const onConnection = <A, R>(
    verb: Verb,
    hconn: Hconn,
    object: string | undefined,
    work: (connection: Connection, call: Call) => Effect.Effect<A, MqError, R>
  ): Effect.Effect<A, MqError, R> =>
    Effect.gen(function*() {
      const connection = model.connection(hconn.id)
      if (connection === undefined) return yield* Effect.fail(mqError(verb, ReasonCode.HCONN_ERROR, { object }))
      const queueManager = connection.queueManager
      const call: Call = { verb, object, queueManager: queueManager.name }
      const delay = queueManager.faults.delayOf(verb)
      if (delay > 0) yield* Effect.sleep(delay)
      if (connection.ended !== undefined && verb !== "MQDISC") {
        return yield* Effect.fail(toError(call, new MqFailure(connection.ended)))
      }
      const injected = queueManager.faults.take(verb)
      const inject = (reason: number) =>
        Effect.suspend(() => {
          queueManager.injected(connection, verb, reason)
          return Effect.fail(toError(call, new MqFailure(reason)))
        })
      if (injected !== undefined && !injected.after) return yield* inject(injected.reason)
      const result = yield* work(connection, call)
      if (injected !== undefined) return yield* inject(injected.reason)
      return result
    })

  const closeQuietly = (hconnId: number, hobjId: number): Effect.Effect<void> =>
    quietly(() => {
      const connection = model.connection(hconnId)
      const handle = connection?.handles.get(hobjId)
      if (connection !== undefined && handle !== undefined) connection.queueManager.close(handle, 0)
    })

  // A waiting get: the model completes it exactly once (message, timeout or cancellation); the
  // timer only tells the model the interval is over, so a message is never lost to a race.
  const awaitWait = (
    call: Call,
    pending: PendingGet,
    result: Deferred.Deferred<WaitResult>,
    waitInterval: number
  ): Effect.Effect<Option.Option<Message>, MqError> =>
    Effect.scoped(Effect.gen(function*() {
      yield* Effect.addFinalizer(() => Effect.sync(() => pending.withdraw()))
      if (waitInterval > 0) {
        yield* Effect.forkScoped(Effect.sleep(waitInterval).pipe(Effect.andThen(Effect.sync(() => pending.timeout()))))
      }
      const outcome = yield* Deferred.await(result)
      switch (outcome._tag) {
        case "message":
          return Option.some(outcome.message)
        case "none":
          return Option.none()
        case "failed":
          return yield* Effect.fail(toError(call, outcome.failure))
      }
    }))

  const get = Effect.fn("Emulator.get")(function*(hobj: Hobj, options: GetOptions = {}) {
    const request = getRequest(options)
    return yield* onConnection("MQGET", hobj.hconn, hobj.name, (connection, call) =>
      Effect.suspend(() => {
        const result = Deferred.makeUnsafe<WaitResult>()
        return run(call, () =>
          connection.queueManager.get(
            handleOf(connection, hobj),
            request,
            (outcome) => Deferred.doneUnsafe(result, Effect.succeed(outcome))
          )).pipe(
            Effect.flatMap((outcome) =>
              outcome instanceof PendingGet
                ? awaitWait(call, outcome, result, request.waitInterval)
                : Effect.succeed(Option.fromUndefinedOr(outcome))
            )
          )
      }))
  })

  // A consumer is a get loop: it ends when its handle or connection is closed (MQ deregisters
  // it then) and fails with whatever else stops it (2009, 2162, 2016...).
  const consume = (hobj: Hobj, options: GetOptions = {}): Stream.Stream<Message, MqError> => {
    const ended = (error: MqError) => error.reason === ReasonCode.HOBJ_ERROR || error.reason === ReasonCode.HCONN_ERROR
    const next = (first: boolean): Effect.Effect<Message | undefined, MqError> =>
      get(hobj, {
        ...options,
        wait: options.wait ?? "unlimited",
        ...(options.browse === "first" && !first ? { browse: "next" } : {})
      }).pipe(
        Effect.flatMap(Option.match({ onNone: () => next(first), onSome: Effect.succeed })),
        Effect.catchIf(ended, () => Effect.succeed(undefined))
      )
    return Stream.unwrap(
      onConnection("MQCB", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => {
          if (handleOf(connection, hobj).kind !== "queue") refuse(ReasonCode.HOBJ_ERROR)
        })).pipe(
          Effect.as(
            Stream.unfold(true, (first) =>
              next(first).pipe(Effect.map((message) => message === undefined ? undefined : [message, false] as const)))
          )
        )
    )
  }

  // Destinations MQSUB opened for a subscription (managed, or resumed without one): released with it.
  const ownedDestinations = new Map<number, number>()

  const releaseDestination = (subscription: Subscription): Effect.Effect<void> =>
    Effect.suspend(() => {
      const owned = ownedDestinations.get(subscription.id)
      ownedDestinations.delete(subscription.id)
      return owned === undefined ? Effect.void : closeQuietly(subscription.hconn.id, owned)
    })

  return Mqi.of({
    connect: Effect.fn("Emulator.connect")(function*(options) {
      const request = {
        queueManager: options.queueManager,
        channel: options.channel,
        connectionName: options.connectionName,
        user: options.user,
        password: options.password === undefined ? undefined : Redacted.value(options.password),
        applicationName: options.applicationName
      }
      const call: Call = {
        verb: "MQCONNX",
        object: options.connectionName ?? options.queueManager,
        queueManager: undefined
      }
      const queueManager = yield* run(call, () => model.route(request))
      const at = { ...call, queueManager: queueManager.name }
      const delay = queueManager.faults.delayOf("MQCONNX")
      if (delay > 0) yield* Effect.sleep(delay)
      // No connection exists yet to do anything to: an injected failure is always answered instead.
      const injected = queueManager.faults.take("MQCONNX")
      if (injected !== undefined) return yield* Effect.fail(toError(at, new MqFailure(injected.reason)))
      return yield* Effect.acquireRelease(
        run(at, () => model.connect(queueManager, request)).pipe(
          Effect.map((connection): Hconn => ({ _tag: "Hconn", id: connection.id }))
        ),
        (hconn) =>
          quietly(() => {
            const connection = model.connection(hconn.id)
            if (connection !== undefined) model.disconnect(connection)
          })
      )
    }),

    disconnect: Effect.fn("Emulator.disconnect")(function*(hconn) {
      return yield* onConnection("MQDISC", hconn, undefined, (connection, call) =>
        run(call, () => model.disconnect(connection)))
    }),

    queueManager: (hconn) =>
      Effect.suspend(() => {
        const connection = model.connection(hconn.id)
        const call: Call = { verb: "MQINQ", object: undefined, queueManager: connection?.queueManager.name }
        return run(call, () => {
          if (connection === undefined) refuse(ReasonCode.HCONN_ERROR)
          if (connection.ended !== undefined) refuse(connection.ended)
          return { name: connection.queueManager.name, qmid: connection.queueManager.qmid }
        })
      }),

    open: Effect.fn("Emulator.open")(function*(hconn, object, options) {
      return yield* onConnection("MQOPEN", hconn, objectName(object), (connection, call) =>
        Effect.acquireRelease(
          run(call, () => hobjOf(hconn, connection.queueManager.open(connection, object, openOptionBits(options)))),
          (hobj) => closeQuietly(hconn.id, hobj.id)
        ))
    }),

    close: Effect.fn("Emulator.close")(function*(hobj, options) {
      return yield* onConnection("MQCLOSE", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => connection.queueManager.close(handleOf(connection, hobj), closeOptionBits(options ?? {}))))
    }),

    put: Effect.fn("Emulator.put")(function*(hobj, message, options) {
      const request = putRequest(message, options)
      return yield* onConnection("MQPUT", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => connection.queueManager.put(handleOf(connection, hobj), request)))
    }),

    put1: Effect.fn("Emulator.put1")(function*(hconn, object, message, options) {
      const request = putRequest(message, options)
      return yield* onConnection("MQPUT1", hconn, objectName(object), (connection, call) =>
        run(call, () => connection.queueManager.put1(connection, object, request)))
    }),

    get,
    consume,

    // A client cannot begin a global unit of work (MQ-BEHAVIOUR §5).
    begin: Effect.fn("Emulator.begin")(function*(hconn) {
      return yield* onConnection("MQBEGIN", hconn, undefined, (_, call) =>
        run(call, () => refuse(ReasonCode.ENVIRONMENT_ERROR)))
    }),

    commit: Effect.fn("Emulator.commit")(function*(hconn) {
      return yield* onConnection("MQCMIT", hconn, undefined, (connection, call) =>
        run(call, () => connection.queueManager.commit(connection)))
    }),

    backout: Effect.fn("Emulator.backout")(function*(hconn) {
      return yield* onConnection("MQBACK", hconn, undefined, (connection, call) =>
        run(call, () => connection.queueManager.backout(connection)))
    }),

    subscribe: Effect.fn("Emulator.subscribe")(function*(hconn, options) {
      const object = [options.topicObject, options.topicString, options.name].filter((s) => s !== undefined).join(":")
      return yield* onConnection("MQSUB", hconn, object, (connection, call) =>
        Effect.acquireRelease(
          run(call, () => {
            const handle = connection.queueManager.subscribe(connection, {
              options: subscribeBits(options),
              topicObject: options.topicObject,
              topicString: options.topicString,
              name: options.name,
              destination: options.destination?.id
            })
            if (options.destination === undefined) ownedDestinations.set(handle.id, handle.destination.id)
            const subscription: Subscription = {
              _tag: "Subscription",
              id: handle.id,
              hconn,
              destination: hobjOf(hconn, handle.destination),
              topicString: handle.subscription.topicString,
              ...(handle.subscription.name === undefined ? {} : { name: handle.subscription.name })
            }
            return subscription
          }),
          (subscription) =>
            closeQuietly(hconn.id, subscription.id).pipe(Effect.andThen(releaseDestination(subscription)))
        ))
    }),

    unsubscribe: Effect.fn("Emulator.unsubscribe")(function*(subscription, options) {
      return yield* onConnection("MQCLOSE", subscription.hconn, subscription.topicString, (connection, call) =>
        run(call, () =>
          connection.queueManager.close(handleOf(connection, subscription), closeOptionBits(options ?? {})))
          .pipe(Effect.andThen(releaseDestination(subscription))))
    }),

    inquire: <const A extends AttributeName>(hobj: Hobj, attributes: ReadonlyArray<A>) =>
      onConnection("MQINQ", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => connection.queueManager.inquire(handleOf(connection, hobj), attributes) as Attributes<A>)),

    set: Effect.fn("Emulator.set")(function*(hobj, attributes) {
      return yield* onConnection("MQSET", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => connection.queueManager.set(handleOf(connection, hobj), attributes)))
    })
  })
}
