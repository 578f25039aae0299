/**
 * One attempt of one invocation, seen from the SDK. New commands are sent to
 * the runtime; commands the journal already holds are replayed from it, after
 * checking that the code issued the same command (type and name) at the same
 * index. Also decides, deterministically, where a cancellation lands and when
 * the attempt may suspend.
 */
import { durationToMillis, type Duration } from "./duration.js";
import { CancelledError, JournalMismatchError, PauseError, RetryableError, TerminalError, INTERNAL_ERROR_CODE } from "./errors.js";
import type { DefinitionInternals } from "./definitions.js";
import type { HandlerOptions } from "./options.js";
import { wrap, type PromiseHost, type RestatePromise } from "./promise.js";
import { serde as serdes, type Serde } from "./serde.js";
import type { CancelState, EntryType, FromWorker, JournalEntry, Notify, Result, StartAttempt } from "./worker/protocol.js";
import type { Context } from "./context.js";
import { now as clockNow } from "./clock.js";

export interface ResolvedHandler {
  definition: DefinitionInternals;
  name: string;
  fn: (ctx: unknown, input: unknown) => Promise<unknown>;
  kind: "SERVICE" | "EXCLUSIVE" | "SHARED" | "WORKFLOW";
  /** Service options with the handler's on top. */
  options: HandlerOptions;
}

interface Waiter {
  /** Resolves a completable entry (sleep, call, awakeable, promise...). */
  onResult?: (r: Result, seq: number | undefined) => void;
  /** A ctx.run result became durable. */
  onAck?: () => void;
  onInvocationId?: (id: string) => void;
}

export function failureOf(e: TerminalError): Result {
  const r: Result = { kind: "failure", code: e.code, message: e.message };
  if (e.metadata) r.metadata = e.metadata;
  return r;
}

export function errorOf(r: Extract<Result, { kind: "failure" }>): TerminalError {
  if (r.code === 409 && r.message === "Cancelled") return new CancelledError();
  return new TerminalError(r.message, { errorCode: r.code, ...(r.metadata ? { metadata: r.metadata } : {}) });
}

export class Attempt implements PromiseHost {
  private nextIndex = 1;
  private readonly journal = new Map<number, JournalEntry>();
  private readonly lastJournaled: number;
  private readonly waiters = new Map<number, Waiter>();
  private readonly state: Map<string, Uint8Array> | null;
  /** Made when user code first asks for the signal: most attempts never do, and aborting one costs a DOMException. */
  private abort: AbortController | undefined;
  private readonly startedAt = clockNow();
  private closed = false;
  private runsInFlight = 0;
  private cancel: CancelState | undefined;
  /** The cancel rejected an entry that was pending when it was seen. */
  private cancelHit = false;
  /** Otherwise the first completable entry after it takes the CancelledError. */
  private cancelConsumed = false;
  /** Set while the runtime has not confirmed that this invocation is durable: ctx.run closures wait for it. */
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private askedDurable = false;
  /** The handler's ctx, made by whoever runs attempts (context_impl.ts), so the two modules import one way. */
  readonly context: Context;

  constructor(
    readonly start: StartAttempt,
    readonly handler: ResolvedHandler,
    private readonly send: (msg: FromWorker) => void,
    makeContext: (attempt: Attempt) => Context,
  ) {
    let last = 0;
    for (const e of start.journal) {
      this.journal.set(e.index, e);
      last = Math.max(last, e.index);
    }
    this.lastJournaled = last;
    this.state = start.state ? new Map(start.state) : null;
    this.cancel = start.cancel ? { ...start.cancel } : undefined;
    if (start.gated) this.gate = new Promise<void>((resolve) => (this.openGate = resolve));
    this.context = makeContext(this);
  }

  /** Resolves once the runtime says everything before this attempt is durable (at once if it was not gated). */
  durable(): Promise<void> | undefined {
    if (!this.gate) return undefined;
    if (!this.askedDurable) {
      this.askedDurable = true;
      this.send({ t: "awaitDurable", attemptId: this.attemptId });
    }
    return this.gate;
  }

  get attemptId(): number {
    return this.start.attemptId;
  }

  isReplaying(): boolean {
    return this.nextIndex <= this.lastJournaled;
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** A ctx.run closure of this attempt is running. */
  get hasRunInFlight(): boolean {
    return !this.closed && this.runsInFlight > 0;
  }

  get signal(): AbortSignal {
    this.abort ??= new AbortController();
    if (this.closed && !this.abort.signal.aborted) this.abort.abort();
    return this.abort.signal;
  }

  /** Runs the handler to its end: output, terminal failure, or a failed attempt. */
  async execute(): Promise<void> {
    let input: unknown;
    try {
      input = this.inputSerde().deserialize(this.start.input);
    } catch (e) {
      this.finish(failureOf(new TerminalError(`Failed to deserialize input: ${(e as Error).message}`, { errorCode: 400 })));
      return;
    }
    if (this.start.dryRun && this.lastJournaled === 0) {
      this.checkedOk();
      return;
    }
    this.observeCancelIfDue();
    let value: unknown;
    try {
      value = await this.handler.fn(this.context, input);
    } catch (e) {
      if (this.closed) return;
      const terminal = this.asTerminal(e);
      if (terminal) this.finish(failureOf(terminal));
      else this.fail(e);
      return;
    }
    if (this.closed) return;
    const leftover = this.journal.get(this.nextIndex);
    if (leftover) {
      this.mismatch(this.nextIndex, leftover, { type: "Output" });
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.outputSerde().serialize(value);
    } catch (e) {
      this.fail(new Error(`Failed to serialize the handler's output: ${(e as Error).message}`));
      return;
    }
    this.finish({ kind: "value", value: bytes });
  }

  // --- messages from the runtime ---------------------------------------------

  notify(msg: Notify): void {
    if (this.closed) return;
    if (msg.what === "durable") {
      this.openGate?.();
      this.gate = undefined;
      return;
    }
    const w = this.waiters.get(msg.index);
    if (!w) return;
    if (msg.what === "ack") {
      this.waiters.delete(msg.index);
      w.onAck?.();
    } else if (msg.what === "invocationId") {
      w.onInvocationId?.(msg.invocationId!);
      if (!w.onResult) this.waiters.delete(msg.index);
    } else if (msg.what === "result") {
      this.waiters.delete(msg.index);
      w.onResult?.(msg.result!, msg.seq);
    }
  }

  onCancel(seq: number): void {
    if (this.closed || this.cancel) return;
    this.cancel = { seq };
    this.observeCancelIfDue();
  }

  /** The runtime saw no progress for the inactivity timeout: end the attempt if it only waits. */
  onSuspendRequest(): void {
    if (this.closed || this.runsInFlight > 0) return;
    const waitingOn = [...this.waiters.entries()].filter(([, w]) => w.onResult).map(([i]) => i);
    if (waitingOn.length === 0) return;
    this.send({ t: "suspended", attemptId: this.attemptId, waitingOn });
    this.close();
  }

  /** The runtime ended this attempt (kill, shutdown); nothing more is sent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiters.clear();
    this.abort?.abort();
  }

  // --- ending the attempt -------------------------------------------------------

  private finish(result: Result): void {
    if (this.closed) return;
    if (this.start.dryRun) this.send({ t: "checked", attemptId: this.attemptId, ok: true });
    else this.send({ t: "output", attemptId: this.attemptId, result });
    this.close();
  }

  /** Dry run: the replay got past the last journaled entry without a mismatch. */
  private checkedOk(): void {
    this.send({ t: "checked", attemptId: this.attemptId, ok: true });
    this.close();
  }

  /** Fails this attempt: the runtime retries the invocation. */
  fail(e: unknown, related?: { index: number; type: string; name?: string }, extra?: { nextRetryDelayMs?: number }): void {
    if (this.closed) return;
    if (this.start.dryRun) {
      if (e instanceof JournalMismatchError) {
        this.send({
          t: "checked",
          attemptId: this.attemptId,
          ok: false,
          mismatch: { index: e.entryIndex, journaled: describe(e.journaled), attempted: describe(e.attempted), message: e.message },
        });
      } else {
        this.send({ t: "checked", attemptId: this.attemptId, ok: false, inconclusive: e instanceof Error ? e.message : String(e) });
      }
      this.close();
      return;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    const code = (err as { code?: unknown }).code;
    const msg: FromWorker = {
      t: "error",
      attemptId: this.attemptId,
      code: typeof code === "number" ? code : INTERNAL_ERROR_CODE,
      message: err.message || err.name,
    };
    if (err.stack) msg.stack = err.stack;
    if (related) {
      msg.relatedIndex = related.index;
      msg.relatedType = related.type;
      if (related.name !== undefined) msg.relatedName = related.name;
    }
    if (e instanceof RetryableError && e.retryAfter !== undefined) msg.nextRetryDelayMs = durationToMillis(e.retryAfter);
    if (e instanceof PauseError) msg.pause = true;
    if (extra?.nextRetryDelayMs !== undefined) msg.nextRetryDelayMs = extra.nextRetryDelayMs;
    this.send(msg);
    this.close();
  }

  private mismatch(index: number, recorded: JournalEntry, attempted: { type: string; name?: string }): void {
    const journaled = { type: recorded.type, ...(recorded.name !== undefined ? { name: recorded.name } : {}) };
    const message =
      `Journal mismatch at entry ${index}: the journal holds ${describe(journaled)}, but the code now does ${describe(attempted)}. ` +
      `The handler's code changed since this invocation ran, or it is not deterministic ` +
      `(Date.now(), Math.random() or I/O outside ctx.run). Restore the old code path, or restart or kill the invocation.`;
    this.fail(new JournalMismatchError(message, index, journaled, attempted), { index, type: attempted.type, ...(attempted.name !== undefined ? { name: attempted.name } : {}) });
  }

  // --- commands -------------------------------------------------------------------

  /**
   * Allocates the next journal index for a command. Returns the recorded entry
   * when replaying, null when the attempt is over (mismatch or closed).
   */
  command(type: EntryType, name: string | undefined): { index: number; recorded?: JournalEntry } | null {
    if (this.closed) return null;
    const index = this.nextIndex++;
    const recorded = this.journal.get(index);
    if (recorded && (recorded.type !== type || (recorded.name ?? "") !== (name ?? ""))) {
      this.mismatch(index, recorded, { type, ...(name !== undefined ? { name } : {}) });
      return null;
    }
    if (this.start.dryRun && (!recorded || this.nextIndex > this.lastJournaled)) {
      // Everything journaled was matched: what comes next is new work, not checked.
      this.checkedOk();
      return null;
    }
    this.observeCancelIfDue();
    return recorded ? { index, recorded } : { index };
  }

  emit(entry: JournalEntry): void {
    this.send({ t: "command", attemptId: this.attemptId, entry });
  }

  /** A ctx.run outcome: journaled, and handed back once durable. */
  recordRun(entry: JournalEntry): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.set(entry.index, { onAck: resolve });
      this.emit(entry);
    });
  }

  runStarted(): void {
    this.runsInFlight++;
  }

  runEnded(): void {
    this.runsInFlight--;
  }

  /** Waits for a call's child invocation id. */
  awaitInvocationId(index: number, onId: (id: string) => void): void {
    const w = this.waiters.get(index) ?? {};
    w.onInvocationId = onId;
    this.waiters.set(index, w);
  }

  /**
   * The promise of a completable entry (sleep, call, awakeable, promise, attach):
   * settled from the journal when recorded, else when the runtime completes it;
   * rejected with a CancelledError where the cancellation lands.
   */
  completion<T>(index: number, recorded: JournalEntry | undefined, decode: (r: Result) => T, newEntry?: JournalEntry): RestatePromise<T> {
    const c = this.cancel;
    if (c?.observedIndex !== undefined) {
      const completedBeforeCancel = recorded?.result !== undefined && (recorded.seq ?? 0) < c.seq;
      if (index <= c.observedIndex && !completedBeforeCancel) {
        this.cancelHit = true;
        return this.cancelled(c.seq);
      }
      if (index > c.observedIndex && !this.cancelHit && !this.cancelConsumed) {
        this.cancelConsumed = true;
        if (newEntry) this.emit(newEntry);
        return this.cancelled(c.seq);
      }
    }
    if (recorded?.result) {
      const r = recorded.result;
      return wrap(new Promise<T>((res, rej) => settle(r, decode, res, rej)), this, recorded.seq);
    }
    const p = new Promise<T>((res, rej) => {
      const w = this.waiters.get(index) ?? {};
      w.onResult = (r) => settle(r, decode, res, rej);
      this.waiters.set(index, w);
    });
    if (newEntry) this.emit(newEntry);
    return wrap(p, this);
  }

  private cancelled<T>(seq: number): RestatePromise<T> {
    return wrap(Promise.reject(new CancelledError()), this, seq);
  }

  /**
   * A cancel is seen once replay has caught up with the journal: pending
   * entries reject with CancelledError, or, if none is pending, the next one.
   */
  private observeCancelIfDue(): void {
    const c = this.cancel;
    if (!c || c.observedIndex !== undefined || this.closed || this.isReplaying()) return;
    c.observedIndex = this.nextIndex - 1;
    this.send({ t: "cancelObserved", attemptId: this.attemptId, index: c.observedIndex });
    for (const [index, w] of [...this.waiters.entries()]) {
      if (!w.onResult) continue;
      this.waiters.delete(index);
      w.onResult({ kind: "failure", code: 409, message: "Cancelled" }, c.seq);
      this.cancelHit = true;
    }
  }

  // --- state, serdes ------------------------------------------------------------------

  stateMap(): Map<string, Uint8Array> {
    if (!this.state) throw new TerminalError("state is only available in virtual objects and workflows");
    return this.state;
  }

  defaultSerde(): Serde<any> {
    return this.handler.options.serde ?? serdes.json;
  }
  inputSerde(): Serde<any> {
    return this.handler.options.input ?? serdes.json;
  }
  outputSerde(): Serde<any> {
    return this.handler.options.output ?? serdes.json;
  }

  asTerminal(e: unknown): TerminalError | undefined {
    if (e instanceof TerminalError) return e;
    const mapped = this.handler.options.asTerminalError?.(e);
    return mapped instanceof TerminalError ? mapped : undefined;
  }

  sleep(duration: Duration | number, name?: string): RestatePromise<void> {
    return this.context.sleep(duration, name);
  }

  retryInfo(): { count: number; durationMs: number; attemptStartedAt: number } {
    return {
      count: this.start.retryCountSinceLastStoredEntry,
      durationMs: this.start.durationSinceLastStoredEntry,
      attemptStartedAt: this.startedAt,
    };
  }
}

export function settle<T>(r: Result, decode: (r: Result) => T, resolve: (v: T) => void, reject: (e: unknown) => void): void {
  if (r.kind === "failure") {
    reject(errorOf(r));
    return;
  }
  try {
    resolve(decode(r));
  } catch (e) {
    reject(e);
  }
}

function describe(c: { type: string; name?: string }): string {
  if (c.type === "Output") return "the handler returning (Output)";
  return c.name ? `${c.type} '${c.name}'` : c.type;
}

/** Decodes a value result with a serde; `empty` is undefined. */
export function decodeWith<T>(serde: Serde<T>): (r: Result) => T {
  return (r) => (r.kind === "value" ? serde.deserialize(r.value) : (undefined as T));
}

