import type { Envelope } from '../crds/envelope';
import type { Condition, Verdict } from '../crds/triage-request';

/**
 * One triage as the plugin and the MCP server hand it on, whoever ran it: the operator (a
 * TriageRequest's status) or the plugin itself (`--local`, `--from-file`).
 */
export interface TriageResult {
  /** `namespace/name` of the TriageRequest; absent for a run in the plugin. */
  readonly request?: string;
  /** `operator` (read from a TriageRequest), `local` (a one-time LIST) or `file` (an offline dump). */
  readonly source: 'operator' | 'local' | 'file';
  readonly intent: string;
  /** What was diagnosed, as Kind/name or Kind namespace/name. */
  readonly target: string;
  /** Undefined while the operator has not answered yet. */
  readonly verdict?: Verdict;
  readonly envelope?: Envelope;
  /** Why there is no envelope (Rejected, Failed): the request's conditions. */
  readonly conditions?: readonly Condition[];
}

/** The plugin's exit status, for scripts and CI: 0 Healthy, 1 RootCauseFound, 2 anything else (Inconclusive, rejected, failed, no answer). */
export function exitCodeOf(verdict: Verdict | undefined): number {
  return verdict === 'Healthy' ? 0 : verdict === 'RootCauseFound' ? 1 : 2;
}
