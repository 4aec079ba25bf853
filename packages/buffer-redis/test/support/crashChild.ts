// Run by the conformance suite's crash case, with the location (port/prefix) as its argument.
import { runCrashChild } from "@resilient-mq/buffer/testing"
import { storeAt } from "./stores.ts"

runCrashChild((location) => storeAt(location))
