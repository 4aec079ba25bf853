import type { CallError, Message, MqConnection, MqObject, ObjectDescriptor, OpenOptions } from "@resilient-mq/core"
import { Deferred, Effect, Scope, Stream } from "effect"

interface Dependencies {
  readonly mq: MqConnection["Service"]
  /** Every message a reply queue delivers, with the name of the queue. */
  readonly onReply: (queue: string, message: Message) => Effect.Effect<void>
}

// A consumer that failed for another reason than the connection going for good (2016 get inhibited,
// a deleted queue...) starts again after this long, so that replies are never left unread for good.
const restartDelay = "1 second"

/**
 * The reply queues and their consumers: one consumer per queue, whatever the number of requests,
 * opened on first use and kept, like the queue, as long as the layer. `MqConnection` reopens them and
 * restarts their consumers after every reconnect (a temporary dynamic queue is made again under its
 * name).
 */
export const makeReplyQueues = Effect.fnUntraced(function*(deps: Dependencies) {
  const { mq, onReply } = deps
  const scope = yield* Effect.scope
  const byName = new Map<string, Deferred.Deferred<string, CallError>>()

  const consume = (object: MqObject): Effect.Effect<void> =>
    mq.consume(object).pipe(
      Stream.runForEach((message) => onReply(object.name, message)),
      Effect.catch((error) =>
        // A connection gone for good fails the waiting requests by itself (ReconnectFailed).
        error._tag === "ConnectionUnavailable"
          ? Effect.void
          : Effect.logWarning(`the consumer of reply queue ${object.name} stopped, starting again: ${error.message}`).pipe(
            Effect.andThen(Effect.sleep(restartDelay)),
            Effect.andThen(Effect.suspend(() => consume(object)))
          )
      )
    )

  /** Opens a reply queue for the layer's lifetime and starts its consumer; the name it opened under. */
  const open = (descriptor: ObjectDescriptor, options: OpenOptions): Effect.Effect<string, CallError> =>
    Effect.gen(function*() {
      const object = yield* mq.open(descriptor, options).pipe(Scope.provide(scope))
      yield* Effect.forkIn(consume(object), scope)
      return object.name
    })

  /**
   * A local queue named by a request, opened once. The open runs in a fiber of the layer that waiters
   * join: a request that gives up (its timeout) must not leave the queue half opened for the next.
   */
  const named = (queue: string): Effect.Effect<string, CallError> =>
    Effect.suspend(() => {
      const known = byName.get(queue)
      if (known !== undefined) return Deferred.await(known)
      const done = Deferred.makeUnsafe<string, CallError>()
      byName.set(queue, done)
      const opening = open({ type: "queue", name: queue }, { input: "shared" }).pipe(
        // A failed open is tried again by the next request that names the queue.
        Effect.onError(() => Effect.sync(() => byName.delete(queue))),
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(done, exit))
      )
      return Effect.andThen(Effect.forkIn(opening, scope), Deferred.await(done))
    })

  return { open, named }
})
