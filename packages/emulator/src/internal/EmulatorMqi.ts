import { type AttributeName, type Attributes, CompletionCode, type GetOptions, type Hconn, type Hobj, type Message, type MqError, Mqi, type OutgoingMessage, type PutOptions, ReasonCode, type Subscription, type Verb, closeOptionBits, getOptionBits, mqError, objectName, openOptionBits, putOptionBits, subscribeOptionBits } from "@resilient-mq/core"
import { Effect, Option, Redacted, Stream } from "effect"
import { type Call, handleOf, makeCalls } from "./Calls.ts"
import type { Connection, Handle } from "./Connection.ts"
import type { EmulatorModel } from "./Model.ts"
import { MqFailure, refuse } from "./MqFailure.ts"
import type { GetRequest, PutRequest } from "./QueueManager.ts"

const toError = (call: Call, failure: MqFailure): MqError =>
  mqError(call.verb, failure.reason, {
    object: failure.object ?? call.object,
    queueManager: call.queueManager,
    completionCode: failure.warning ? CompletionCode.WARNING : CompletionCode.FAILED
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

const encoder = new TextEncoder()

// The body is copied: the caller may reuse its buffer. Properties are copied by the model.
const putRequest = (message: OutgoingMessage, options: PutOptions | undefined): PutRequest => ({
  body: typeof message.body === "string" ? encoder.encode(message.body) : message.body.slice(),
  descriptor: message.descriptor ?? {},
  properties: message.properties ?? {},
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

const hobjOf = (hconn: Hconn, handle: Handle): Hobj => ({ _tag: "Hobj", id: handle.id, hconn, name: handle.name })

/** The in-process `Mqi`: each verb finds its connection, applies the queue manager's faults, then the model. */
// The verbs are untraced: they sit in the hot loop of every test and benchmark, and a traced call
// captures its call site on every call (about 2 µs, measured with --cpu-prof on the drain benchmark).
export const makeMqi = (model: EmulatorModel): Mqi["Service"] => {
  const { admit, get: getMessage, onConnection: onModelConnection, run } = makeCalls(model, toError)
  const onConnection = <A, R>(
    verb: Verb,
    hconn: Hconn,
    object: string | undefined,
    work: (connection: Connection, call: Call) => Effect.Effect<A, MqError, R>
  ): Effect.Effect<A, MqError, R> => onModelConnection(verb, hconn.id, object, work)

  const closeQuietly = (hconnId: number, hobjId: number): Effect.Effect<void> =>
    quietly(() => {
      const connection = model.connection(hconnId)
      const handle = connection?.handles.get(hobjId)
      if (connection !== undefined && handle !== undefined) connection.queueManager.close(handle, 0)
    })

  const get = Effect.fnUntraced(function*(hobj: Hobj, options: GetOptions = {}) {
    const request = getRequest(options)
    return yield* onConnection("MQGET", hobj.hconn, hobj.name, (connection, call) =>
      getMessage(connection, call, hobj.id, request).pipe(Effect.map(Option.fromUndefinedOr)))
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
          if (handleOf(connection, hobj.id).kind !== "queue") refuse(ReasonCode.HOBJ_ERROR)
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
    connect: Effect.fnUntraced(function*(options) {
      const request = {
        queueManager: options.queueManager,
        channel: options.channel,
        connectionName: options.connectionName,
        user: options.user,
        password: options.password === undefined ? undefined : Redacted.value(options.password),
        applicationName: options.applicationName
      }
      const { call, queueManager } = yield* admit(request, options.connectionName ?? options.queueManager)
      return yield* Effect.acquireRelease(
        run(call, () => model.connect(queueManager, request)).pipe(
          Effect.map((connection): Hconn => ({ _tag: "Hconn", id: connection.id }))
        ),
        (hconn) =>
          quietly(() => {
            const connection = model.connection(hconn.id)
            if (connection !== undefined) model.disconnect(connection)
          })
      )
    }),

    disconnect: Effect.fnUntraced(function*(hconn) {
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

    open: Effect.fnUntraced(function*(hconn, object, options) {
      return yield* onConnection("MQOPEN", hconn, objectName(object), (connection, call) =>
        Effect.acquireRelease(
          run(call, () => hobjOf(hconn, connection.queueManager.open(connection, object, openOptionBits(options)))),
          (hobj) => closeQuietly(hconn.id, hobj.id)
        ))
    }),

    close: Effect.fnUntraced(function*(hobj, options) {
      return yield* onConnection("MQCLOSE", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => connection.queueManager.close(handleOf(connection, hobj.id), closeOptionBits(options ?? {}))))
    }),

    put: Effect.fnUntraced(function*(hobj, message, options) {
      const request = putRequest(message, options)
      return yield* onConnection("MQPUT", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => connection.queueManager.put(handleOf(connection, hobj.id), request)))
    }),

    put1: Effect.fnUntraced(function*(hconn, object, message, options) {
      const request = putRequest(message, options)
      return yield* onConnection("MQPUT1", hconn, objectName(object), (connection, call) =>
        run(call, () => connection.queueManager.put1(connection, object, request)))
    }),

    get,
    consume,

    begin: Effect.fnUntraced(function*(hconn) {
      return yield* onConnection("MQBEGIN", hconn, undefined, (connection, call) =>
        run(call, () => connection.queueManager.begin()))
    }),

    commit: Effect.fnUntraced(function*(hconn) {
      return yield* onConnection("MQCMIT", hconn, undefined, (connection, call) =>
        run(call, () => connection.queueManager.commit(connection)))
    }),

    backout: Effect.fnUntraced(function*(hconn) {
      return yield* onConnection("MQBACK", hconn, undefined, (connection, call) =>
        run(call, () => connection.queueManager.backout(connection)))
    }),

    subscribe: Effect.fnUntraced(function*(hconn, options) {
      const object = [options.topicObject, options.topicString, options.name].filter((s) => s !== undefined).join(":")
      return yield* onConnection("MQSUB", hconn, object, (connection, call) =>
        Effect.acquireRelease(
          run(call, () => {
            const handle = connection.queueManager.subscribe(connection, {
              options: subscribeOptionBits(options),
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

    unsubscribe: Effect.fnUntraced(function*(subscription, options) {
      return yield* onConnection("MQCLOSE", subscription.hconn, subscription.topicString, (connection, call) =>
        run(call, () =>
          connection.queueManager.close(handleOf(connection, subscription.id), closeOptionBits(options ?? {})))
          .pipe(Effect.andThen(releaseDestination(subscription))))
    }),

    inquire: <const A extends AttributeName>(hobj: Hobj, attributes: ReadonlyArray<A>) =>
      onConnection("MQINQ", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => {
          const inquiry = connection.queueManager.inquire(handleOf(connection, hobj.id), attributes)
          // The binding reports the warning 2068 as an error (MQ-BEHAVIOUR §0): so does this port.
          if (inquiry.notForType) throw new MqFailure(ReasonCode.SELECTOR_NOT_FOR_TYPE, undefined, true)
          return inquiry.values as Attributes<A>
        })),

    set: Effect.fnUntraced(function*(hobj, attributes) {
      return yield* onConnection("MQSET", hobj.hconn, hobj.name, (connection, call) =>
        run(call, () => connection.queueManager.set(handleOf(connection, hobj.id), attributes)))
    })
  })
}
