import * as Emulator from "@resilient-mq/emulator"
import { suite } from "../src/testing.ts"

suite(
  "request/reply on the in-process emulator",
  Emulator.layer({ queueManagers: [{ name: "QM1", group: "QMGROUP" }, { name: "QM2", group: "QMGROUP" }] }),
  { members: ["QM1", "QM2"], group: { queueManager: "*QMGROUP" }, member: (name) => ({ queueManager: name }) }
)
