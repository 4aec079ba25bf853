// Child process of the binding benchmarks (the binding finds libmqm_r.so through LD_LIBRARY_PATH,
// read when a process starts): puts through @resilient-mq/ibmmq to a mq-emulator server and prints
// the rate as JSON.
import { Mqi } from "@resilient-mq/core"
import * as IbmMq from "@resilient-mq/ibmmq"
import { Effect } from "effect"

const [connectionName = "localhost(1414)", count = "5000"] = process.argv.slice(2)
const puts = Number(count)
const body = new Uint8Array(256).fill(0x61)

const program = Effect.gen(function*() {
  const mqi = yield* Mqi
  const hconn = yield* mqi.connect({ queueManager: "QM1", channel: "DEV.APP.SVRCONN", connectionName })
  const queue = yield* mqi.open(hconn, { type: "queue", name: "BENCH.PUT" }, { output: true })
  for (let i = 0; i < 200; i++) yield* mqi.put(queue, { body })
  const start = performance.now()
  for (let i = 0; i < puts; i++) yield* mqi.put(queue, { body })
  return (puts * 1000) / (performance.now() - start)
}).pipe(Effect.scoped, Effect.provide(IbmMq.layer))

console.log(JSON.stringify({ rate: await Effect.runPromise(program) }))
