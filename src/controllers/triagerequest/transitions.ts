import type { TriageRequestStatus } from '../../crds/triage-request';

/** A verdict or root-cause change of one TriageRequest, once it was announced (its Events written and recorded). */
export interface Transition {
  readonly request: { readonly namespace: string; readonly name: string; readonly uid: string };
  /** The status that made the transition: verdict, envelope, conditions. */
  readonly status: TriageRequestStatus;
  /** status.transitions at this change: with the request's uid, it names the transition. */
  readonly number: number;
}

/**
 * Told of each transition once, when it is announced (never for an unchanged re-run): sinks and
 * reports hang off it. `notify` must return at once and never throw; delivery is the listener's own
 * work (its queue, retries and metrics). A crash between the announcement and `notify` loses it.
 */
export interface TransitionListener {
  readonly name: string;
  notify(transition: Transition): void;
}
