import { suite } from "@resilient-mq/core/testing"
import * as Emulator from "../src/index.ts"

suite("in-process emulator", Emulator.layer(), { queueManager: "QM1", connect: { queueManager: "QM1" } })
