import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start real runtimes and workers; two files at a time fit two cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
