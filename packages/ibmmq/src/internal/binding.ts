import { CompletionCode, mqError, type MqError, type Verb } from "@resilient-mq/core"
import { Effect } from "effect"
import type { MQError } from "ibmmq"
import { IbmMqUnavailable } from "../IbmMqUnavailable.ts"

/** The `ibmmq` module. It is imported when the layer is built, never when this package is. */
export type Binding = typeof import("ibmmq")

// The binding loads the MQ client library while it is imported and throws what dlopen() said as a
// plain `{ message }` object (not an Error) when it cannot; a missing package or native build throws
// an Error of its own.
const isClientLibraryFailure = (cause: unknown): boolean =>
  typeof cause === "object" && cause !== null &&
  (!(cause instanceof Error) || /libmqm|mqm\.dll/.test(cause.message))

/** Imports the binding, which loads the MQ client library. */
export const loadBinding: Effect.Effect<Binding, IbmMqUnavailable> = Effect.tryPromise({
  try: () => import("ibmmq"),
  catch: (cause) =>
    new IbmMqUnavailable({ missing: isClientLibraryFailure(cause) ? "client-library" : "binding", cause })
})

/** What an error names besides the verb and the reason. */
export interface Where {
  readonly object?: string | undefined
  readonly queueManager?: string | undefined
}

/** The `MqError` for a binding `MQError`: MQ's codes, the verb as MQ names it, the original as cause. */
export const fromBinding = (verb: Verb, error: MQError, where: Where): MqError =>
  mqError(verb, error.mqrc, {
    ...where,
    completionCode: error.mqcc === CompletionCode.WARNING ? CompletionCode.WARNING : CompletionCode.FAILED,
    cause: error
  })

/** The callback every binding verb reports through; `null` (or nothing) for success. */
export type Done<A> = (error: MQError | null | undefined, value: A) => void

/**
 * Runs a binding verb that reports through a callback, asynchronously or (for the verbs the binding
 * only offers synchronously) before it returns. MQ cannot cancel a call once made, so the call is
 * not interruptible: an interrupted fiber would lose the handle or the descriptor it returns.
 * Exceptions the binding throws for arguments it refuses are defects.
 */
export const invoke = <A>(verb: Verb, where: Where, run: (done: Done<A>) => void): Effect.Effect<A, MqError> =>
  Effect.uninterruptible(Effect.callback<A, MqError>((resume) => {
    try {
      run((error, value) =>
        resume(error == null ? Effect.succeed(value) : Effect.fail(fromBinding(verb, error, where)))
      )
    } catch (defect) {
      resume(Effect.die(defect))
    }
  }))

/** Runs a verb and ignores how it ended: for releasing what may already be gone. */
export const quietly = <A>(effect: Effect.Effect<A, MqError>): Effect.Effect<void> =>
  Effect.asVoid(Effect.exit(effect))
