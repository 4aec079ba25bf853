import * as Emulator from "@resilient-mq/emulator"
import { suite } from "@resilient-mq/transaction/testing"
import { Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import * as IbmMq from "../src/index.ts"
import { startServer } from "./support.ts"

// QM1 with a small MAXUMSGS, so that the batch case exceeds it quickly, served by one mq-emulator
// process and reached through the real binding and the stand-in client library: the guard's breaks
// are real socket closes, its commit faults real answers of the library.
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "resilient-mq-transaction-"))
const config = path.join(directory, "queue-managers.json")
fs.writeFileSync(config, JSON.stringify({ queueManagers: [{ name: "QM1", maxUncommittedMessages: 200 }] }))
const server = await startServer(["--config", config])
afterAll(async () => {
  await server.stop()
  fs.rmSync(directory, { recursive: true, force: true })
})

suite(
  "TransactionGuard through the ibmmq binding and mq-emulator",
  Layer.mergeAll(IbmMq.layer, Emulator.layerClient({ port: server.port })),
  {
    queueManager: "QM1",
    connect: { queueManager: "QM1", channel: "DEV.APP.SVRCONN", connectionName: server.connectionName }
  }
)
