import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // The thousand-unit case breaks connections while it runs: on a loaded 2-core machine that takes time.
    testTimeout: 30_000,
    include: ["test/**/*.test.ts"]
  }
})
