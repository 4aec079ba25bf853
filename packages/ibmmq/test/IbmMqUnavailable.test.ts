import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { runScript } from "./support.ts"

const fixture = fileURLToPath(new URL("./fixtures/buildLayer.ts", import.meta.url))

// Where the binding looks for libmqm_r.so besides LD_LIBRARY_PATH (lib/mqi.js, loadLibMulti).
const bindingFolder = dirname(createRequire(import.meta.url).resolve("ibmmq/package.json"))
const otherPlaces = [join(bindingFolder, "redist", "lib64"), "/opt/mqm/lib64", "/opt/mqm/lib64/compat", "/opt/mqm/lib"]

const Outcome = Schema.fromJsonString(Schema.Struct({
  built: Schema.Boolean,
  tag: Schema.optionalKey(Schema.String),
  message: Schema.optionalKey(Schema.String),
  missing: Schema.optionalKey(Schema.String),
  defect: Schema.optionalKey(Schema.String)
}))

describe("IbmMqUnavailable", () => {
  it("without the MQ client library the build fails with IbmMqUnavailable naming LD_LIBRARY_PATH", async (ctx) => {
    const installed = otherPlaces.find((folder) => existsSync(join(folder, "libmqm_r.so")))
    if (installed !== undefined) {
      return ctx.skip(`an MQ client library is installed in ${installed}, where the binding finds it anyway`)
    }
    const { LD_LIBRARY_PATH: _, ...withoutLibrary } = process.env
    const outcome = Schema.decodeUnknownSync(Outcome)((await runScript(fixture, withoutLibrary)).trim())
    if (outcome.built) return ctx.skip("the system's loader configuration (ld.so.cache) provides libmqm_r.so")
    assert.strictEqual(outcome.tag, "IbmMqUnavailable", `the build failed otherwise: ${outcome.defect}`)
    assert.strictEqual(outcome.missing, "client-library")
    assert.include(outcome.message, "LD_LIBRARY_PATH")
    assert.include(outcome.message, "redistributable client")
  }, 30_000)
})
