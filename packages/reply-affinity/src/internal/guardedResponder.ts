import { isMqError, type Message, MqConnection, type MqObject } from "@resilient-mq/core"
// Types only: the transaction package is an optional peer, so nothing of it may be loaded at run time.
import type {
  OutsideSyncpoint,
  ReconnectIncompatible,
  Transaction,
  TransactionCallError,
  TransactionGuard
} from "@resilient-mq/transaction"
import { Data, type Duration, Effect, Option, Predicate } from "effect"
import { hex } from "./identifiers.ts"

/** A request that its handler, or the put of its reply, failed: its unit is backed out and it comes again. */
class Unanswered extends Data.TaggedError("Unanswered")<{ readonly request: Message; readonly cause: unknown }> {}

const isUnanswered = (error: unknown): error is Unanswered => error instanceof Unanswered

// What the guard does better with than the responder: a unit lost to MQ (a break, 2003) or refused for a
// while (2053 on the reply queue...) runs again under the retry policy; a connection gone for good ends
// `serve`. The rest (the handler's own errors, a reply refused for good, 2087 or 2085) is the request's.
const forTheGuard = (error: unknown): boolean =>
  (isMqError(error) && error.errorClass !== "permanent") || Predicate.isTagged(error, "ConnectionUnavailable")

// The responder asks for neither (no option of its calls takes them out of syncpoint or into logical order).
const isRefusedOption = (error: unknown): error is OutsideSyncpoint | ReconnectIncompatible =>
  Predicate.isTagged(error, "OutsideSyncpoint") || Predicate.isTagged(error, "ReconnectIncompatible")

const describe = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

/**
 * `Responder.serve` under a transaction guard: each request is got, handled and answered in one
 * guarded unit (`answer` makes the handler's reply through the unit's `put1`).
 */
export const serveGuarded = <E, R>(
  guard: TransactionGuard["Service"],
  queue: string,
  answer: (tx: Transaction, request: Message) => Effect.Effect<void, E | TransactionCallError, R>,
  wait: Duration.Input
) =>
  Effect.gen(function*() {
    const mq = yield* MqConnection
    const requests: MqObject = yield* mq.open({ type: "queue", name: queue }, { input: "shared", browse: true })

    const unit = (tx: Transaction) =>
      Effect.gen(function*() {
        // Objects are numbered per connection: a guard on another connection would get from whatever
        // object bears the request queue's number there. In a unit, the MqConnection in context is the
        // guard's connection, guarded: it has that connection's `state`.
        if ((yield* MqConnection).state !== mq.state) {
          return yield* Effect.die(
            new Error(
              `Responder.serve on ${queue}: the guard runs on another connection than the MqConnection serve was given; build the guard on the responder's connection`
            )
          )
        }
        const request = yield* tx.get(requests, { wait })
        // Taken by another responder since the browse, and none came within the wait.
        if (Option.isNone(request)) return
        yield* answer(tx, request.value).pipe(
          Effect.catchIf(
            (error) => !forTheGuard(error),
            (cause) => Effect.fail(new Unanswered({ request: request.value, cause }))
          )
        )
      })

    const serveOne = Effect.gen(function*() {
      // A request is awaited outside any unit: a unit that got nothing would still put its ledger
      // marker and commit, every `wait`, while the queue is empty. A browse takes nothing.
      const waiting = yield* mq.get(requests, { browse: "first", wait })
      if (Option.isNone(waiting)) return
      yield* guard.run(unit).pipe(
        Effect.catchIf(isUnanswered, ({ cause, request }) =>
          // Backed out, the request is next again, with a backout count one higher: the guard moves it
          // aside at the threshold. The pause keeps one that fails every time (no threshold) from spinning.
          Effect.andThen(
            Effect.logWarning(
              `the request ${hex(request.descriptor.msgId)} on ${queue} (backed out ${request.descriptor.backoutCount} time(s) before) is backed out and comes again: ${
                describe(cause)
              }`,
              ...(cause instanceof Error ? [cause] : [])
            ),
            Effect.sleep(wait)
          )),
        Effect.catchIf(isRefusedOption, Effect.die)
      )
    })

    return yield* Effect.forever(serveOne)
  }).pipe(Effect.scoped)
