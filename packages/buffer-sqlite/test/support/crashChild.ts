// Run by the conformance suite's crash case, with the store's folder as its argument.
import { runCrashChild } from "@resilient-mq/buffer/testing"
import { storeIn } from "./store.ts"

runCrashChild(storeIn)
