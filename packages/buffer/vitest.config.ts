import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // Tests here start processes and sync to disk: on a loaded 2-core machine that takes time.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ["test/**/*.test.ts"]
  }
})
