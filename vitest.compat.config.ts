import { defineConfig } from "vitest/config";

// The compatibility suite (npm run test:compat): the same scenarios against
// `restate-dev up` and against a real restate-server running the production build.
export default defineConfig({
  test: {
    include: ["compat/**/*.test.ts"],
    setupFiles: ["compat/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts its own targets (a runtime, or a restate-server and a service): two files at a time fit two cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
