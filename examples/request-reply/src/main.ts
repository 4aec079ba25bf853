// The failure reply affinity is for, on an embedded queue manager group: a client puts a request on
// QM1, naming QM1 as where the reply must go; QM1 ends and the connection moves to QM2 before any
// reply. The scenario runs under each policy (`fail`, `resend`, `pin`), then once more with a move no
// event reports (the MQ client's own reconnect), which the checker finds by asking the QMID.
import {
  layer as connectionLayer,
  type Message,
  MqConnection,
  QueueManagerControl,
  type ReconnectMode
} from "@resilient-mq/core"
import * as Emulator from "@resilient-mq/emulator"
import {
  layer as replyAffinity,
  type OrphanPolicy,
  ReplyAffinity,
  type ReplyAffinityEvent,
  type ReplyAffinityOptions,
  Responder
} from "@resilient-mq/reply-affinity"
import * as Retry from "@resilient-mq/retry"
import { Cause, Context, Effect, Exit, Fiber, Layer, Schedule, Stream } from "effect"

const REQUESTS = "APP.REQUESTS"
const REPLIES = "APP.REPLIES"

const queueManagers = Emulator.layer({
  queueManagers: ["QM1", "QM2"].map((name) => ({ name, group: "QMGROUP", queues: { [REQUESTS]: {}, [REPLIES]: {} } }))
})

const retry = Retry.layer({ connection: { initialDelay: "50 millis", maxDelay: "500 millis", deadline: "10 seconds" } })

export const describeEvent = (event: ReplyAffinityEvent): string => {
  switch (event._tag) {
    case "QueueManagerChanged":
      return `the connection is on ${event.to.name} now, not ${event.from.name} (${
        event.detectedBy === "reconnect" ? "its reconnect said so" : "no event said so: the QMID inquiry found it"
      })`
    case "Orphaned":
      return `the request's reply goes to ${event.sentThrough.name}: the request fails now`
    case "Resent":
      return `the request is sent again through ${event.to.name}, replies to ${event.to.name}`
    case "StrayReply":
      return `a ${event.stray.reason} reply on ${event.stray.queue}`
    case "BlankReplyToQueueManager":
      return `a request names no reply-to queue manager while connected through ${event.connection}`
  }
}

const text = (message: Message) => new TextDecoder().decode(message.body)

/** How one scenario moves the connection away from the queue manager the request went through. */
type Move = "failover" | "silent"

export interface Outcome {
  readonly scenario: string
  /** `answered`, or the tag of the error the request failed with. */
  readonly result: string
}

/** One request, one move of the connection, under one policy. */
const scenario = (policy: OrphanPolicy, move: Move, print: (line: string) => Effect.Effect<void>) => {
  const name = move === "silent" ? `${policy} (a move no event reports)` : policy
  const say = (line: string) => print(`[${name}] ${line}`)
  const reconnect: ReconnectMode = policy === "pin" ? "same" : "any"
  const options: ReplyAffinityOptions = { replyQueue: REPLIES, policy, timeout: "20 seconds", checkInterval: "200 millis" }
  return Effect.gen(function*() {
    const control = yield* QueueManagerControl
    // The service answers on QM2 only: its instance on QM1 is down.
    const service = yield* Layer.build(connectionLayer({ connect: { queueManager: "QM2" } }))
    yield* Effect.forkScoped(
      Responder.serve(REQUESTS, (request) => Effect.succeed({ body: `QM2 answers "${text(request)}"` })).pipe(
        Effect.provideContext(service)
      )
    )
    const client = yield* Layer.build(connectionLayer({ connect: { queueManager: "*QMGROUP" }, reconnect }))
    const requester = Context.get(
      yield* Layer.build(replyAffinity(options)).pipe(Effect.provideContext(client)),
      ReplyAffinity
    )
    const seen: Array<ReplyAffinityEvent["_tag"]> = []
    yield* Effect.forkScoped(Stream.runForEach(requester.events, (event) =>
      Effect.andThen(say(`event: ${describeEvent(event)}`), Effect.sync(() => void seen.push(event._tag)))))
    const mq = Context.get(client, MqConnection)
    const first = yield* mq.queueManager
    const requests = yield* mq.open({ type: "queue", name: REQUESTS }, { inquire: true })
    const reply = yield* Effect.forkScoped(Effect.exit(requester.request(REQUESTS, { body: "what time is it?" })))
    // Once the request is on the first queue manager, where nobody answers it.
    yield* Effect.repeat(mq.inquire(requests, ["CurrentQDepth"]), {
      until: (depth) => depth.CurrentQDepth === 1,
      schedule: Schedule.spaced("10 millis")
    })
    yield* say(`request sent through ${first.name}, which names ${first.name} as where the reply goes`)
    if (move === "failover") {
      yield* say(`${first.name} ends (endmqm -i -r): the group's other queue manager takes over`)
      yield* control.stop(first.name, { mode: "immediate", reconnect: true })
    } else {
      yield* say(`the MQ client's own reconnect moves the connection to QM2, and tells nobody`)
      yield* control.moveConnections(first.name, "QM2")
    }
    const exit = yield* Fiber.join(reply)
    // Events reach the printer a moment after they happen: wait for the one that tells what the
    // policy did (`pin` does nothing: the connection failed instead of moving).
    const done = policy === "resend" ? "Resent" : policy === "fail" ? "Orphaned" : undefined
    if (done !== undefined) {
      yield* Effect.sync(() => seen.includes(done)).pipe(
        Effect.repeat({ until: (printed) => printed, schedule: Schedule.spaced("10 millis") })
      )
    }
    if (Exit.isSuccess(exit)) {
      yield* say(`reply: ${text(exit.value)}`)
      return { scenario: name, result: "answered" }
    }
    const error = Cause.squash(exit.cause)
    const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "defect"
    yield* say(`the request failed (${tag}): ${error instanceof Error ? error.message : String(error)}`)
    return { scenario: name, result: tag }
  }).pipe(Effect.scoped, Effect.provide(Layer.merge(queueManagers, retry)))
}

/** Runs every scenario, each on fresh queue managers; what became of each request. */
export const program = (print: (line: string) => Effect.Effect<void>) =>
  Effect.forEach(
    [
      ["fail", "failover"],
      ["resend", "failover"],
      ["pin", "failover"],
      ["fail", "silent"]
    ] as const,
    ([policy, move]) => Effect.tap(scenario(policy, move, print), () => print("")),
    { concurrency: 1 }
  )

if (import.meta.main) {
  await Effect.runPromise(program((line) => Effect.sync(() => console.log(line))))
}
