// Run by the crash case of the suite, with the store's folder as its argument.
import { runCrashChild } from "../../src/testing.ts"
import { layerDirectory } from "./DirectoryStore.ts"

runCrashChild(layerDirectory)
