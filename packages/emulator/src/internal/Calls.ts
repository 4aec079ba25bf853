import { type Message, ReasonCode, type Verb } from "@resilient-mq/core"
import { Deferred, Effect } from "effect"
import { type Connection, type Handle, PendingGet, type WaitResult } from "./Connection.ts"
import type { EmulatorModel } from "./Model.ts"
import { MqFailure, refuse } from "./MqFailure.ts"
import type { ConnectRequest, GetRequest, QueueManager } from "./QueueManager.ts"

/** What a refusal of a call names: the verb, the object and the queue manager. */
export interface Call {
  readonly verb: Verb
  readonly object: string | undefined
  readonly queueManager: string | undefined
  /** The connection it is made on, whose end `run` answers however late it came. */
  readonly connection?: Connection
}

export const handleOf = (connection: Connection, hobj: number): Handle =>
  connection.handles.get(hobj) ?? refuse(ReasonCode.HOBJ_ERROR)

/**
 * How MQI calls reach the model, shared by the in-process `Mqi` and the network server: they differ
 * only in what a refusal becomes for their caller (`fail`: an `MqError`, a reason code on the wire).
 */
export const makeCalls = <E>(model: EmulatorModel, fail: (call: Call, failure: MqFailure) => E) => {
  /** Runs model code, turning its refusals into `E` (anything else it throws is a defect). */
  const run = <A>(call: Call, f: () => A): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      try {
        // The connection may have ended since the frame looked (another fiber broke or stopped it in
        // between): the call answers that end, as MQ would, instead of doing its work on what is left
        // (a commit of a unit the end backed out, a put through a handle the end closed).
        const ended = call.verb === "MQDISC" ? undefined : call.connection?.ended
        if (ended !== undefined) throw new MqFailure(ended)
        return Effect.succeed(f())
      } catch (error) {
        if (error instanceof MqFailure) return Effect.fail(fail(call, error))
        throw error
      }
    })

  /**
   * The frame of every verb on a connection (MQ-BEHAVIOUR §1.7, and the faults of the README):
   * 2018 for an unknown connection, the injected delay, the reason of a dead connection, an
   * injected failure (before the work, or after it with `after`), then the work.
   */
  const onConnection = <A, R>(
    verb: Verb,
    hconn: number,
    object: string | undefined,
    work: (connection: Connection, call: Call) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> =>
    Effect.gen(function*() {
      const connection = model.connection(hconn)
      if (connection === undefined) {
        return yield* Effect.fail(fail({ verb, object, queueManager: undefined }, new MqFailure(ReasonCode.HCONN_ERROR)))
      }
      const queueManager = connection.queueManager
      const call: Call = { verb, object, queueManager: queueManager.name, connection }
      const delay = queueManager.faults.delayOf(verb)
      if (delay > 0) yield* Effect.sleep(delay)
      if (connection.ended !== undefined && verb !== "MQDISC") {
        return yield* Effect.fail(fail(call, new MqFailure(connection.ended)))
      }
      const injected = queueManager.faults.take(verb)
      const inject = (reason: number) =>
        Effect.suspend(() => {
          queueManager.injected(connection, verb, reason)
          return Effect.fail(fail(call, new MqFailure(reason)))
        })
      if (injected !== undefined && !injected.after) return yield* inject(injected.reason)
      const result = yield* work(connection, call)
      if (injected !== undefined) return yield* inject(injected.reason)
      return result
    })

  /**
   * MQCONNX up to the connection itself: the queue manager it reaches, its delay and an injected
   * failure (always answered instead: no connection exists yet to do anything to). The caller then
   * connects with `model.connect`, in whatever scope it keeps connections.
   */
  const admit = (
    request: ConnectRequest,
    object: string | undefined
  ): Effect.Effect<{ readonly queueManager: QueueManager; readonly call: Call }, E> =>
    Effect.gen(function*() {
      const queueManager = yield* run({ verb: "MQCONNX", object, queueManager: undefined }, () => model.route(request))
      const call: Call = { verb: "MQCONNX", object, queueManager: queueManager.name }
      const delay = queueManager.faults.delayOf("MQCONNX")
      if (delay > 0) yield* Effect.sleep(delay)
      const injected = queueManager.faults.take("MQCONNX")
      if (injected !== undefined) return yield* Effect.fail(fail(call, new MqFailure(injected.reason)))
      return { queueManager, call }
    })

  // A waiting get: the model completes it exactly once (message, timeout or cancellation); the
  // timer only tells the model the interval is over, so a message is never lost to a race.
  const awaitWait = (
    call: Call,
    pending: PendingGet,
    result: Deferred.Deferred<WaitResult>,
    waitInterval: number
  ): Effect.Effect<Message | undefined, E> =>
    Effect.scoped(Effect.gen(function*() {
      yield* Effect.addFinalizer(() => Effect.sync(() => pending.withdraw()))
      if (waitInterval > 0) {
        yield* Effect.forkScoped(Effect.sleep(waitInterval).pipe(Effect.andThen(Effect.sync(() => pending.timeout()))))
      }
      const outcome = yield* Deferred.await(result)
      switch (outcome._tag) {
        case "message":
          return outcome.message
        case "none":
          return undefined
        case "failed":
          return yield* Effect.fail(fail(call, outcome.failure))
      }
    }))

  /**
   * MQGET on a connection's handle: the message, or `undefined` for none (2033). A get that waits
   * is handed to `onWait` first, which may end it early with `pending.timeout()` (a cancel).
   */
  const get = (
    connection: Connection,
    call: Call,
    hobj: number,
    request: GetRequest,
    onWait?: (pending: PendingGet) => void
  ): Effect.Effect<Message | undefined, E> =>
    Effect.suspend(() => {
      const result = Deferred.makeUnsafe<WaitResult>()
      return run(call, () =>
        connection.queueManager.get(
          handleOf(connection, hobj),
          request,
          (outcome) => Deferred.doneUnsafe(result, Effect.succeed(outcome))
        )).pipe(
          Effect.flatMap((outcome) => {
            if (!(outcome instanceof PendingGet)) return Effect.succeed(outcome)
            onWait?.(outcome)
            return awaitWait(call, outcome, result, request.waitInterval)
          })
        )
    })

  return { run, onConnection, admit, get }
}
