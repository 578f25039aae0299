/**
 * The findings of the journal check of the last reload (engine.checkJournals
 * against a new build), kept so that tools can read them after the fact:
 * `GET /journal-check` (own). The runtime records; the admin API serves.
 */
import type { ReloadFinding } from "../engine/engine.js";
import { json, type HttpResponse } from "../ingress/http.js";

export interface JournalCheck {
  /** When the last reload's check ran; null before the first reload. */
  checked_at: string | null;
  /** The source files whose change triggered that reload. */
  changed_files: string[];
  /** In-flight invocations the new code would not follow (or that could not be checked). */
  findings: ReloadFinding[];
}

export class JournalCheckLog {
  private last: JournalCheck = { checked_at: null, changed_files: [], findings: [] };

  record(changedFiles: string[], findings: ReloadFinding[], at = new Date()): void {
    this.last = { checked_at: at.toISOString(), changed_files: [...changedFiles], findings };
  }

  route(): HttpResponse {
    return json(200, this.last);
  }
}
