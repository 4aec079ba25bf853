import { describe, it } from "@effect/vitest"
import { type ConnectOptions, QueueManagerControl } from "@resilient-mq/core"
import { suite } from "@resilient-mq/core/testing"
import { Effect, Layer, Redacted } from "effect"
import { beforeEach } from "vitest"
import * as IbmMq from "../src/index.ts"

// The conformance suite against a queue manager named by the environment, through the MQ client
// library the environment provides (LD_LIBRARY_PATH, or the binding's redist folder): this file is
// its own vitest project, without the stand-in library.
const required = ["MQ_TEST_QMGR", "MQ_TEST_CONNAME", "MQ_TEST_CHANNEL"] as const
const missing = required.filter((name) => (process.env[name] ?? "") === "")

// The suite's cases that need nothing but the MQI. Every other case defines its own queues or
// inflicts faults through QueueManagerControl, which a real queue manager does not offer.
const needNoControl = new Set([
  "a connection reaches the named queue manager and reports a QMID",
  "the queue-manager object answers QMgrName and QMgrIdentifier as the connection reports them",
  "every connection to the same queue manager reports the same QMID",
  "begin fails on a client connection (2012, or 2018 for a shared handle)"
])

const unavailable = (operation: string) => () =>
  Effect.die(new Error(`QueueManagerControl.${operation} is not available against a real queue manager`))

const noControl = QueueManagerControl.of({
  defineQueue: unavailable("defineQueue"),
  deleteQueue: unavailable("deleteQueue"),
  defineTopic: unavailable("defineTopic"),
  breakConnections: unavailable("breakConnections"),
  moveConnections: unavailable("moveConnections"),
  stop: unavailable("stop"),
  start: unavailable("start"),
  restart: unavailable("restart"),
  failNext: unavailable("failNext"),
  delay: unavailable("delay"),
  refuseConnections: unavailable("refuseConnections"),
  clearFaults: unavailable("clearFaults")
})

if (missing.length > 0) {
  describe("real queue manager", () => {
    it("runs the conformance suite when the environment names a queue manager", (ctx) => {
      const reason = `real queue manager suite skipped: set ${required.join(", ")} (and optionally MQ_TEST_USER ` +
        `and MQ_TEST_PASSWORD) to run it; missing: ${missing.join(", ")}`
      console.info(reason)
      ctx.skip(reason)
    })
  })
} else {
  const env = (name: string): string | undefined => (process.env[name] ?? "") === "" ? undefined : process.env[name]
  const queueManager = env("MQ_TEST_QMGR") ?? ""
  const user = env("MQ_TEST_USER")
  const password = env("MQ_TEST_PASSWORD")
  const connect: ConnectOptions = {
    queueManager,
    channel: env("MQ_TEST_CHANNEL") ?? "",
    connectionName: env("MQ_TEST_CONNAME") ?? "",
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password: Redacted.make(password) })
  }

  beforeEach((ctx) => {
    if (!needNoControl.has(ctx.task.name)) {
      ctx.skip("needs QueueManagerControl, which a real queue manager does not offer")
    }
  })

  suite(`real queue manager ${queueManager}`, Layer.merge(IbmMq.layer, Layer.succeed(QueueManagerControl, noControl)), {
    queueManager,
    connect
  })
}
