import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // The suite's cases fail queue managers over and wait for reconnects on the real clock: on a
    // loaded 2-core machine that takes time.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ["test/**/*.test.ts"]
  }
})
