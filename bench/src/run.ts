// `npm run bench`: every benchmark, each a ratio against a reference measured in the same run,
// written to bench/results.json.
import { Effect } from "effect"
import { writeFileSync } from "node:fs"
import { bindingPutRates } from "./binding.ts"
import { bufferedMemory, drainRate } from "./buffer.ts"
import { connectionPutRate, timeToFirstPut } from "./connection.ts"
import { fileStoreAppends } from "./fileStore.ts"
import { redisStoreAppends } from "./redis.ts"
import type { BenchResult } from "./Result.ts"
import { sqliteStoreAppends } from "./sqlite.ts"

const benchmarks: ReadonlyArray<Effect.Effect<BenchResult | ReadonlyArray<BenchResult>, unknown>> = [
  bindingPutRates(),
  connectionPutRate(),
  timeToFirstPut(),
  fileStoreAppends,
  sqliteStoreAppends,
  redisStoreAppends,
  drainRate(),
  bufferedMemory
]

const results: Array<BenchResult> = []
for (const benchmark of benchmarks) {
  for (const result of [await Effect.runPromise(benchmark)].flat()) {
    console.log(`${result.ratio >= result.target ? "ok  " : "FAIL"} ${result.name}: ${result.value} ${result.unit} vs ${result.baseline} (ratio ${result.ratio}, target ${result.target})`)
    results.push(result)
  }
}
writeFileSync(new URL("../results.json", import.meta.url), JSON.stringify(results, null, 2) + "\n")
