import type { RetryPolicy } from "@resilient-mq/retry"
import {
  Cause,
  Clock,
  Duration,
  Effect,
  Exit,
  Metric,
  Option,
  PubSub,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import type { AttributeName, Attributes, SettableAttribute } from "../../Attribute.ts"
import { type ConnectOptions, formatConnectionName, parseConnectionName } from "../../ConnectOptions.ts"
import { type GetOptions, getOptionBits } from "../../GetOptions.ts"
import { CompletionCode, ReasonCode } from "../../ReasonCode.ts"
import type { Message, Mqi, OutgoingMessage, Hconn, Hobj, QueueManagerIdentity, Subscription, SubscribeOptions } from "../../Mqi.ts"
import { MQGMO, MQPMO } from "../../MqiConstants.ts"
import {
  type CallError,
  type ConnectionEvent,
  type ConnectionFailure,
  type ConnectionState,
  ConnectionUnavailable,
  MqConnection,
  type MqObject,
  type MqSubscription,
  ReconnectQmidMismatch,
  type ReconnectMode
} from "../../MqConnection.ts"
import { isMqError, type MqError, mqError, type Verb } from "../../MqError.ts"
import type { CloseOptions, ObjectDescriptor, OpenOptions } from "../../OpenOptions.ts"
import type { PutOptions } from "../../PutOptions.ts"

interface Dependencies {
  readonly mqi: Mqi["Service"]
  readonly policy: RetryPolicy["Service"]
  readonly events: PubSub.PubSub<ConnectionEvent>
  readonly state: SubscriptionRef.SubscriptionRef<ConnectionState>
  readonly connect: ConnectOptions
  readonly mode: ReconnectMode
  readonly heartbeat: Duration.Duration | undefined
}

/** One physical connection: everything opened on it lives in its scope and goes with it. */
interface Live {
  readonly generation: number
  readonly hconn: Hconn
  readonly scope: Scope.Closeable
  readonly identity: QueueManagerIdentity
  /** MqObject id → this connection's handle. */
  readonly handles: Map<number, Hobj>
  readonly subscriptions: Map<number, Subscription>
}

interface ObjectRecord {
  readonly object: MqObject
  /** Opened by a subscription: restored by subscribing again, not by opening. */
  readonly subscription?: number
}

/** The unit of work as the queue manager sees it: `doomed` once a break or 2003 backed it out. */
type Unit =
  | { readonly state: "none" }
  | { readonly state: "active" | "doomed"; readonly generation: number }

const metrics = {
  up: Metric.gauge("resilient_mq_connection_up", { description: "1 while connected, 0 otherwise" }),
  reconnects: Metric.counter("resilient_mq_connection_reconnects_total", {
    description: "reconnects that succeeded",
    incremental: true
  }),
  downtime: Metric.histogram("resilient_mq_connection_downtime_seconds", {
    description: "time from a lost connection to the reconnect",
    boundaries: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800]
  }),
  calls: Metric.counter("resilient_mq_calls_total", { description: "calls by verb and outcome", incremental: true })
}

// Reasons with which a call in flight was cut off with its connection: it may have been done.
const cutOff: ReadonlySet<number> = new Set([
  ReasonCode.CONNECTION_BROKEN,
  ReasonCode.Q_MGR_STOPPING,
  ReasonCode.CONNECTION_STOPPING
])

/** Whether an error says the connection is gone (whatever it says of the call). */
const losesConnection = (error: MqError): boolean => error.errorClass === "connection" || cutOff.has(error.reason)

const isSyncpointPut = (options: PutOptions | undefined) =>
  options !== undefined && (options.syncpoint === true || ((options.bits ?? 0) & MQPMO.SYNCPOINT) !== 0)

const isSyncpointGet = (options: GetOptions | undefined) =>
  (getOptionBits(options ?? {}).options & (MQGMO.SYNCPOINT | MQGMO.SYNCPOINT_IF_PERSISTENT)) !== 0 &&
  options?.browse === undefined

const rotate = <A>(items: ReadonlyArray<A>, by: number): ReadonlyArray<A> =>
  items.length === 0 ? items : [...items.slice(by % items.length), ...items.slice(0, by % items.length)]

export const makeConnection = Effect.fnUntraced(function*(deps: Dependencies) {
  const { mqi, policy, events, state, connect, mode, heartbeat } = deps
  const layerScope = yield* Effect.scope
  const endpoints = connect.connectionName === undefined ? [] : parseConnectionName(connect.connectionName)

  let live: Live | undefined
  let generations = 0
  let connectAttempts = 0
  let firstQmid: string | undefined
  // The queue manager of the connection that was lost last, for `Reconnected.sameQueueManager`.
  let lastQmid: string | undefined
  // Whether a call succeeded since the heartbeat last looked.
  let active = true
  let unit: Unit = { state: "none" }
  let nextId = 0
  const objects = new Map<number, ObjectRecord>()
  const subscriptions = new Map<number, MqSubscription>()

  const publish = (event: ConnectionEvent) => PubSub.publish(events, event)
  const setState = (next: ConnectionState) => SubscriptionRef.set(state, next)

  // A connect attempt: the connection list tried in order the first time, then starting one further
  // on each attempt (round-robin), so a dead first endpoint does not delay every reconnect.
  const connectOnce = Effect.gen(function*() {
    const attempt = connectAttempts++
    const options = endpoints.length > 1
      ? { ...connect, connectionName: formatConnectionName(rotate(endpoints, attempt)) }
      : connect
    const scope = yield* Scope.make()
    return yield* Effect.gen(function*() {
      const hconn = yield* mqi.connect(options).pipe(Scope.provide(scope))
      const identity = yield* mqi.queueManager(hconn)
      return { scope, hconn, identity }
    }).pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
  })

  const open = (l: Live, record: ObjectRecord): Effect.Effect<Hobj, MqError> => {
    const { descriptor, options, name } = record.object
    const openIn = (d: ObjectDescriptor) => mqi.open(l.hconn, d, options).pipe(Scope.provide(l.scope))
    // A dynamic queue keeps its name: a permanent one still exists, a temporary one is made again
    // from its model under the same name, as MQ would.
    const handle = descriptor.type === "queue" && name !== "" && name !== descriptor.name
      ? openIn({ type: "queue", name }).pipe(
        Effect.catchIf(
          (e) => e.reason === ReasonCode.UNKNOWN_OBJECT_NAME,
          () => openIn({ ...descriptor, dynamicQueueName: name })
        )
      )
      : openIn(descriptor)
    return Effect.tap(handle, (hobj) => Effect.sync(() => l.handles.set(record.object.id, hobj)))
  }

  const subscribeIn = (l: Live, subscription: MqSubscription, options: SubscribeOptions) =>
    mqi.subscribe(l.hconn, options).pipe(
      Scope.provide(l.scope),
      Effect.tap((sub) =>
        Effect.sync(() => {
          l.subscriptions.set(subscription.id, sub)
          l.handles.set(subscription.destination.id, sub.destination)
        })
      )
    )

  // Reopens what was open and resumes subscriptions on a new connection.
  const restore = (l: Live) =>
    Effect.gen(function*() {
      for (const record of objects.values()) {
        if (record.subscription !== undefined) continue
        const reopened = yield* Effect.exit(open(l, record))
        // An object that cannot be reopened now is reopened by its next call, which reports why.
        if (Exit.isFailure(reopened)) {
          const error = Cause.findErrorOption(reopened.cause)
          if (Option.isSome(error) && losesConnection(error.value)) return yield* Effect.fail(error.value)
        } else if (record.object.options.browse) {
          yield* publish({ _tag: "BrowseCursorReset", object: record.object.name })
        }
      }
      for (const subscription of subscriptions.values()) {
        const options = subscription.options.durable
          ? { ...subscription.options, mode: "resume" as const }
          : subscription.options
        yield* subscribeIn(l, subscription, options)
      }
    })

  // The event goes first: callers woken by the state see it already published.
  const fail = (error: ConnectionFailure) =>
    Effect.gen(function*() {
      yield* publish({ _tag: "ReconnectFailed", reason: error })
      yield* setState({ _tag: "Failed", error })
    })

  // Connects (under the policy), checks the QMID in `same` mode, restores, and goes live.
  const establish = (lostAt: number | undefined): Effect.Effect<void, ConnectionFailure> =>
    Effect.gen(function*() {
      const { scope, hconn, identity } = yield* policy.reconnect(connectOnce, {
        onRetry: ({ attempt, delay }) =>
          Effect.andThen(
            publish({ _tag: "Reconnecting", attempt, delay }),
            lostAt === undefined ? Effect.void : setState({ _tag: "Reconnecting", since: lostAt, attempt })
          )
      })
      if (mode === "same" && firstQmid !== undefined && identity.qmid !== firstQmid) {
        yield* Scope.close(scope, Exit.void)
        return yield* new ReconnectQmidMismatch({ expected: firstQmid, actual: identity.qmid, queueManager: identity.name })
      }
      const l: Live = { generation: ++generations, hconn, scope, identity, handles: new Map(), subscriptions: new Map() }
      const restored = yield* Effect.exit(restore(l))
      if (Exit.isFailure(restored)) {
        // The new connection was lost while restoring: start over.
        yield* Scope.close(scope, Exit.void)
        return yield* establish(lostAt)
      }
      const sameQueueManager = lastQmid === identity.qmid
      firstQmid ??= identity.qmid
      lastQmid = identity.qmid
      // The event goes out before calls resume, so that whoever reacts to it sees it first.
      if (lostAt === undefined) {
        yield* publish({ _tag: "Connected", queueManager: identity })
      } else {
        const downtime = Duration.millis((yield* Clock.currentTimeMillis) - lostAt)
        yield* Metric.update(metrics.reconnects, 1)
        yield* Metric.update(metrics.downtime, Duration.toSeconds(downtime))
        yield* publish({
          _tag: "Reconnected",
          queueManager: identity.name,
          qmid: identity.qmid,
          sameQueueManager,
          downtime
        })
      }
      live = l
      active = true
      yield* Metric.update(metrics.up, 1)
      yield* setState({ _tag: "Connected", queueManager: identity })
    })

  // The connection of `generation` is gone: publish it and reconnect, once, whoever noticed first.
  const lost = (generation: number, reason: MqError): Effect.Effect<void> =>
    Effect.suspend(() => {
      const gone = live
      if (gone === undefined || gone.generation !== generation) return Effect.void
      live = undefined
      if (unit.state === "active" && unit.generation === generation) unit = { state: "doomed", generation }
      return Effect.gen(function*() {
        const lostAt = yield* Clock.currentTimeMillis
        yield* Metric.update(metrics.up, 0)
        yield* publish({ _tag: "ConnectionLost", reason })
        yield* Scope.close(gone.scope, Exit.void)
        if (mode === "disabled") return yield* fail(reason)
        yield* setState({ _tag: "Reconnecting", since: lostAt, attempt: 1 })
        yield* Effect.forkIn(establish(lostAt).pipe(Effect.catch(fail)), layerScope)
      })
    })

  const unavailable = (current: ConnectionState) =>
    new ConnectionUnavailable(
      current._tag === "Failed" ? { state: "failed", cause: current.error } : { state: "closed" }
    )

  // The live connection, waiting while it reconnects (the policy's deadline bounds the wait).
  const awaitLive: Effect.Effect<Live, ConnectionUnavailable> = Effect.suspend(() =>
    live !== undefined
      ? Effect.succeed(live)
      : SubscriptionRef.changes(state).pipe(
        Stream.filter((s) => s._tag === "Connected" || s._tag === "Failed" || s._tag === "Closed"),
        Stream.runHead,
        Effect.flatMap((s) =>
          live !== undefined
            ? Effect.succeed(live)
            : Option.isSome(s) && s.value._tag !== "Connected"
            ? Effect.fail(unavailable(s.value))
            : awaitLive
        )
      )
  )

  const handleFor = (l: Live, object: MqObject): Effect.Effect<Hobj, MqError> =>
    Effect.suspend(() => {
      const hobj = l.handles.get(object.id)
      if (hobj !== undefined) return Effect.succeed(hobj)
      const record = objects.get(object.id)
      return record === undefined
        ? Effect.fail(mqError("MQGET", ReasonCode.HOBJ_ERROR, { object: object.name }))
        : open(l, record)
    })

  // Successful calls are counted here and added to the metric once a second (and at the end): an
  // update of the metric on every call cost as much as the rest of the call (measured by the bench).
  const okCalls = new Map<Verb, number>()
  const flushCalls = Effect.suspend(() => {
    const counted = [...okCalls]
    okCalls.clear()
    return Effect.forEach(counted, ([verb, n]) => Metric.update(counter(verb, "ok"), n), { discard: true })
  })

  const counters = new Map<string, Metric.Metric<number, unknown>>()
  const counter = (verb: Verb, outcome: string) => {
    const key = `${verb} ${outcome}`
    let metric = counters.get(key)
    if (metric === undefined) {
      metric = Metric.withAttributes(metrics.calls, { verb, outcome })
      counters.set(key, metric)
    }
    return metric
  }

  /**
   * Makes a call on the live connection. A lost connection is reported and the call waits for the
   * reconnect and is made again, unless it was inside a unit of work (the break backed the unit
   * out: 2003) or may already have been done (outcome unknown: the caller resolves it).
   */
  const call = <A>(
    verb: Verb,
    inUnit: boolean,
    f: (l: Live) => Effect.Effect<A, MqError>
  ): Effect.Effect<A, CallError> => {
    // The path of every call, kept free of generators, clock reads and metric updates: a put through
    // the connection should cost little more than the bare put.
    const attempt: Effect.Effect<A, CallError> = Effect.suspend(() => {
      if (inUnit && unit.state === "doomed") {
        return Effect.andThen(Metric.update(counter(verb, "backed-out"), 1), Effect.fail(mqError(verb, ReasonCode.BACKED_OUT)))
      }
      const l = live
      if (l === undefined) return Effect.flatMap(awaitLive, () => attempt)
      return Effect.matchCauseEffect(f(l), {
        onSuccess: (value) => {
          if (inUnit && (unit.state !== "active" || unit.generation !== l.generation)) {
            unit = { state: "active", generation: l.generation }
          }
          active = true
          okCalls.set(verb, (okCalls.get(verb) ?? 0) + 1)
          return Effect.succeed(value)
        },
        onFailure: (cause) => {
          const error = Cause.findErrorOption(cause)
          return Option.isSome(error) && isMqError(error.value) ? failed(l, error.value) : Effect.failCause(cause)
        }
      })
    })
    const failed = (l: Live, e: MqError): Effect.Effect<A, CallError> =>
      Effect.gen(function*() {
        yield* Metric.update(counter(verb, e.errorClass), 1)
        if (e.reason === ReasonCode.BACKED_OUT && inUnit) unit = { state: "doomed", generation: l.generation }
        if (!losesConnection(e)) return yield* Effect.fail(e)
        if (inUnit && unit.state !== "none") unit = { state: "doomed", generation: l.generation }
        yield* lost(l.generation, e)
        if (inUnit) return yield* mqError(verb, ReasonCode.BACKED_OUT, { object: e.object, cause: e })
        if (e.errorClass === "outcome-unknown") return yield* Effect.fail(e)
        return yield* attempt
      })
    return attempt
  }

  const register = (record: ObjectRecord) =>
    Effect.sync(() => {
      objects.set(record.object.id, record)
    })

  const close = (object: MqObject, options?: CloseOptions): Effect.Effect<void, CallError> =>
    Effect.suspend(() => {
      if (!objects.delete(object.id)) return Effect.void
      const l = live
      const hobj = l?.handles.get(object.id)
      if (l === undefined || hobj === undefined) return Effect.void
      l.handles.delete(object.id)
      return mqi.close(hobj, options).pipe(
        // A close on a connection that just went is done: the queue manager closed it with the connection.
        Effect.catchIf(losesConnection, (e) => lost(l.generation, e))
      )
    })

  // Acquisitions cannot be interrupted: wait for the connection before, where the caller still can.
  const openObject = (descriptor: ObjectDescriptor, options: OpenOptions) =>
    Effect.andThen(awaitLive, Effect.acquireRelease(
      call("MQOPEN", false, (l) => {
        const id = nextId++
        const pending: ObjectRecord = { object: { _tag: "MqObject", id, name: "", descriptor, options } }
        return Effect.map(open(l, pending), (hobj) => ({ _tag: "MqObject" as const, id, name: hobj.name, descriptor, options }))
      }).pipe(Effect.tap((object) => register({ object }))),
      (object) => Effect.ignore(close(object))
    ))

  const put = (object: MqObject, message: OutgoingMessage, options?: PutOptions) =>
    call("MQPUT", isSyncpointPut(options), (l) => {
      const hobj = l.handles.get(object.id)
      return hobj === undefined
        ? Effect.flatMap(handleFor(l, object), (h) => mqi.put(h, message, options))
        : mqi.put(hobj, message, options)
    })

  const put1 = (object: ObjectDescriptor, message: OutgoingMessage, options?: PutOptions) =>
    call("MQPUT1", isSyncpointPut(options), (l) => mqi.put1(l.hconn, object, message, options))

  const get = (object: MqObject, options?: GetOptions) =>
    call("MQGET", isSyncpointGet(options), (l) => Effect.flatMap(handleFor(l, object), (hobj) => mqi.get(hobj, options)))

  const consume = (object: MqObject, options?: GetOptions): Stream.Stream<Message, CallError> =>
    Stream.unwrap(Effect.gen(function*() {
      const l = yield* awaitLive
      const hobj = yield* handleFor(l, object).pipe(
        Effect.catchIf(losesConnection, (e) => Effect.andThen(lost(l.generation, e), Effect.fail(e)))
      )
      // Again on the next connection when this one goes (the stream fails or, its handle closed by
      // the reconnect, ends), for as long as the object is open.
      const again = Stream.suspend(() =>
        objects.has(object.id) && live?.generation !== l.generation ? consume(object, options) : Stream.empty
      )
      return mqi.consume(hobj, options).pipe(
        Stream.tap(() => Effect.sync(() => void (active = true))),
        Stream.catch((e): Stream.Stream<Message, CallError> =>
          losesConnection(e) ? Stream.unwrap(Effect.as(lost(l.generation, e), again)) : Stream.fail(e)
        ),
        Stream.concat(again)
      )
    })).pipe(Stream.catchTag("MqError", (e) => losesConnection(e) ? consume(object, options) : Stream.fail(e)))

  const commit: Effect.Effect<void, CallError> = Effect.suspend(() => {
    const current = unit
    if (current.state === "none") return Effect.void
    unit = { state: "none" }
    if (current.state === "doomed" && live?.generation !== current.generation) {
      return Effect.fail(mqError("MQCMIT", ReasonCode.BACKED_OUT, { completionCode: CompletionCode.WARNING }))
    }
    return call("MQCMIT", false, (l) =>
      l.generation === current.generation
        ? mqi.commit(l.hconn)
        : Effect.fail(mqError("MQCMIT", ReasonCode.BACKED_OUT, { completionCode: CompletionCode.WARNING })))
  })

  const backout: Effect.Effect<void, CallError> = Effect.suspend(() => {
    const current = unit
    unit = { state: "none" }
    // The queue manager backed out a unit whose connection went; on the same connection, ask it to.
    return current.state !== "none" && live?.generation === current.generation
      ? call("MQBACK", false, (l) => mqi.backout(l.hconn))
      : Effect.void
  })

  const consumeWith = <A, E, R>(
    object: MqObject,
    handler: (message: Message) => Effect.Effect<A, E, R>,
    options?: { readonly wait?: Duration.Input }
  ): Stream.Stream<A, E | CallError, R> =>
    Stream.fromEffectRepeat(Effect.gen(function*() {
      const processed = yield* Effect.exit(Effect.gen(function*() {
        const message = yield* get(object, { syncpoint: true, wait: options?.wait ?? "1 second" })
        if (Option.isNone(message)) return Option.none<A>()
        const result = yield* handler(message.value)
        yield* commit
        return Option.some(result)
      }))
      if (Exit.isSuccess(processed)) return processed.value
      yield* Effect.ignore(backout)
      const error = Cause.findErrorOption(processed.cause)
      // The unit was backed out (a break, a 2003) or its commit's outcome is unknown: the message and
      // the handler's work went or stayed together, so taking the next message duplicates nothing.
      if (Option.isSome(error) && isMqError(error.value) && error.value.errorClass !== "permanent") {
        yield* Effect.logWarning(`a consumed message's unit of work did not complete: ${error.value.message}`)
        return Option.none<A>()
      }
      return yield* Effect.failCause(processed.cause)
    })).pipe(Stream.filter(Option.isSome), Stream.map((some) => some.value))

  const subscribe = (options: Omit<SubscribeOptions, "destination">) =>
    Effect.andThen(awaitLive, Effect.acquireRelease(
      call("MQSUB", false, (l) => {
        const id = nextId++
        const destination: MqObject = {
          _tag: "MqObject",
          id: nextId++,
          name: "",
          descriptor: { type: "queue", name: "" },
          options: { input: "as-queue-definition", browse: true }
        }
        const pending: MqSubscription = { _tag: "MqSubscription", id, options, destination }
        return Effect.map(subscribeIn(l, pending, options), (sub): MqSubscription => ({
          ...pending,
          destination: { ...destination, name: sub.destination.name, descriptor: { type: "queue", name: sub.destination.name } }
        }))
      }).pipe(
        Effect.tap((subscription) =>
          Effect.sync(() => {
            subscriptions.set(subscription.id, subscription)
            objects.set(subscription.destination.id, { object: subscription.destination, subscription: subscription.id })
          })
        )
      ),
      (subscription) => Effect.ignore(unsubscribe(subscription))
    ))

  const unsubscribe = (subscription: MqSubscription, options?: CloseOptions): Effect.Effect<void, CallError> =>
    Effect.suspend(() => {
      if (!subscriptions.delete(subscription.id)) return Effect.void
      objects.delete(subscription.destination.id)
      const l = live
      const sub = l?.subscriptions.get(subscription.id)
      if (l === undefined || sub === undefined) return Effect.void
      l.subscriptions.delete(subscription.id)
      l.handles.delete(subscription.destination.id)
      return mqi.unsubscribe(sub, options).pipe(Effect.catchIf(losesConnection, (e) => lost(l.generation, e)))
    })

  const inquire = <const A extends AttributeName>(object: MqObject, attributes: ReadonlyArray<A>) =>
    call("MQINQ", false, (l) => Effect.flatMap(handleFor(l, object), (hobj) => mqi.inquire(hobj, attributes)))

  const set = (object: MqObject, attributes: Partial<{ readonly [K in SettableAttribute]: Attributes<K>[K] }>) =>
    call("MQSET", false, (l) => Effect.flatMap(handleFor(l, object), (hobj) => mqi.set(hobj, attributes)))

  // A cheap inquiry after a quiet spell notices a dead connection before the application's next call.
  const beat = (period: Duration.Duration) =>
    Effect.gen(function*() {
      while (true) {
        yield* Effect.sleep(period)
        const l = live
        const quiet = !active
        active = false
        if (l === undefined || !quiet) continue
        const probe = yield* Effect.exit(
          mqi.open(l.hconn, { type: "queue-manager" }, { inquire: true }).pipe(
            Effect.flatMap((hobj) => mqi.inquire(hobj, ["QMgrName"])),
            Effect.scoped
          )
        )
        if (Exit.isSuccess(probe)) continue
        const error = Cause.findErrorOption(probe.cause)
        if (Option.isSome(error) && losesConnection(error.value)) yield* lost(l.generation, error.value)
      }
    })

  yield* establish(undefined)
  if (heartbeat !== undefined) yield* Effect.forkIn(beat(heartbeat), layerScope)
  yield* Effect.forkIn(Effect.forever(Effect.andThen(Effect.sleep("1 second"), flushCalls)), layerScope)
  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      const l = live
      live = undefined
      yield* flushCalls
      yield* setState({ _tag: "Closed" })
      yield* Metric.update(metrics.up, 0)
      if (l !== undefined) yield* Scope.close(l.scope, Exit.void)
    })
  )

  return MqConnection.of({
    connect,
    reconnect: mode,
    state,
    events: Stream.fromPubSub(events),
    queueManager: Effect.map(awaitLive, (l) => l.identity),
    open: openObject,
    close,
    put,
    put1,
    get,
    consume,
    consumeWith,
    commit,
    backout,
    subscribe,
    unsubscribe,
    inquire,
    set
  })
})
