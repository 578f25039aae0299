/**
 * The admin API's response shapes (runtime/admin/README.md), as the CLI commands
 * and the inspector read them. The inspector renders these and nothing else.
 */

export type Encoding = "utf8" | "base64";

/** A result as the admin API shows it: a value, a failure, or empty. */
export type ResultView =
  | { value?: unknown; value_encoding?: Encoding }
  | { failure: { code: number; message: string; metadata?: Record<string, string> } }
  | { empty: true };

export interface LastFailure {
  code: number;
  message: string;
  relatedIndex?: number;
  relatedType?: string;
  relatedName?: string;
}

/** `GET /invocations` lists these, newest first. */
export interface InvocationSummary {
  id: string;
  target: string;
  service: string;
  handler: string;
  key: string | null;
  service_type?: string;
  handler_type?: string | null;
  status: string;
  completion_result: "success" | "failure" | null;
  completion_failure: { code: number; message: string } | null;
  idempotency_key?: string | null;
  /** Flow control: the scope it runs in and its limit key. */
  scope?: string | null;
  limit_key?: string | null;
  invoked_by?: "ingress" | "service";
  invoked_by_id: string | null;
  restarted_from: string | null;
  /** The deployment (build) its attempts run on; null before its first attempt. */
  pinned_deployment_id?: string | null;
  /** Failed attempts so far. */
  retry_count: number;
  next_retry_at: string | null;
  /** Running or suspended, awaiting a ctx.sleep: when the earliest one wakes up. */
  sleeping_until?: string | null;
  last_failure: LastFailure | null;
  created_at: string;
  modified_at?: string;
  scheduled_start_at?: string | null;
  running_at?: string | null;
  completed_at: string | null;
}

export interface JournalEntryView {
  index: number;
  type: string;
  name: string | null;
  completed: boolean;
  value?: unknown;
  value_encoding?: Encoding;
  result?: ResultView;
  target?: { service: string; handler: string; key?: string; invocationId?: string; idempotencyKey?: string; invokeAt?: number };
  keys?: string[];
  wake_up_at?: string;
  target_id?: string;
  completion?: ResultView;
  created_at: string | null;
  completed_at: string | null;
}

export interface AttemptView {
  attempt: number;
  at?: string;
  code: number;
  message: string;
  stack?: string | null;
  related_entry_index: number | null;
  related_entry_type: string | null;
  related_entry_name: string | null;
}

/** `GET /invocations/{id}`. */
export interface InvocationDetail extends InvocationSummary {
  invoked_by_target: string | null;
  suspended_waiting_for: number[] | null;
  headers: Array<{ name: string; value: string }>;
  input: unknown;
  input_encoding?: Encoding;
  result?: ResultView;
  journal: JournalEntryView[];
  attempts: AttemptView[];
}

export interface HandlerView {
  name: string;
  ty?: string;
  input_description?: string;
  output_description?: string;
}

/** One entry of `GET /services`. */
export interface ServiceView {
  name: string;
  ty: string;
  handlers: HandlerView[];
}

/** `GET /services/{svc}/state/{key}`. */
export interface KeyState {
  service: string;
  key: string;
  state: Record<string, unknown>;
  encodings?: Record<string, Encoding>;
}

/** `GET /services/{svc}/keys/{key}`. */
export interface KeyStatus {
  service: string;
  key: string;
  lock_holder: string | null;
  inbox: string[];
}

/** `GET /deployments` lists these, newest first: one per build of the project. */
export interface DeploymentView {
  id: string;
  /** `restate-dev://build/<n>`. */
  uri: string;
  created_at: string;
  services: Array<{ name: string; revision: number }>;
  /** The build new invocations run on. */
  latest?: boolean;
  /** Whether its bundle is still kept (something may run on it). */
  bundle_kept?: boolean;
  /** How many unfinished invocations run on this build. */
  pinned_invocation_count?: number;
  /** Which (older builds only; at most 100). */
  pinned_invocations?: string[];
}
