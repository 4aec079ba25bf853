import { fileURLToPath } from "node:url"
import { configDefaults, defineConfig } from "vitest/config"

// The ibmmq binding loads libmqm_r.so through the dynamic loader, which reads LD_LIBRARY_PATH when
// a process starts: test workers must be started with it. Vitest passes a project's `env` to the
// worker processes it starts (on Node and on Deno), so each project says which library its tests use.
const standIn = fileURLToPath(new URL("../emulator/native/build", import.meta.url))
const realQueueManager = "test/RealQueueManager.test.ts"

export default defineConfig({
  test: {
    // Every conformance group starts its own connections to a server process.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "emulator",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, realQueueManager],
          env: {
            LD_LIBRARY_PATH: [standIn, process.env["LD_LIBRARY_PATH"]].filter(Boolean).join(":"),
            // Otherwise the binding prefers IBM's redistributable client when npm install fetched it.
            MQIJS_PREFER_INSTALLED_LIBRARY: "1"
          }
        }
      },
      {
        // IBM's MQ client library, as the environment provides it.
        extends: true,
        test: { name: "real queue manager", include: [realQueueManager] }
      }
    ]
  }
})
