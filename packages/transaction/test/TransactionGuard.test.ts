import * as Emulator from "@resilient-mq/emulator"
import { suite } from "../src/testing.ts"

suite(
  "TransactionGuard on the in-process emulator",
  // A small MAXUMSGS keeps the batch case quick.
  Emulator.layer({ queueManagers: [{ name: "QM1", maxUncommittedMessages: 200 }] }),
  { queueManager: "QM1", connect: { queueManager: "QM1" } }
)
