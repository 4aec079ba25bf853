import {
  Attribute,
  type AttributeName,
  type Attributes,
  closeOptionBits,
  type CloseOptions,
  type ConnectOptions,
  DEFAULT_APPLICATION_NAME,
  getOptionBits,
  type GetOptionBits,
  type GetOptions,
  type Hconn,
  type Hobj,
  type Message,
  MQGMO,
  MQOO,
  mqError,
  type MqError,
  Mqi,
  type ObjectDescriptor,
  objectName,
  openOptionBits,
  type OutgoingMessage,
  type Properties,
  putOptionBits,
  type PutOptions,
  type QueueManagerIdentity,
  ReasonCode,
  type SubscribeOptions,
  type Subscription,
  subscribeOptionBits,
  type Verb
} from "@resilient-mq/core"
import { Clock, Effect, Exit, Option, Redacted, Result, Semaphore, Stream } from "effect"
import type { HMSG, MQAttr, MQError, MQObject, MQOD, MQQueueManager } from "ibmmq"
import { Buffer } from "node:buffer"
import { type Binding, fromBinding, invoke, quietly, type Where } from "./binding.ts"
import { type Consumer, type ConsumerSpec, Consumers } from "./Consumers.ts"
import { asBuffer, fromMqmd, matchMqmd, mqText, toMqmd } from "./descriptor.ts"
import { disconnectGate } from "./DisconnectGate.ts"
import { createHandle, deleteHandle, readProperties, setProperties } from "./properties.ts"

interface ConnectionState {
  readonly id: number
  readonly qm: MQQueueManager
  readonly identity: QueueManagerIdentity
  /** Held by every verb on the connection: see `Consumers` for why the order of calls matters. */
  readonly lock: Semaphore.Semaphore
  readonly consumers: Consumers
  readonly objects: Set<number>
  readonly subscriptions: Set<number>
  /** The message handle of gets without wait, reused: MQ clears it before each get. */
  getHandle: HMSG | undefined
  /** The buffer of gets without wait, grown to the longest message seen. */
  getBuffer: Buffer
}

interface ObjectState {
  readonly hobj: Hobj
  readonly obj: MQObject
  readonly connection: ConnectionState
}

interface SubscriptionState {
  readonly subscription: Subscription
  readonly hsub: MQObject
  readonly connection: ConnectionState
  /** The destination MQSUB opened (a managed queue), closed with the subscription. */
  readonly owned: ObjectState | undefined
}

const INITIAL_GET_BUFFER = 64 * 1024

/** How often a get with wait that cannot use a consumer looks again. */
const POLL_INTERVAL_MILLIS = 50

const hex = (bytes: Uint8Array | undefined): string => bytes === undefined ? "" : Buffer.from(bytes).toString("hex")

/**
 * Gets select the same messages the same way when these agree; the wait is not part of it, so a
 * message kept from an interrupted get goes to the next get or consumer of the handle.
 */
const signatureOf = (options: GetOptions, bits: GetOptionBits): string =>
  [
    bits.options & ~MQGMO.WAIT,
    bits.matchOptions,
    hex(options.match?.msgId),
    hex(options.match?.correlId),
    hex(options.match?.groupId),
    options.maxLength ?? ""
  ].join(":")

/** The `Mqi` service over a loaded binding. */
export const makeMqi = (mq: Binding): Mqi["Service"] => {
  const MQC = mq.MQC
  const connections = new Map<number, ConnectionState>()
  const objects = new Map<number, ObjectState>()
  const subscriptions = new Map<number, SubscriptionState>()
  const gate = disconnectGate()
  let lastId = 0

  const whereOf = (connection: ConnectionState, object?: string): Where => ({
    object,
    queueManager: connection.identity.name
  })

  const connectionOf = (verb: Verb, hconn: Hconn, object?: string): Effect.Effect<ConnectionState, MqError> =>
    Effect.suspend(() => {
      const connection = connections.get(hconn.id)
      return connection === undefined
        ? Effect.fail(mqError(verb, ReasonCode.HCONN_ERROR, { object }))
        : Effect.succeed(connection)
    })

  const objectOf = (verb: Verb, hobj: Hobj): Effect.Effect<ObjectState, MqError> =>
    Effect.suspend(() => {
      const connection = connections.get(hobj.hconn.id)
      if (connection === undefined) return Effect.fail(mqError(verb, ReasonCode.HCONN_ERROR, { object: hobj.name }))
      const object = objects.get(hobj.id)
      return object === undefined
        ? Effect.fail(mqError(verb, ReasonCode.HOBJ_ERROR, whereOf(connection, hobj.name)))
        : Effect.succeed(object)
    })

  /** Runs a verb under the connection's lock, with its consumers stopped. */
  const locked = <A, E, R>(connection: ConnectionState, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    connection.lock.withPermits(1)(connection.consumers.paused(effect))

  /**
   * `locked` for a get: its last interruption point is right before MQGET, so that a message taken
   * off the queue is returned, not dropped by an interruption on its way out. (The wait for the
   * lock is not interruptible: no verb holds it for long.)
   */
  const lockedTaking = <A, E, R>(connection: ConnectionState, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) => locked(connection, restore(Effect.void).pipe(Effect.andThen(effect))))

  // ---------------------------------------------------------------------------------------------
  // Connections

  const connectOptions = (options: ConnectOptions) => {
    const cno = new mq.MQCNO()
    cno.ApplName = options.applicationName ?? DEFAULT_APPLICATION_NAME
    if (options.channel !== undefined) {
      const cd = new mq.MQCD()
      cd.ChannelName = options.channel
      if (options.connectionName !== undefined) cd.ConnectionName = options.connectionName
      if (options.cipherSpec !== undefined) cd.SSLCipherSpec = options.cipherSpec
      if (options.certificateLabel !== undefined) cd.CertificateLabel = options.certificateLabel
      cno.ClientConn = cd
    }
    const certificateWithoutChannel = options.certificateLabel !== undefined && options.channel === undefined
    if (options.keyRepository !== undefined || certificateWithoutChannel) {
      const sco = new mq.MQSCO()
      if (options.keyRepository !== undefined) sco.KeyRepository = options.keyRepository
      if (options.certificateLabel !== undefined) sco.CertificateLabel = options.certificateLabel
      cno.SSLConfig = sco
    }
    if (options.user !== undefined) {
      const csp = new mq.MQCSP()
      csp.UserId = options.user
      // The only place the password is revealed: the binding copies it into the MQCSP it passes.
      if (options.password !== undefined) csp.Password = Redacted.value(options.password)
      cno.SecurityParms = csp
    }
    return cno
  }

  const inquireAttributes = (obj: MQObject, selectors: ReadonlyArray<number>, where: Where) =>
    invoke<ReadonlyArray<MQAttr>>("MQINQ", where, (done) =>
      mq.Inq(obj, selectors.map((selector) => new mq.MQAttr(selector)), done))

  const closeObject = (obj: MQObject, options: number, where: Where) =>
    invoke<void>("MQCLOSE", where, (done) => mq.Close(obj, options, (error) => done(error, undefined)))

  /** The name and QMID of the queue manager a connection reached (MQINQ on the queue-manager object). */
  const identify = (qm: MQQueueManager, where: Where): Effect.Effect<QueueManagerIdentity, MqError> => {
    const od = new mq.MQOD()
    od.ObjectType = MQC.MQOT_Q_MGR
    const at = { ...where, object: "queue manager" }
    return Effect.acquireUseRelease(
      invoke<MQObject>("MQOPEN", at, (done) => mq.Open(qm, od, MQOO.INQUIRE | MQOO.FAIL_IF_QUIESCING, done)),
      (obj) =>
        inquireAttributes(obj, [Attribute.QMgrName.selector, Attribute.QMgrIdentifier.selector], at).pipe(
          Effect.map(([name, qmid]) => ({
            name: mqText(String(name?.value ?? "")),
            qmid: mqText(String(qmid?.value ?? ""))
          }))
        ),
      (obj) => quietly(closeObject(obj, 0, at))
    )
  }

  const disc = (qm: MQQueueManager, where: Where) =>
    invoke<void>("MQDISC", where, (done) => mq.Disc(qm, (error) => done(error, undefined)))

  const connectNow = (options: ConnectOptions): Effect.Effect<Hconn, MqError> => {
    const where: Where = { object: options.connectionName ?? options.queueManager, queueManager: options.queueManager }
    return Effect.gen(function*() {
      const qm = yield* invoke<MQQueueManager>(
        "MQCONNX",
        where,
        (done) => mq.Connx(options.queueManager ?? "", connectOptions(options), done)
      )
      const identity = yield* identify(qm, where).pipe(Effect.tapError(() => quietly(disc(qm, where))))
      const lock = Semaphore.makeUnsafe(1)
      const id = ++lastId
      const consumers = new Consumers(mq, qm, lock)
      connections.set(id, {
        id,
        qm,
        identity,
        lock,
        consumers,
        objects: new Set(),
        subscriptions: new Set(),
        getHandle: undefined,
        getBuffer: Buffer.allocUnsafe(INITIAL_GET_BUFFER)
      })
      gate.add(consumers)
      return { _tag: "Hconn", id }
    })
  }

  /** Ends a connection under its lock: consumers end, handles are forgotten, then MQDISC. */
  const disconnecting = (connection: ConnectionState): Effect.Effect<void, MqError> =>
    Effect.suspend(() => {
      // Forgotten whatever MQDISC answers: a connection it fails on (2009) is no more usable.
      connections.delete(connection.id)
      gate.remove(connection.consumers)
      for (const id of connection.objects) objects.delete(id)
      for (const id of connection.subscriptions) subscriptions.delete(id)
      const where = whereOf(connection)
      const getHandle = connection.getHandle
      return connection.consumers.disconnecting(mqError("MQGET", ReasonCode.HCONN_ERROR, where)).pipe(
        Effect.andThen(
          getHandle === undefined ? Effect.void : quietly(deleteHandle(mq, connection.qm, getHandle, where))
        ),
        Effect.andThen(disc(connection.qm, where))
      )
    })

  /** MQDISC through the process's `DisconnectGate`, under the connection's lock. */
  const disconnectGated = (connection: ConnectionState): Effect.Effect<void, MqError> =>
    gate.disconnecting(connection.consumers, connection.lock.withPermits(1)(disconnecting(connection)))

  const releaseConnection = (hconn: Hconn): Effect.Effect<void> =>
    Effect.suspend(() => {
      const connection = connections.get(hconn.id)
      return connection === undefined ? Effect.void : quietly(disconnectGated(connection))
    })

  // ---------------------------------------------------------------------------------------------
  // Objects

  const toMqod = (od: ObjectDescriptor): MQOD => {
    const mqod = new mq.MQOD()
    switch (od.type) {
      case "queue":
        mqod.ObjectType = MQC.MQOT_Q
        mqod.ObjectName = od.name
        if (od.queueManager !== undefined) mqod.ObjectQMgrName = od.queueManager
        if (od.dynamicQueueName !== undefined) mqod.DynamicQName = od.dynamicQueueName
        break
      case "topic":
        mqod.ObjectType = MQC.MQOT_TOPIC
        if (od.name !== undefined) mqod.ObjectName = od.name
        if (od.topicString !== undefined) mqod.ObjectString = od.topicString
        break
      case "queue-manager":
        mqod.ObjectType = MQC.MQOT_Q_MGR
        break
    }
    return mqod
  }

  /** The name MQ resolved: a dynamic queue's generated name, a topic's full topic string. */
  const resolvedName = (od: ObjectDescriptor, mqod: MQOD, connection: ConnectionState): string => {
    switch (od.type) {
      case "queue":
        return mqText(mqod.ObjectName) || od.name
      case "topic":
        return mqText(mqod.ResObjectString) || objectName(od)
      case "queue-manager":
        return connection.identity.name
    }
  }

  const remember = (connection: ConnectionState, obj: MQObject, name: string): ObjectState => {
    const id = ++lastId
    const hobj: Hobj = { _tag: "Hobj", id, hconn: { _tag: "Hconn", id: connection.id }, name }
    const object: ObjectState = { hobj, obj, connection }
    objects.set(id, object)
    connection.objects.add(id)
    return object
  }

  const forget = (object: ObjectState): void => {
    objects.delete(object.hobj.id)
    object.connection.objects.delete(object.hobj.id)
  }

  /** Closes a handle under its connection's lock: its consumer ends first. */
  const closing = (object: ObjectState, options: number): Effect.Effect<void, MqError> => {
    const where = whereOf(object.connection, object.hobj.name)
    return object.connection.consumers.closeObject(object.hobj.id, mqError("MQGET", ReasonCode.HOBJ_ERROR, where)).pipe(
      Effect.andThen(closeObject(object.obj, options, where)),
      Effect.tap(() => Effect.sync(() => forget(object)))
    )
  }

  const releaseObject = (hobj: Hobj): Effect.Effect<void> =>
    Effect.suspend(() => {
      const object = objects.get(hobj.id)
      return object === undefined ? Effect.void : quietly(locked(object.connection, closing(object, 0)))
    })

  // ---------------------------------------------------------------------------------------------
  // Messages

  /** Runs a put with a message handle carrying the properties, if there are any. */
  const withProperties = <A>(
    connection: ConnectionState,
    properties: Properties | undefined,
    where: Where,
    put: (hmsg: HMSG | undefined) => Effect.Effect<A, MqError>
  ): Effect.Effect<A, MqError> =>
    properties === undefined || Object.keys(properties).length === 0
      ? put(undefined)
      : Effect.acquireUseRelease(
        createHandle(mq, connection.qm, where),
        (hmsg) => setProperties(mq, connection.qm, hmsg, properties, where).pipe(Effect.andThen(put(hmsg))),
        (hmsg) => quietly(deleteHandle(mq, connection.qm, hmsg, where))
      )

  const putMessageOptions = (options: PutOptions | undefined, hmsg: HMSG | undefined) => {
    const pmo = new mq.MQPMO()
    pmo.Options = putOptionBits(options ?? {})
    if (hmsg !== undefined) pmo.OriginalMsgHandle = hmsg
    return pmo
  }

  // A string body is sent as its UTF-8 bytes, with the Format the descriptor gives: the binding would
  // set MQSTR for a string, which the other implementations of the port do not.
  const bodyOf = (message: OutgoingMessage): Buffer =>
    typeof message.body === "string" ? Buffer.from(message.body, "utf8") : asBuffer(message.body)

  /** A get without wait (GetSync returns at once), read again with a larger buffer after 2080. */
  const getNow = (object: ObjectState, options: GetOptions, bits: GetOptionBits) =>
    Effect.gen(function*() {
      const connection = object.connection
      const where = whereOf(connection, object.hobj.name)
      const hmsg = connection.getHandle ?? (yield* createHandle(mq, connection.qm, where))
      connection.getHandle = hmsg
      // Without maxLength the whole message is wanted, so it is never accepted truncated.
      const truncation = options.maxLength === undefined ? MQGMO.ACCEPT_TRUNCATED_MSG : 0
      for (;;) {
        const md = matchMqmd(mq, options.match)
        const gmo = new mq.MQGMO()
        gmo.Options = bits.options & ~MQGMO.WAIT & ~truncation
        gmo.MatchOptions = bits.matchOptions
        gmo.WaitInterval = 0
        gmo.MsgHandle = hmsg
        const buffer = options.maxLength === undefined ? connection.getBuffer : Buffer.alloc(options.maxLength)
        const outcome = yield* Effect.sync(() => {
          let result: { readonly error: MQError | null; readonly dataLength: number } = { error: null, dataLength: 0 }
          mq.GetSync(object.obj, md, gmo, buffer, (error, dataLength) => (result = { error, dataLength }))
          return result
        })
        const { error, dataLength } = outcome
        if (error === null || error.mqrc === ReasonCode.TRUNCATED_MSG_ACCEPTED) {
          const properties = readProperties(mq, connection.qm, hmsg, where)
          if (Result.isFailure(properties)) return yield* Effect.fail(properties.failure)
          const message: Message = {
            body: new Uint8Array(buffer.subarray(0, Math.min(dataLength, buffer.length))),
            descriptor: fromMqmd(md),
            properties: properties.success,
            dataLength
          }
          return Option.some(message)
        }
        if (error.mqrc === ReasonCode.NO_MSG_AVAILABLE) return Option.none<Message>()
        if (error.mqrc === ReasonCode.TRUNCATED_MSG_FAILED && options.maxLength === undefined) {
          // The message stayed on the queue; its full length came back: ask again with room for it.
          connection.getBuffer = Buffer.allocUnsafe(dataLength)
          continue
        }
        return yield* Effect.fail(fromBinding("MQGET", error, where))
      }
    })

  /** A get with wait by looking every POLL_INTERVAL_MILLIS, for when no consumer can wait for it. */
  const polling = (hobj: Hobj, options: GetOptions, bits: GetOptionBits) =>
    Effect.gen(function*() {
      const deadline = bits.waitInterval < 0 ? Infinity : (yield* Clock.currentTimeMillis) + bits.waitInterval
      for (;;) {
        const object = yield* objectOf("MQGET", hobj)
        const found = yield* lockedTaking(object.connection, getNow(object, options, bits))
        const now = yield* Clock.currentTimeMillis
        if (Option.isSome(found) || now >= deadline) return found
        yield* Effect.sleep(Math.min(POLL_INTERVAL_MILLIS, deadline - now))
      }
    })

  const consumerSpec = (kind: ConsumerSpec["kind"], options: GetOptions, bits: GetOptionBits): ConsumerSpec => {
    const gmo = new mq.MQGMO()
    gmo.Options = bits.options
    gmo.MatchOptions = bits.matchOptions
    gmo.WaitInterval = bits.waitInterval
    return {
      kind,
      signature: signatureOf(options, bits),
      md: matchMqmd(mq, options.match),
      gmo,
      maxLength: options.acceptTruncated === true ? options.maxLength : undefined
    }
  }

  // A consumer cannot honour maxLength without acceptTruncated (MQCB always delivers whole messages,
  // where MQ would refuse with 2080 and leave the message): such gets look instead.
  const needsPolling = (options: GetOptions): boolean =>
    options.maxLength !== undefined && options.acceptTruncated !== true

  /**
   * Registers a consumer of the handle, unless it has one already (MQ allows one per handle); never
   * while a disconnect runs (see `DisconnectGate`).
   */
  const registerConsumer = (object: ObjectState, spec: ConsumerSpec) =>
    gate.registering(object.connection.lock.withPermits(1)(Effect.suspend(() =>
      object.connection.consumers.isConsumed(object.hobj.id)
        ? Effect.succeed(undefined)
        : object.connection.consumers.register(
          object.hobj.id,
          object.obj,
          whereOf(object.connection, object.hobj.name),
          spec
        )
    )))

  const releaseConsumer = (object: ObjectState, consumer: Consumer): Effect.Effect<void> =>
    locked(object.connection, object.connection.consumers.deregister(consumer))

  /** A get with wait: a consumer (MQCB) that takes one message, or looks again and again. */
  const waiting = (object: ObjectState, options: GetOptions, bits: GetOptionBits) =>
    needsPolling(options) ? polling(object.hobj, options, bits) : Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const consumers = object.connection.consumers
        const consumer = yield* registerConsumer(object, consumerSpec("get", options, bits))
        if (consumer === undefined) return yield* restore(polling(object.hobj, options, bits))
        const waited = yield* Effect.exit(restore(consumers.wait(consumer)))
        yield* releaseConsumer(object, consumer)
        const taken = yield* Effect.exit(
          Exit.isSuccess(waited)
            ? restore(Effect.void).pipe(Effect.andThen(Effect.suspend(() => consumers.take(consumer))))
            : Effect.failCause(waited.cause)
        )
        consumers.keep(consumer)
        return yield* taken
      })
    )

  const get = Effect.fn("IbmMq.get")(function*(hobj: Hobj, options: GetOptions = {}) {
    const object = yield* objectOf("MQGET", hobj)
    const bits = getOptionBits(options)
    const kept = object.connection.consumers.takeStashed(hobj.id, signatureOf(options, bits))
    if (kept !== undefined) return Option.some(kept)
    return yield* options.wait === undefined
      ? lockedTaking(object.connection, getNow(object, options, bits))
      : waiting(object, options, bits)
  })

  // A consumer ends when its handle or connection does (the polling one when its get says so).
  const gone = (error: MqError): boolean =>
    error.reason === ReasonCode.HOBJ_ERROR || error.reason === ReasonCode.HCONN_ERROR

  const consume = (hobj: Hobj, options: GetOptions = {}): Stream.Stream<Message, MqError> =>
    Stream.unwrap(Effect.gen(function*() {
      const object = yield* objectOf("MQCB", hobj)
      // A consumer waits as long as it takes; `wait` says nothing more to it.
      const consumerOptions: GetOptions = { ...options, wait: "unlimited" }
      const bits = getOptionBits(consumerOptions)
      const consumers = object.connection.consumers
      const consumer = needsPolling(options) ? undefined : yield* Effect.acquireRelease(
        registerConsumer(object, consumerSpec("stream", consumerOptions, bits)),
        (consumer) =>
          consumer === undefined
            ? Effect.void
            : releaseConsumer(object, consumer).pipe(Effect.andThen(Effect.sync(() => consumers.keep(consumer))))
      )
      const next: Effect.Effect<Option.Option<Message>, MqError> = consumer === undefined
        ? polling(hobj, consumerOptions, bits).pipe(Effect.catchIf(gone, () => Effect.succeedNone))
        : Effect.uninterruptibleMask((restore) =>
          restore(consumers.wait(consumer)).pipe(
            Effect.andThen(restore(Effect.void)),
            Effect.andThen(Effect.suspend(() => consumers.take(consumer)))
          )
        )
      return Stream.unfold(undefined, () =>
        Effect.map(next, Option.match({ onNone: () => undefined, onSome: (message) => [message, undefined] as const })))
    }))

  // ---------------------------------------------------------------------------------------------
  // Subscriptions

  /** The managed queue's name; the topic string when the queue manager does not tell it. */
  const managedQueueName = (obj: MQObject, topicString: string, where: Where) =>
    inquireAttributes(obj, [Attribute.QName.selector], where).pipe(
      Effect.map(([name]) => mqText(String(name?.value ?? "")) || topicString),
      Effect.orElseSucceed(() => topicString)
    )

  const subscribeNow = (hconn: Hconn, options: SubscribeOptions) =>
    Effect.gen(function*() {
      const label = [options.topicObject, options.topicString, options.name].filter((s) => s !== undefined).join(":")
      const connection = yield* connectionOf("MQSUB", hconn, label)
      const destination = options.destination === undefined ? undefined : yield* objectOf("MQSUB", options.destination)
      const where = whereOf(connection, label)
      return yield* locked(
        connection,
        Effect.gen(function*() {
          const sd = new mq.MQSD()
          sd.Options = subscribeOptionBits(options)
          if (options.topicObject !== undefined) sd.ObjectName = options.topicObject
          if (options.topicString !== undefined) sd.ObjectString = options.topicString
          if (options.name !== undefined) sd.SubName = options.name
          const { queue, hsub } = yield* invoke<{ readonly queue: MQObject; readonly hsub: MQObject }>(
            "MQSUB",
            where,
            (done) =>
              mq.Sub(connection.qm, destination?.obj ?? null, sd, (error, queue, hsub) => done(error, { queue, hsub }))
          )
          const topicString = mqText(sd.ResObjectString) || (options.topicString ?? "")
          const target = destination ?? remember(connection, queue, yield* managedQueueName(queue, topicString, where))
          const owned = destination === undefined ? target : undefined
          const id = ++lastId
          const subscription: Subscription = {
            _tag: "Subscription",
            id,
            hconn,
            destination: target.hobj,
            topicString,
            ...(options.name === undefined ? {} : { name: options.name })
          }
          subscriptions.set(id, { subscription, hsub, connection, owned })
          connection.subscriptions.add(id)
          return subscription
        })
      )
    })

  const unsubscribing = (state: SubscriptionState, options: number): Effect.Effect<void, MqError> =>
    closeObject(state.hsub, options, whereOf(state.connection, state.subscription.topicString)).pipe(
      Effect.tap(() =>
        Effect.sync(() => {
          subscriptions.delete(state.subscription.id)
          state.connection.subscriptions.delete(state.subscription.id)
        })
      ),
      Effect.andThen(state.owned === undefined ? Effect.void : quietly(closing(state.owned, 0)))
    )

  const subscriptionOf = (subscription: Subscription): Effect.Effect<SubscriptionState, MqError> =>
    Effect.suspend(() => {
      const connection = connections.get(subscription.hconn.id)
      if (connection === undefined) {
        return Effect.fail(mqError("MQCLOSE", ReasonCode.HCONN_ERROR, { object: subscription.topicString }))
      }
      const state = subscriptions.get(subscription.id)
      return state === undefined
        ? Effect.fail(mqError("MQCLOSE", ReasonCode.HOBJ_ERROR, whereOf(connection, subscription.topicString)))
        : Effect.succeed(state)
    })

  const releaseSubscription = (subscription: Subscription): Effect.Effect<void> =>
    Effect.suspend(() => {
      const state = subscriptions.get(subscription.id)
      return state === undefined ? Effect.void : quietly(locked(state.connection, unsubscribing(state, 0)))
    })

  // ---------------------------------------------------------------------------------------------
  // Attributes

  // By name, for callers that name attributes the port's types do not know (MQ answers 2067 for them).
  const selectors = new Map<string, number>(Object.entries(Attribute).map(([name, { selector }]) => [name, selector]))

  const selectorOf = (verb: Verb, name: string, where: Where): Effect.Effect<number, MqError> => {
    const selector = selectors.get(name)
    return selector === undefined
      ? Effect.fail(mqError(verb, ReasonCode.SELECTOR_ERROR, { ...where, object: name }))
      : Effect.succeed(selector)
  }

  const inquire = <const A extends AttributeName>(
    hobj: Hobj,
    attributes: ReadonlyArray<A>
  ): Effect.Effect<Attributes<A>, MqError> =>
    Effect.gen(function*() {
      const object = yield* objectOf("MQINQ", hobj)
      const where = whereOf(object.connection, hobj.name)
      const requested = yield* Effect.forEach(attributes, (name) => selectorOf("MQINQ", name, where))
      const values = yield* locked(object.connection, inquireAttributes(object.obj, requested, where))
      const result: Record<string, number | string> = {}
      attributes.forEach((name, i) => {
        const value = values[i]?.value
        result[name] = typeof value === "string" ? mqText(value) : Number(value)
      })
      return result as Attributes<A>
    })

  // ---------------------------------------------------------------------------------------------

  /** A verb on the connection itself (MQBEGIN, MQCMIT, MQBACK). */
  const onConnection = (
    verb: Verb,
    hconn: Hconn,
    run: (qm: MQQueueManager, done: (error: MQError | null) => void) => void
  ) =>
    Effect.gen(function*() {
      const connection = yield* connectionOf(verb, hconn)
      return yield* locked(
        connection,
        invoke<void>(verb, whereOf(connection), (done) => run(connection.qm, (error) => done(error, undefined)))
      )
    })

  return Mqi.of({
    connect: (options) =>
      Effect.acquireRelease(connectNow(options), releaseConnection).pipe(Effect.withSpan("IbmMq.connect")),

    disconnect: Effect.fn("IbmMq.disconnect")(function*(hconn) {
      const connection = yield* connectionOf("MQDISC", hconn)
      yield* disconnectGated(connection)
    }),

    queueManager: (hconn) => Effect.map(connectionOf("MQINQ", hconn), (connection) => connection.identity),

    open: (hconn, od, options) =>
      Effect.acquireRelease(
        Effect.gen(function*() {
          const connection = yield* connectionOf("MQOPEN", hconn, objectName(od))
          const mqod = toMqod(od)
          const obj = yield* locked(
            connection,
            invoke<MQObject>(
              "MQOPEN",
              whereOf(connection, objectName(od)),
              (done) => mq.Open(connection.qm, mqod, openOptionBits(options), done)
            )
          )
          return remember(connection, obj, resolvedName(od, mqod, connection)).hobj
        }),
        releaseObject
      ).pipe(Effect.withSpan("IbmMq.open")),

    close: Effect.fn("IbmMq.close")(function*(hobj: Hobj, options?: CloseOptions) {
      const object = yield* objectOf("MQCLOSE", hobj)
      yield* locked(object.connection, closing(object, closeOptionBits(options ?? {})))
    }),

    put: Effect.fn("IbmMq.put")(function*(hobj: Hobj, message: OutgoingMessage, options?: PutOptions) {
      const object = yield* objectOf("MQPUT", hobj)
      const where = whereOf(object.connection, hobj.name)
      const md = toMqmd(mq, message.descriptor)
      const body = bodyOf(message)
      yield* locked(
        object.connection,
        withProperties(object.connection, message.properties, where, (hmsg) =>
          invoke<void>("MQPUT", where, (done) =>
            mq.Put(object.obj, md, putMessageOptions(options, hmsg), body, (error) => done(error, undefined))))
      )
      return fromMqmd(md)
    }),

    put1: Effect.fn("IbmMq.put1")(
      function*(hconn: Hconn, od: ObjectDescriptor, message: OutgoingMessage, options?: PutOptions) {
        const connection = yield* connectionOf("MQPUT1", hconn, objectName(od))
        const where = whereOf(connection, objectName(od))
        const md = toMqmd(mq, message.descriptor)
        const body = bodyOf(message)
        yield* locked(
          connection,
          withProperties(connection, message.properties, where, (hmsg) =>
            invoke<void>("MQPUT1", where, (done) =>
              mq.Put1(connection.qm, toMqod(od), md, putMessageOptions(options, hmsg), body, (error) =>
                done(error, undefined))))
        )
        return fromMqmd(md)
      }
    ),

    get,
    consume,

    begin: (hconn) => onConnection("MQBEGIN", hconn, (qm, done) => mq.Begin(qm, done)),
    commit: (hconn) => onConnection("MQCMIT", hconn, (qm, done) => mq.Cmit(qm, done)),
    backout: (hconn) => onConnection("MQBACK", hconn, (qm, done) => mq.Back(qm, done)),

    subscribe: (hconn, options) =>
      Effect.acquireRelease(subscribeNow(hconn, options), releaseSubscription).pipe(Effect.withSpan("IbmMq.subscribe")),

    unsubscribe: Effect.fn("IbmMq.unsubscribe")(function*(subscription: Subscription, options?: CloseOptions) {
      const state = yield* subscriptionOf(subscription)
      yield* locked(state.connection, unsubscribing(state, closeOptionBits(options ?? {})))
    }),

    inquire,

    set: Effect.fn("IbmMq.set")(function*(hobj, attributes) {
      const object = yield* objectOf("MQSET", hobj)
      const where = whereOf(object.connection, hobj.name)
      const changes = yield* Effect.forEach(Object.entries(attributes), ([name, value]) =>
        Effect.map(selectorOf("MQSET", name, where), (selector) => new mq.MQAttr(selector, value)))
      yield* locked(
        object.connection,
        invoke<void>("MQSET", where, (done) => mq.Set(object.obj, changes, (error) => done(error, undefined)))
      )
    })
  })
}
