/**
 * The `BufferStore` conformance suite: the cases every store must pass, run from a test file of the
 * store with `suite`. A store is given as a layer over a location (a folder, a file, a key prefix),
 * so that the suite can open a second store over the same data: that is a restart. Durable stores
 * also run the crash case, which needs a tiny child module that calls `runCrashChild`:
 *
 * ```ts
 * // test/crashChild.ts
 * import { runCrashChild } from "@resilient-mq/buffer/testing"
 * import { layerFile } from "../src/index.ts"
 * runCrashChild((directory) => layerFile({ directory }))
 *
 * // test/FileBufferStore.test.ts
 * import { suite } from "@resilient-mq/buffer/testing"
 * suite("file", {
 *   layer: (directory) => layerFile({ directory }),
 *   durable: true,
 *   crash: { childModule: fileURLToPath(new URL("./crashChild.ts", import.meta.url)) }
 * })
 * ```
 */
import { describe } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, type Scope } from "effect"
import type { BufferStore } from "./BufferStore.ts"
import { basicCases } from "./internal/suite/basics.ts"
import { capacityCases } from "./internal/suite/capacity.ts"
import { crashCases } from "./internal/suite/crash.ts"
import type { Target } from "./internal/suite/helpers.ts"
import { restartCases } from "./internal/suite/restart.ts"
import { volumeCases } from "./internal/suite/volume.ts"

export { runCrashChild } from "./internal/suite/crash.ts"

/** The store under test, and what the suite may do with it. */
export interface SuiteOptions {
  /** The store over a location; called again with the same location, a new store over the same data. */
  readonly layer: (location: string) => Layer.Layer<BufferStore, unknown>
  /** A fresh location for each case, cleaned up with the scope. Default: `temporaryDirectory`. */
  readonly location?: Effect.Effect<string, never, Scope.Scope>
  /** Whether what an append returned survives the process: registers the restart and crash cases. */
  readonly durable: boolean
  /**
   * The crash case (durable stores): `childModule` is run by the test's runtime (`node`, or `deno run
   * -A`) with the location as its argument, and calls `runCrashChild` with the same layer.
   */
  readonly crash?: {
    readonly childModule: string
    /** Kills per case; default 5. */
    readonly rounds?: number
  }
  /** The time each case may take, in milliseconds; default 30,000 (the crash case at least 120,000). */
  readonly timeout?: number
}

/** A fresh temporary directory, removed when the scope closes. */
export const temporaryDirectory: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "resilient-mq-buffer-"))),
  (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
)

/**
 * Registers the conformance cases under `describe(name)`: order per destination, independent
 * destinations, take and acknowledge, unknown ids, depth, destinations, dead letters, capacity with
 * each overflow policy (through `withCapacity`), concurrent producers and 4 MiB bodies; for durable
 * stores, restart, and the crash case when `crash` is given. Cases that do not apply are not
 * registered, and the describe name says so.
 */
export const suite = (name: string, options: SuiteOptions): void => {
  const target: Target = {
    layer: options.layer,
    location: options.location ?? temporaryDirectory,
    timeout: options.timeout ?? 30_000
  }
  const left = !options.durable
    ? " (not durable: no restart or crash case)"
    : options.crash === undefined
    ? " (no crash child given: no crash case)"
    : ""
  describe(`${name}${left}`, () => {
    basicCases(target)
    capacityCases(target)
    volumeCases(target, options.durable)
    if (options.durable) restartCases(target)
    if (options.durable && options.crash !== undefined) {
      crashCases(target, options.crash.childModule, options.crash.rounds ?? 5)
    }
  })
}
