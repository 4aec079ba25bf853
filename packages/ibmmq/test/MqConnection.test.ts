import { resilienceSuite } from "@resilient-mq/core/testing"
import * as Emulator from "@resilient-mq/emulator"
import { Layer } from "effect"
import { afterAll } from "vitest"
import * as IbmMq from "../src/index.ts"
import { startServer } from "./support.ts"

// Two queue managers of one group in one mq-emulator process, reached through the real binding and
// the stand-in client library: the connection's breaks, stops and failovers are real socket closes.
const server = await startServer(["--qmgr", "QM1", "--qmgr", "QM2", "--group", "QMGROUP"])
afterAll(() => server.stop())

const channel = { channel: "DEV.APP.SVRCONN", connectionName: server.connectionName }

resilienceSuite(
  "MqConnection through the ibmmq binding and mq-emulator",
  Layer.mergeAll(IbmMq.layer, Emulator.layerClient({ port: server.port })),
  {
    queueManager: "QM1",
    connect: { queueManager: "QM1", ...channel },
    group: { members: ["QM1", "QM2"], connect: { queueManager: "*QMGROUP", ...channel } }
  }
)
