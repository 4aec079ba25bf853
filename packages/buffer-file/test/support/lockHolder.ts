// Opens the store over the folder given as its argument and holds it until killed, saying "ready"
// once open; or prints why it could not open it, as JSON.
import { Effect } from "effect"
import { layerFile } from "../../src/index.ts"

const directory = process.argv[2]!
Effect.runPromise(
  Effect.sync(() => process.stdout.write("ready\n")).pipe(
    Effect.andThen(Effect.never),
    Effect.provide(layerFile({ directory })),
    Effect.catch((error) => Effect.sync(() => process.stdout.write(`${JSON.stringify(error)}\n`)))
  )
)
