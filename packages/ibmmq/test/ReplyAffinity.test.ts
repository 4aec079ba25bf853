import * as Emulator from "@resilient-mq/emulator"
import { suite } from "@resilient-mq/reply-affinity/testing"
import { Layer } from "effect"
import { afterAll } from "vitest"
import * as IbmMq from "../src/index.ts"
import { startServer } from "./support.ts"

// Two queue managers of one group in one mq-emulator process, reached through the real binding and
// the stand-in client library: failovers are real socket closes, and a move by the MQ client's own
// reconnect is one the binding does not report.
const server = await startServer(["--qmgr", "QM1", "--qmgr", "QM2", "--group", "QMGROUP"])
afterAll(() => server.stop())

const channel = { channel: "DEV.APP.SVRCONN", connectionName: server.connectionName }

suite(
  "request/reply through the ibmmq binding and mq-emulator",
  Layer.mergeAll(IbmMq.layer, Emulator.layerClient({ port: server.port })),
  {
    members: ["QM1", "QM2"],
    group: { queueManager: "*QMGROUP", ...channel },
    member: (name) => ({ queueManager: name, ...channel })
  }
)
