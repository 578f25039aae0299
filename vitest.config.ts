import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Handlers imported into a test run in-process on restate-dev's SDK (restate-dev/testing),
  // as `restate-dev up` runs them: the same alias a project's vitest.config.ts sets.
  resolve: { alias: { "@restatedev/restate-sdk": fileURLToPath(new URL("./sdk/index.ts", import.meta.url)) } },
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
