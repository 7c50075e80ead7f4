import type { Envelope } from '../../crds/envelope';
import { RERUN_ANNOTATION, type Condition, type TriageRequestObject, type TriageRequestStatus, type Verdict } from '../../crds/triage-request';
import type { RecordedEvent } from '../../kube/event-recorder';
import { excerpt } from '../../triage/redact';

// Pure rules about a TriageRequest's status: what counts as a change, what a transition is, what its
// Event says, and the hard size budget. The reconciler only applies them.

/** BRIEF: the whole status stays at most 16 KiB serialized. */
export const STATUS_BUDGET_BYTES = 16 * 1024;
const MAX_TARGET = 256;
const MAX_CONDITION_MESSAGE = 1024;
/** The answer is read in a terminal: a line fits a wide one. */
const MAX_ANSWER_LINE = 400;

function sizeOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** A string cut to `max` characters (with "…"), never splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * The status, cut to fit STATUS_BUDGET_BYTES whatever went into it: target text and condition messages
 * are capped; if the envelope still does not fit, it keeps its verdict-bearing parts (summary, root
 * cause, evidence, bounds) and drops the lists, marked truncated.
 */
export function boundStatus(status: TriageRequestStatus): TriageRequestStatus {
  let bounded: TriageRequestStatus = {
    ...status,
    ...(status.target === undefined ? {} : { target: cut(status.target, MAX_TARGET) }),
    // Copied from an annotation, which may be up to 256 KiB: only a token's identity matters.
    ...(status.rerunToken === undefined ? {} : { rerunToken: cut(status.rerunToken, MAX_TARGET) }),
    ...(status.conditions === undefined ? {} : { conditions: status.conditions.map((c) => ({ ...c, message: cut(c.message, MAX_CONDITION_MESSAGE) })) }),
  };
  if (sizeOf(bounded) <= STATUS_BUDGET_BYTES || bounded.envelope === undefined) return bounded;
  const envelope: Envelope = bounded.envelope;
  const cited = new Set(envelope.rootCause?.anchors ?? []);
  const reduced: Envelope = {
    ...envelope,
    ...(envelope.rootCause === undefined
      ? {}
      : { rootCause: { ...envelope.rootCause, message: cut(envelope.rootCause.message, 512), chain: envelope.rootCause.chain.slice(0, 8) } }),
    findings: [],
    anchors: envelope.anchors.filter((a) => cited.has(a.id)),
    nextActions: envelope.nextActions.slice(0, 2),
    steps: envelope.steps.map((s) => ({ ...s, evidenceKeys: [] })),
    evidence: {
      ...envelope.evidence,
      present: envelope.evidence.present.slice(0, 20),
      missing: envelope.evidence.missing.slice(0, 20),
      unavailable: envelope.evidence.unavailable.slice(0, 20),
    },
    bounds: { ...envelope.bounds, truncated: true },
  };
  bounded = { ...bounded, envelope: reduced };
  if (sizeOf(bounded) <= STATUS_BUDGET_BYTES) return bounded;
  // Nothing user-sized is left but the root cause's anchors and chain: keep the code and the summary.
  return {
    ...bounded,
    envelope: {
      ...reduced,
      anchors: [],
      nextActions: [],
      steps: [],
      ...(reduced.rootCause === undefined ? {} : { rootCause: { ...reduced.rootCause, anchors: [], chain: [] } }),
    },
  };
}

const refText = (r: { kind: string; namespace?: string; name: string }) => `${r.kind} ${r.name}`;

/**
 * What an admin reads first in `kubectl describe tr` (which sorts status fields by name, so `answer`
 * comes before the conditions and the envelope): verdict and code, what is wrong, the chain, and the
 * first next action. Lines, not one string: describe indents list items but not a string's own lines.
 */
export function answerOf(status: TriageRequestStatus): string[] | undefined {
  if (status.verdict === undefined) return undefined;
  const envelope = status.envelope;
  const root = envelope?.rootCause;
  const lines =
    envelope === undefined
      ? [`${status.verdict}: ${condition(status, 'Complete')?.message ?? ''}`]
      : root === undefined
        ? [`${status.verdict}: ${envelope.summary}`]
        : [`${status.verdict}: ${root.code}`, root.message, ...(root.chain.length === 0 ? [] : [`Chain: ${root.chain.map(refText).join(' → ')}`])];
  const next = envelope?.nextActions[0];
  if (next !== undefined) lines.push(`Next (${next.safety}): ${next.command}`);
  return lines.map((line) => cut(line, MAX_ANSWER_LINE));
}

function condition(status: TriageRequestStatus, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** What a transition is between: the verdict and its reason (root-cause code, or why nothing ran). */
export function transitionKey(status: TriageRequestStatus): string | undefined {
  if (status.verdict === undefined) return undefined;
  return `${status.verdict}/${announcementReason(status)}`;
}

function announcementReason(status: TriageRequestStatus): string {
  const rootCause = status.envelope?.rootCause?.code;
  if (rootCause !== undefined) return rootCause;
  const complete = condition(status, 'Complete');
  // Rejected, Failed and not-available runs say why in the Complete condition; a finished run by its verdict.
  if (complete !== undefined && (complete.status !== 'True' || complete.reason !== 'Completed')) return complete.reason;
  return status.verdict ?? 'Unknown';
}

/** The Event that announces the status's current transition: derived from status alone, so it can be written again after a crash. */
export function announcementOf(status: TriageRequestStatus): RecordedEvent {
  const warning = status.verdict === 'RootCauseFound' || status.verdict === 'Rejected' || status.verdict === 'Failed';
  const note = status.envelope?.summary ?? condition(status, 'Complete')?.message ?? status.verdict ?? '';
  return { type: warning ? 'Warning' : 'Normal', reason: announcementReason(status), action: 'Triage', note: excerpt(note, 1024) };
}

const VOLATILE_KEYS: ReadonlySet<string> = new Set(['timing', 'inputs', 'durationMs', 'observedAt', 'resourceVersion', 'lastTransitionTime', 'recurrence']);

/**
 * The status as a reader compares it: without timings, resourceVersions, observation times and Event
 * counters, which move while the diagnosis stays the same. Equal views mean nothing worth writing.
 */
export function stableView(status: TriageRequestStatus): string {
  const { nextCheckAt: _nextCheckAt, transitions: _transitions, announcedTransitions: _announced, ...rest } = status;
  return JSON.stringify(rest, (key, value: unknown) => {
    if (VOLATILE_KEYS.has(key)) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const object = value as Record<string, unknown>;
    // Keys sorted: the apiserver returns them in its own order, which is not a change.
    const kept = Object.keys(object)
      .sort()
      .filter((k) => !(key === 'event' && (k === 'count' || k === 'lastSeen')));
    return Object.fromEntries(kept.map((k) => [k, object[k]]));
  });
}

/** Verdicts that settle a generation: it is not run again until the spec changes. */
const SETTLED: ReadonlySet<Verdict> = new Set<Verdict>(['Healthy', 'RootCauseFound', 'Inconclusive', 'Rejected']);

/** Once or Continuous, read from a spec that may not have passed validation (defaults to Once). */
export function modeOf(spec: unknown): 'Once' | 'Continuous' {
  return typeof spec === 'object' && spec !== null && 'mode' in spec && spec.mode === 'Continuous' ? 'Continuous' : 'Once';
}

export type RunDecision = { readonly kind: 'Run' } | { readonly kind: 'Skip'; readonly recheckInMs?: number };

/**
 * Whether a reconcile diagnoses again: a Once request whose status settled this generation does not,
 * unless a re-run was asked for (a new rerun annotation token) or its time-based re-check is due.
 * A Continuous request always does (the watch index wakes it only when what it read changed).
 */
export function decideRun(request: TriageRequestObject, now: Date): RunDecision {
  const current = request.status ?? {};
  const rerunToken = request.metadata.annotations?.[RERUN_ANNOTATION];
  const rerunRequested = rerunToken !== undefined && rerunToken !== current.rerunToken;
  const untilRecheck = current.nextCheckAt === undefined ? undefined : Date.parse(current.nextCheckAt) - now.getTime();
  // A status the apiserver refused as too large is final for this generation: re-running cannot make it fit.
  const tooLarge = current.verdict === 'Failed' && current.conditions?.some((c) => c.type === 'Complete' && c.reason === 'StatusTooLarge') === true;
  const settled =
    current.observedGeneration === (request.metadata.generation ?? 0) && current.verdict !== undefined && (SETTLED.has(current.verdict) || tooLarge);
  const due = untilRecheck !== undefined && untilRecheck <= 0;
  if (modeOf(request.spec) === 'Continuous' || !settled || rerunRequested || due) return { kind: 'Run' };
  return untilRecheck === undefined ? { kind: 'Skip' } : { kind: 'Skip', recheckInMs: untilRecheck };
}

/**
 * The status to write, or undefined when the run changed nothing a reader would see (timings,
 * resourceVersions and Event counters move while the diagnosis stays): no write, no churn. A new
 * verdict or reason counts as a transition, to be announced by one Event.
 */
export function nextStatus(
  current: TriageRequestStatus,
  computedStatus: TriageRequestStatus,
  rerunToken: string | undefined,
  now: Date,
): TriageRequestStatus | undefined {
  const answer = answerOf(computedStatus);
  const computed = boundStatus({ ...computedStatus, ...(answer === undefined ? {} : { answer }), ...(rerunToken === undefined ? {} : { rerunToken }) });
  const recheckLapsed = current.nextCheckAt !== undefined && Date.parse(current.nextCheckAt) <= now.getTime();
  const recheckMoved = (computed.nextCheckAt === undefined) !== (current.nextCheckAt === undefined) || (computed.nextCheckAt !== undefined && recheckLapsed);
  if (stableView(computed) === stableView(current) && !recheckMoved) return undefined;
  const transitions = (current.transitions ?? 0) + (transitionKey(computed) === transitionKey(current) ? 0 : 1);
  return {
    ...computed,
    ...(transitions === 0 ? {} : { transitions }),
    ...(current.announcedTransitions === undefined ? {} : { announcedTransitions: current.announcedTransitions }),
  };
}
