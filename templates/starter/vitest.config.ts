import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The tests start the runtime (`restate-dev up`) in beforeAll: give it time.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
