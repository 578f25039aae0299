import { afterAll } from "vitest";
import { killAllRuntimes } from "./helpers/runtime.js";
import { cleanupProjects } from "./helpers/project.js";

// Runs after each test file's own afterAll hooks: nothing a file started outlives it.
afterAll(() => {
  killAllRuntimes();
  cleanupProjects();
});
