import { suite } from "@resilient-mq/buffer/testing"
import { fileURLToPath } from "node:url"
import { layerFile } from "../src/index.ts"

suite("file", {
  layer: (directory) => layerFile({ directory }),
  durable: true,
  crash: { childModule: fileURLToPath(new URL("./support/crashChild.ts", import.meta.url)) }
})

// Small segments (many rolls and deletions under every case, a SIGKILL often lands on a roll) and
// the fsync on libuv's thread pool.
suite("file (4 KiB segments, fsync on the thread pool)", {
  layer: (directory) => layerFile({ directory, segmentBytes: 4096, syncOnThreadPool: true }),
  durable: true,
  crash: { childModule: fileURLToPath(new URL("./support/crashChildSmallSegments.ts", import.meta.url)) }
})
