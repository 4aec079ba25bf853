// Takes the drain lease of a destination and keeps it until killed: a drainer that dies holding it.
// Arguments: the location (port/prefix), the destination, the lease in milliseconds.
import { BufferStore } from "@resilient-mq/buffer"
import { Effect } from "effect"
import { storeAt } from "./stores.ts"

const [location, destination, lease] = process.argv.slice(2)
if (location === undefined || destination === undefined || lease === undefined) {
  process.stderr.write("usage: leaseHolder.ts <location> <destination> <lease ms>\n")
  process.exit(2)
}
const holdForever = Effect.gen(function*() {
  const store = yield* BufferStore
  const taken = yield* store.take(destination, 1)
  process.stdout.write(taken.length > 0 ? "held\n" : "nothing to take\n")
  return yield* Effect.never
})
Effect.runPromise(Effect.provide(holdForever, storeAt(location, { lease: Number(lease) }))).catch((error: unknown) => {
  process.stderr.write(`the lease holder failed: ${String(error)}\n`)
  process.exit(1)
})
