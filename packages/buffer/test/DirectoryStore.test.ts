import { fileURLToPath } from "node:url"
import { suite } from "../src/testing.ts"
import { layerDirectory } from "./support/DirectoryStore.ts"

// The suite's restart and crash cases need a durable store: this package's plain one (test support).
suite("a plain durable store (one file per envelope)", {
  layer: layerDirectory,
  durable: true,
  crash: { childModule: fileURLToPath(new URL("./support/directoryCrashChild.ts", import.meta.url)) }
})
