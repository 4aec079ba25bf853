import { resilienceSuite } from "@resilient-mq/core/testing"
import * as Emulator from "../src/index.ts"

resilienceSuite(
  "MqConnection on the in-process emulator",
  Emulator.layer({ queueManagers: [{ name: "QM1", group: "QMGROUP" }, { name: "QM2", group: "QMGROUP" }] }),
  {
    queueManager: "QM1",
    connect: { queueManager: "QM1" },
    group: { members: ["QM1", "QM2"], connect: { queueManager: "*QMGROUP" } }
  }
)
