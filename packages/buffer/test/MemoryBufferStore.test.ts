import { Effect } from "effect"
import { layerMemory } from "../src/index.ts"
import { suite } from "../src/testing.ts"

// Each case builds the layer once: a fresh, empty store. The location means nothing to it.
suite("memory", { layer: () => layerMemory(), location: Effect.succeed("memory"), durable: false })
