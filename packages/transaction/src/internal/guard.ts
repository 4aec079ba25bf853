import {
  type CallError,
  describeCause,
  getOptionBits,
  isMqError,
  type Message,
  type MessageDescriptor,
  MqConnection,
  type MqError,
  MQGMO,
  type MqObject,
  MQPMO,
  objectName,
  type OutgoingMessage,
  type PutOptions,
  putOptionBits,
  type QueueManagerIdentity,
  ReasonCode
} from "@resilient-mq/core"
import { reasonOf, RetryPolicy } from "@resilient-mq/retry"
import { Cause, Clock, Context, Duration, Effect, Exit, Option, PubSub, Semaphore, Stream } from "effect"
import {
  BatchTooLarge,
  OutcomeUnknown,
  OutsideSyncpoint,
  type PoisonMessage,
  ReconnectIncompatible,
  UnitBackedOut
} from "../Errors.ts"
import type {
  RunError,
  RunOptions,
  Transaction,
  TransactionCallError,
  TransactionEvent,
  TransactionGuardOptions,
  TransactionPutOptions
} from "../TransactionGuard.ts"
import { TransactionGuard } from "../TransactionGuard.ts"
import { hex } from "./format.ts"
import { inquireQueueManager } from "./inquire.ts"
import { type Marker, makeLedger } from "./ledger.ts"
import { makeMetrics } from "./metrics.ts"
import { makePoison, type Poison, poisonError } from "./poison.ts"

/** The guards whose unit the current fiber runs in: a unit that runs a unit of its own guard would wait forever. */
const InsideUnit = Context.Reference<ReadonlySet<symbol>>("@resilient-mq/transaction/InsideUnit", {
  defaultValue: () => new Set()
})

/** What the guard learns of one attempt while the unit runs. */
interface AttemptState {
  /** Syncpoint calls made: a unit that made none has no marker to put. */
  work: number
  /** The first call that found the unit backed out by MQ: the attempt is lost whatever the unit made of it. */
  lost: MqError | undefined
  /** A poison message the unit got: moved aside whatever the unit made of it. */
  poison: Poison | undefined
}

/** How an attempt ended, when it did not fail the run. */
type Outcome<A, E> =
  | { readonly _tag: "Done"; readonly value: A }
  /** Backed out, nothing committed: `lost` to MQ (a break, 2003) or refused for a while (transient). */
  | { readonly _tag: "Rerun"; readonly lost: boolean; readonly error: unknown; readonly cause: Cause.Cause<E> }
  /** A poison message was moved aside (or was gone already): run again at once. */
  | { readonly _tag: "Moved"; readonly poison: PoisonMessage }

const BROWSE = MQGMO.BROWSE_FIRST | MQGMO.BROWSE_NEXT | MQGMO.BROWSE_MSG_UNDER_CURSOR
const LOGICAL_ORDER = MQPMO.LOGICAL_ORDER | MQGMO.LOGICAL_ORDER

// Why an attempt is backed out, for the event: how the unit ended, or what it went on after.
const reasonOfExit = (exit: Exit.Exit<unknown, unknown>, state: AttemptState): string =>
  Exit.isFailure(exit)
    ? Cause.hasInterrupts(exit.cause) ? "interrupted" : describeCause(Cause.squash(exit.cause))
    : state.poison !== undefined
    ? poisonError(state.poison).message
    : `the unit went on after ${describeCause(state.lost)}`

/** The options of a call that would not be in the unit, or that a reconnect cannot continue. */
const refusal = (
  verb: "MQPUT" | "MQPUT1" | "MQGET",
  object: string,
  bits: number,
  outside: number
): OutsideSyncpoint | ReconnectIncompatible | undefined =>
  (bits & LOGICAL_ORDER) !== 0
    ? new ReconnectIncompatible({ verb, object, option: "logical order (LOGICAL_ORDER)" })
    : (bits & outside) !== 0
    ? new OutsideSyncpoint({ verb, object })
    : undefined

export const makeGuard = Effect.fnUntraced(function*(options: TransactionGuardOptions) {
  const mq = yield* MqConnection
  const policy = yield* RetryPolicy
  const events = yield* PubSub.unbounded<TransactionEvent>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(events))
  const publish = (event: TransactionEvent) => PubSub.publish(events, event)
  const metrics = makeMetrics()
  const ledger = options.ledgerQueue === undefined ? undefined : yield* makeLedger(mq, options.ledgerQueue)
  const poison = makePoison({ mq, threshold: options.backoutThreshold, publish, metrics })
  // One connection has one unit of work: units take turns.
  const turn = yield* Semaphore.make(1)
  const self = Symbol("TransactionGuard")

  // Which failures leave nothing committed and may go better on a rerun: those of a unit MQ backed out
  // (or whose connection went), and transient refusals other than the syncpoint limit, which a rerun
  // of the same unit would only reach again.
  const rerunKind = (error: unknown): "lost" | "transient" | undefined => {
    const failureClass = policy.classify(error)
    if (failureClass === "backed-out" || failureClass === "connection") return "lost"
    if (failureClass === "transient" && reasonOf(error) !== ReasonCode.SYNCPOINT_LIMIT_REACHED) return "transient"
    return undefined
  }

  const backOut = (marker: Marker, attempt: number, reason: string) =>
    Effect.gen(function*() {
      // A backout that cannot be made is made by the queue manager: the connection is gone.
      yield* Effect.ignore(mq.backout)
      yield* metrics.backedOut
      yield* publish({ _tag: "BackedOut", unitId: marker.unitId, attempt, reason })
    })

  const makeTransaction = (state: AttemptState, marker: Marker, attempt: number): Transaction => {
    // A call that finds the unit backed out by MQ (2003) dooms the attempt.
    const watch = <A>(call: Effect.Effect<A, CallError>): Effect.Effect<A, CallError> =>
      Effect.tapError(call, (error) =>
        Effect.sync(() => {
          if (isMqError(error) && error.errorClass === "backed-out") state.lost ??= error
        }))

    const putWith = (
      verb: "MQPUT" | "MQPUT1",
      object: string,
      options: TransactionPutOptions,
      put: (options: PutOptions) => Effect.Effect<MessageDescriptor, CallError>
    ): Effect.Effect<MessageDescriptor, TransactionCallError> =>
      Effect.suspend((): Effect.Effect<MessageDescriptor, TransactionCallError> => {
        const refused = refusal(verb, object, putOptionBits(options), MQPMO.NO_SYNCPOINT)
        if (refused !== undefined) return Effect.fail(refused)
        state.work++
        return watch(put({ ...options, syncpoint: true }))
      })

    return {
      unitId: marker.unitId,
      attempt,
      put: (queue, message, options = {}) => putWith("MQPUT", queue.name, options, (o) => mq.put(queue, message, o)),
      put1: (object, message, options = {}) => putWith("MQPUT1", objectName(object), options, (o) => mq.put1(object, message, o)),
      get: (queue, options = {}) =>
        Effect.suspend((): Effect.Effect<Option.Option<Message>, TransactionCallError | PoisonMessage> => {
          const bits = getOptionBits(options).options
          const browse = (bits & BROWSE) !== 0
          // A browse changes nothing: it is not work of the unit and needs no syncpoint.
          const refused = refusal("MQGET", queue.name, bits, browse ? 0 : MQGMO.NO_SYNCPOINT | MQGMO.SYNCPOINT_IF_PERSISTENT)
          if (refused !== undefined) return Effect.fail(refused)
          if (browse) return mq.get(queue, options)
          state.work++
          return watch(mq.get(queue, { ...options, syncpoint: true })).pipe(
            Effect.flatMap((found): Effect.Effect<Option.Option<Message>, CallError | PoisonMessage> =>
              Option.isNone(found)
                ? Effect.succeed(found)
                : Effect.flatMap(poison.check(queue, found.value), (poisoned) => {
                  if (poisoned === undefined) return Effect.succeed(found)
                  state.poison ??= poisoned
                  return Effect.fail(poisonError(poisoned))
                })
            )
          )
        })
    }
  }

  // The connection as the unit sees it in its context: the same checks as the unit's handle, the
  // mistakes as defects, since this service's calls cannot fail with the guard's errors.
  const guardedConnection = (tx: Transaction): MqConnection["Service"] => {
    const inUnit = <A>(call: Effect.Effect<A, TransactionCallError | PoisonMessage>): Effect.Effect<A, CallError> =>
      Effect.catchTags(call, { OutsideSyncpoint: Effect.die, ReconnectIncompatible: Effect.die, PoisonMessage: Effect.die })
    const owned = (call: string) =>
      Effect.die(new Error(`${call} inside a guarded unit: the guard ends the unit, committing it when the unit succeeds`))
    const isSyncpointPut = (options: PutOptions | undefined) => (putOptionBits(options ?? {}) & MQPMO.SYNCPOINT) !== 0
    return MqConnection.of({
      ...mq,
      put: (queue, message, options) =>
        isSyncpointPut(options)
          ? inUnit(tx.put(queue, message, options))
          : Effect.die(new OutsideSyncpoint({ verb: "MQPUT", object: queue.name })),
      put1: (object, message, options) =>
        isSyncpointPut(options)
          ? inUnit(tx.put1(object, message, options))
          : Effect.die(new OutsideSyncpoint({ verb: "MQPUT1", object: objectName(object) })),
      get: (queue, options) =>
        (getOptionBits(options ?? {}).options & (MQGMO.SYNCPOINT | BROWSE)) !== 0
          ? inUnit(tx.get(queue, options))
          : Effect.die(new OutsideSyncpoint({ verb: "MQGET", object: queue.name })),
      consume: (queue) => Stream.die(new OutsideSyncpoint({ verb: "MQGET", object: queue.name })),
      consumeWith: () => Stream.die(new Error("MqConnection.consumeWith inside a guarded unit: it runs units of work of its own")),
      commit: owned("MqConnection.commit"),
      backout: owned("MqConnection.backout")
    })
  }

  // The unit committed: its marker goes (a marker left by a failed trim only takes a little room).
  const settled = (marker: Marker, attempt: number, marked: boolean) =>
    Effect.gen(function*() {
      if (marked && ledger !== undefined) {
        yield* ledger.trim(marker).pipe(
          Effect.catch((error) =>
            Effect.logWarning(`the ledger marker of unit ${marker.unitId} stays on ${ledger.queue}: ${error.message}`, error)
          )
        )
      }
      yield* metrics.committed
      yield* publish({ _tag: "Committed", unitId: marker.unitId, attempt })
    })

  const unresolved = (marker: Marker, why: string, cause: unknown) =>
    Effect.gen(function*() {
      yield* metrics.outcome("unresolved")
      yield* publish({ _tag: "OutcomeUnresolved", unitId: marker.unitId, reason: why })
      return yield* new OutcomeUnknown({ unitId: marker.unitId, why, cause })
    })

  /**
   * Ends an attempt whose unit succeeded: its marker (when it made calls and a ledger is configured),
   * the commit, and, when the commit's outcome is unknown, the ledger's verdict.
   */
  const finish = <A, E>(
    value: A,
    state: AttemptState,
    marker: Marker,
    attempt: number,
    restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>
  ): Effect.Effect<Outcome<A, E | RunError>, RunError> =>
    Effect.gen(function*() {
      const marked = ledger !== undefined && state.work > 0
      let ranOn: QueueManagerIdentity | undefined
      if (ledger !== undefined && marked) {
        const markedOn = yield* Effect.exit(restore(Effect.andThen(ledger.mark(marker), mq.queueManager)))
        if (Exit.isFailure(markedOn)) {
          yield* backOut(marker, attempt, describeCause(Cause.squash(markedOn.cause)))
          const error = Option.getOrUndefined(Cause.findErrorOption(markedOn.cause))
          const kind = rerunKind(error)
          if (kind === undefined) return yield* Effect.failCause(markedOn.cause)
          return { _tag: "Rerun", lost: kind === "lost", error, cause: markedOn.cause }
        }
        ranOn = markedOn.value
      }
      const committed = yield* Effect.exit(mq.commit)
      if (Exit.isSuccess(committed)) {
        yield* restore(settled(marker, attempt, marked))
        return { _tag: "Done", value }
      }
      const error = Option.getOrUndefined(Cause.findErrorOption(committed.cause))
      if (isMqError(error) && error.errorClass === "backed-out") {
        yield* metrics.backedOut
        yield* publish({ _tag: "BackedOut", unitId: marker.unitId, attempt, reason: error.message })
        return { _tag: "Rerun", lost: true, error, cause: committed.cause }
      }
      if (!isMqError(error) || error.errorClass !== "outcome-unknown") {
        // Not committed (the connection failed for good, the call was refused): what is left is backed out.
        yield* backOut(marker, attempt, describeCause(Cause.squash(committed.cause)))
        return yield* Effect.failCause(committed.cause)
      }
      if (ledger === undefined || ranOn === undefined) {
        return yield* unresolved(
          marker,
          ledger === undefined
            ? "no ledger queue is configured to resolve it"
            : "the unit made no call through the guard, so it put no marker",
          error
        )
      }
      const verdict = yield* restore(ledger.resolve(marker, ranOn))
      switch (verdict._tag) {
        case "Committed":
          yield* metrics.outcome("committed")
          yield* publish({ _tag: "OutcomeResolved", unitId: marker.unitId, outcome: "committed" })
          yield* restore(settled(marker, attempt, true))
          return { _tag: "Done", value }
        case "BackedOut":
          yield* metrics.outcome("backed-out")
          yield* publish({ _tag: "OutcomeResolved", unitId: marker.unitId, outcome: "backed-out" })
          yield* metrics.backedOut
          yield* publish({ _tag: "BackedOut", unitId: marker.unitId, attempt, reason: error.message })
          return { _tag: "Rerun", lost: true, error, cause: committed.cause }
        case "Unresolved":
          return yield* unresolved(
            marker,
            verdict.cause === undefined ? verdict.why : `${verdict.why}: ${describeCause(verdict.cause)}`,
            error
          )
      }
    })

  /** Moves a poison message aside after its unit was backed out; a move cut off runs the unit again. */
  const moveAside = <A, E>(poisoned: Poison): Effect.Effect<Outcome<A, E | RunError>, PoisonMessage> =>
    poison.move(poisoned).pipe(
      Effect.as<Outcome<A, E | RunError>>({ _tag: "Moved", poison: poisonError(poisoned) }),
      Effect.catch((error): Effect.Effect<Outcome<A, E | RunError>, PoisonMessage> => {
        if (error._tag === "PoisonMessage") return Effect.fail(error)
        // Cut off or refused for a while: the message is on its queue or already moved; the rerun sees which.
        const kind = isMqError(error) && error.errorClass === "outcome-unknown" ? "lost" : rerunKind(error)
        return kind === undefined
          ? Effect.fail(poisonError(poisoned, error))
          : Effect.succeed({ _tag: "Rerun", lost: kind === "lost", error, cause: Cause.fail(error) })
      })
    )

  /** One attempt: the unit, then its commit (and its resolution), or its backout. */
  const attemptOnce = <A, E, R>(
    unit: (tx: Transaction) => Effect.Effect<A, E, R>,
    marker: Marker,
    attempt: number,
    enclosing: ReadonlySet<symbol>
  ): Effect.Effect<Outcome<A, E | RunError>, E | RunError, Exclude<R, MqConnection>> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const state: AttemptState = { work: 0, lost: undefined, poison: undefined }
        const tx = makeTransaction(state, marker, attempt)
        const exit = yield* Effect.exit(restore(unit(tx).pipe(
          Effect.provideService(MqConnection, guardedConnection(tx)),
          Effect.provideService(InsideUnit, new Set([...enclosing, self]))
        )))
        if (Exit.isSuccess(exit) && state.lost === undefined && state.poison === undefined) {
          return yield* finish<A, E>(exit.value, state, marker, attempt, restore)
        }
        yield* backOut(marker, attempt, reasonOfExit(exit, state))
        if (Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause)) return yield* Effect.failCause(exit.cause)
        // Before defects: through the connection in context, a poison message is one.
        if (state.poison !== undefined) return yield* restore(moveAside<A, E>(state.poison))
        if (Exit.isFailure(exit) && Cause.hasDies(exit.cause)) return yield* Effect.failCause(exit.cause)
        if (state.lost !== undefined) {
          return { _tag: "Rerun", lost: true, error: state.lost, cause: Cause.fail(state.lost) }
        }
        // The unit failed with an error of its own, or of a call (a unit that succeeded got here only
        // with a loss or a poison message, both settled above).
        const cause = (exit as Exit.Failure<A, E>).cause
        const error = Option.getOrUndefined(Cause.findErrorOption(cause))
        const kind = rerunKind(error)
        if (kind === undefined) return yield* Effect.failCause(cause)
        return { _tag: "Rerun", lost: kind === "lost", error, cause }
      })
    )

  const run = <A, E, R>(
    unit: (tx: Transaction) => Effect.Effect<A, E, R>,
    runOptions?: RunOptions
  ): Effect.Effect<A, E | RunError, Exclude<R, MqConnection>> =>
    Effect.gen(function*() {
      const enclosing = yield* InsideUnit
      if (enclosing.has(self)) {
        return yield* Effect.die(
          new Error("TransactionGuard.run inside a unit of the same guard: units do not nest (the inner one would wait for the outer forever)")
        )
      }
      const rerun = runOptions?.rerun ?? true
      const correlId = globalThis.crypto.getRandomValues(new Uint8Array(24))
      const marker: Marker = { unitId: hex(correlId), correlId }
      let failures = 0
      let firstFailure: number | undefined
      for (let attempt = 1;; attempt++) {
        const outcome = yield* turn.withPermit(attemptOnce(unit, marker, attempt, enclosing))
        if (outcome._tag === "Done") return outcome.value
        const reason = outcome._tag === "Moved" ? outcome.poison : outcome.error
        const notLost = outcome._tag === "Rerun" && !outcome.lost
        if (!rerun) {
          return yield* notLost
            ? Effect.failCause(outcome.cause)
            : Effect.fail(new UnitBackedOut({ unitId: marker.unitId, attempts: attempt, why: "not-rerun", cause: reason }))
        }
        let delay = Duration.zero
        if (outcome._tag === "Rerun") {
          const now = yield* Clock.currentTimeMillis
          firstFailure ??= now
          failures++
          // A unit backed out by MQ runs again under the connection backoff: the break or the backout
          // is the connection's trouble, and its deadline bounds how long the unit keeps trying.
          const failure = outcome.lost
            ? { errorClass: "connection" as const, reason: reasonOf(outcome.error) }
            : outcome.error
          const decision = yield* policy.decide(failure, { failures, elapsed: now - firstFailure })
          if (decision._tag === "GiveUp") {
            return yield* notLost
              ? Effect.failCause(outcome.cause)
              : Effect.fail(new UnitBackedOut({ unitId: marker.unitId, attempts: attempt, why: decision.why, cause: reason }))
          }
          delay = decision.delay
        }
        yield* metrics.rerun
        yield* publish({ _tag: "Rerun", unitId: marker.unitId, attempt: attempt + 1, delay, reason: describeCause(reason) })
        yield* Effect.sleep(delay)
      }
    }).pipe(Effect.withSpan("TransactionGuard.run"))

  // MAXUMSGS of the queue manager, for the error of a batch that exceeds it.
  const syncpointLimit = inquireQueueManager(mq, ["MaxUncommittedMsgs"]).pipe(
    Effect.map((a) => a.MaxUncommittedMsgs),
    Effect.option
  )

  const putBatch = (queue: MqObject, messages: ReadonlyArray<OutgoingMessage>, putOptions?: TransactionPutOptions) =>
    run((tx) => Effect.forEach(messages, (message) => tx.put(queue, message, putOptions))).pipe(
      Effect.catchIf(
        (error): error is MqError => isMqError(error) && error.reason === ReasonCode.SYNCPOINT_LIMIT_REACHED,
        (cause) =>
          Effect.flatMap(syncpointLimit, (limit) =>
            Effect.fail(
              new BatchTooLarge({
                queue: queue.name,
                size: messages.length,
                ...(Option.isSome(limit) ? { limit: limit.value } : {}),
                cause
              })
            ))
      ),
      Effect.withSpan("TransactionGuard.putBatch")
    )

  return TransactionGuard.of({ run, putBatch, events: Stream.fromPubSub(events) })
})
