// Run by the conformance suite's crash case, with the store's folder as its argument.
import { runCrashChild } from "@resilient-mq/buffer/testing"
import { layerFile } from "../../src/index.ts"

runCrashChild((directory) => layerFile({ directory, segmentBytes: 4096, syncOnThreadPool: true }))
