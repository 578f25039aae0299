/**
 * The inspector's public surface, for `restate-dev inspect` (run.tsx) and the
 * `up` dashboard, which shows the same screens as its detail view.
 */
export { Inspector, type InspectorProps } from "./Inspector.js";
export { runInspector, type RunOptions } from "./run.js";
export { httpBackend, clientBackend, type InspectorBackend, type BackendResponse } from "./backend.js";
export type { Screen } from "./state.js";
