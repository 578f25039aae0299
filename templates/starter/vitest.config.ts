import { defineConfig } from "vitest/config";

export default defineConfig({
  // The tests run the services in-process with restate-dev/testing, on restate-dev's
  // SDK as `restate-dev up` runs them (the code still type-checks against the real SDK).
  resolve: { alias: { "@restatedev/restate-sdk": "restate-dev/sdk" } },
  test: {
    include: ["test/**/*.test.ts"],
  },
});
