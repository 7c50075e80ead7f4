import type { Envelope } from '../../crds/envelope';
import { isBuiltInIntent } from '../../crds/intents';
import { resolveBounds, type Condition, type TriageRequestObject, type TriageRequestStatus, type Verdict } from '../../crds/triage-request';
import type { Logger } from '../../logger';
import { diagnose, DiagnosisAborted, type Diagnosis } from '../../triage/engine';
import type { ClusterSnapshot } from '../../triage/snapshot';
import { builtInTemplate, compileTemplate, TemplateError, type CompiledTemplate } from '../../triage/templates';
import { setCondition } from '../conditions';
import { admit, authorize, describeTarget, type Rejection } from './admission';
import { modeOf } from './status';

// One TriageRequest's evaluation: validate → namespace boundary → template → diagnose → the status to
// write. Shared by the operator (over its informer cache) and the kubectl plugin's local runs (over a
// one-time LIST or an offline dump), so a diagnosis reads the same whoever runs it.

export interface EvaluationRun {
  readonly namespace: string;
  readonly request: TriageRequestObject;
  readonly generation: number;
  readonly snapshot: ClusterSnapshot;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** Where TriageTemplates are read: a TriageTemplate named like the intent overrides a built-in. */
export type TemplateSource = Pick<ClusterSnapshot, 'get'>;

export interface EvaluationDeps {
  readonly now: () => Date;
  readonly trustedNamespaces: readonly string[];
  readonly templates: TemplateSource;
  /** Told of every completed diagnosis (the operator counts them in triage_runs_total). */
  readonly onDiagnosed?: (intent: string, mode: 'Once' | 'Continuous', verdict: Verdict) => void;
}

export interface Evaluation {
  readonly status: TriageRequestStatus;
  /** What the run read, for Continuous requests. */
  readonly watchKeys?: readonly string[];
  /** Re-run this soon even though the generation is unchanged (a time rule may change the result). */
  readonly recheckAfterMs?: number;
}

export async function evaluateRequest(run: EvaluationRun, deps: EvaluationDeps): Promise<Evaluation> {
  const { namespace, request, generation, snapshot, log } = run;
  const now = deps.now();
  const conditions = request.status?.conditions ?? [];
  const admission = admit(namespace, request.spec);
  const rejected = (rejection: Rejection): Evaluation => ({
    status: {
      observedGeneration: generation,
      verdict: 'Rejected',
      conditions: withConditions(conditions, generation, now, [
        { type: 'Complete', status: 'False', reason: rejection.reason, message: rejection.message },
        { type: 'RootCauseFound', status: 'False', reason: rejection.reason, message: 'The request was rejected; nothing was diagnosed.' },
      ]),
    },
  });
  if (!admission.admitted) return rejected(admission);
  const { spec, target } = admission;
  const targetText = describeTarget(namespace, target);
  const failed = (reason: string, message: string): Evaluation => ({
    status: {
      observedGeneration: generation,
      verdict: 'Failed',
      target: targetText,
      conditions: withConditions(conditions, generation, now, [
        { type: 'Complete', status: 'False', reason, message },
        { type: 'RootCauseFound', status: 'False', reason, message },
      ]),
    },
  });

  const resolved = resolveTemplate(spec.intent, deps.templates);
  if (resolved.kind === 'NotFound') return failed('TemplateNotFound', `TriageTemplate ${spec.intent} does not exist; the request runs when it is created`);
  if (resolved.kind === 'Invalid') return failed('InvalidTemplate', resolved.message);
  // The boundary needs the resolved template: a custom one or an override can reach further than the built-in.
  const outside = resolved.kind === 'Found' ? authorize(namespace, admission, resolved.template, deps.trustedNamespaces) : undefined;
  if (outside !== undefined) return rejected(outside);
  if (resolved.kind === 'NotAvailable') {
    const message = `The ${spec.intent} intent has no checks in this version of the operator; nothing was diagnosed`;
    return {
      status: {
        observedGeneration: generation,
        verdict: 'Inconclusive',
        target: targetText,
        conditions: withConditions(conditions, generation, now, [
          { type: 'Complete', status: 'True', reason: 'IntentNotAvailable', message },
          { type: 'RootCauseFound', status: 'False', reason: 'IntentNotAvailable', message },
        ]),
      },
    };
  }

  const bounds = resolveBounds(spec.bounds, resolved.template.bounds);
  let diagnosis: Diagnosis;
  try {
    diagnosis = await diagnose({
      intent: spec.intent,
      template: resolved.template,
      templateSource: resolved.source,
      target,
      maxSteps: bounds.maxSteps,
      timeoutMs: bounds.timeoutSeconds * 1000,
      minCompleteness: spec.minCompleteness,
      snapshot,
      now: deps.now,
      ...(deps.trustedNamespaces.includes(namespace) ? {} : { fence: namespace }),
      signal: run.signal,
    });
  } catch (error: unknown) {
    if (error instanceof DiagnosisAborted) throw error;
    // An engine bug must end as a Failed status the admin can see, not a key retried forever in silence.
    log.error('Diagnosis failed', { intent: spec.intent, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    const kind = error instanceof Error ? error.name : 'Error';
    return failed('InternalError', `The ${spec.intent} diagnosis failed with ${kind}; the operator log has the details (search for this request)`);
  }
  const mode = modeOf(request.spec);
  deps.onDiagnosed?.(spec.intent, mode, diagnosis.verdict);
  const rootCause = diagnosis.envelope.rootCause;
  const recurrence = recurrenceOf(request.status?.envelope, rootCause?.code, now);
  const envelope = recurrence === undefined ? diagnosis.envelope : { ...diagnosis.envelope, recurrence };
  const recheck = diagnosis.recheckAfterMs;
  return {
    ...(recheck === undefined ? {} : { recheckAfterMs: recheck }),
    watchKeys: diagnosis.watchKeys,
    status: {
      observedGeneration: generation,
      verdict: diagnosis.verdict,
      target: targetText,
      ...(recheck === undefined ? {} : { nextCheckAt: new Date(now.getTime() + recheck).toISOString() }),
      conditions: withConditions(conditions, generation, now, [
        { type: 'Complete', status: 'True', reason: 'Completed', message: envelope.summary },
        rootCause === undefined
          ? { type: 'RootCauseFound', status: 'False', reason: diagnosis.verdict, message: envelope.summary }
          : { type: 'RootCauseFound', status: 'True', reason: rootCause.code, message: rootCause.message },
      ]),
      envelope,
    },
  };
}

/** A TriageTemplate named like the intent wins (an override of a built-in); else the built-in. */
export function resolveTemplate(intent: string, templates: TemplateSource): ResolvedTemplate {
  const custom = templates.get('TriageTemplate', intent) as { spec?: unknown } | undefined;
  if (custom !== undefined) {
    try {
      return { kind: 'Found', template: compileTemplate(intent, custom.spec), source: isBuiltInIntent(intent) ? 'Override' : 'Custom' };
    } catch (error: unknown) {
      if (error instanceof TemplateError) return { kind: 'Invalid', message: error.message };
      throw error;
    }
  }
  if (!isBuiltInIntent(intent)) return { kind: 'NotFound' };
  const builtIn = builtInTemplate(intent);
  return builtIn === undefined ? { kind: 'NotAvailable' } : { kind: 'Found', template: builtIn, source: 'BuiltIn' };
}
export type ResolvedTemplate =
  | { readonly kind: 'Found'; readonly template: CompiledTemplate; readonly source: 'BuiltIn' | 'Custom' | 'Override' }
  | { readonly kind: 'NotFound' }
  | { readonly kind: 'NotAvailable' }
  | { readonly kind: 'Invalid'; readonly message: string };

export function withConditions(
  existing: readonly Condition[],
  generation: number,
  now: Date,
  updates: readonly Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>[],
): Condition[] {
  return updates.reduce<Condition[]>((list, update) => setCondition(list, { ...update, observedGeneration: generation }, now), [...existing]);
}

/**
 * Transitions into a root cause: the count rises when the root cause becomes this code, not on every
 * write; kept through healthy periods so a return is counted.
 */
function recurrenceOf(previous: Envelope | undefined, code: string | undefined, now: Date): Envelope['recurrence'] {
  const seen = previous?.recurrence;
  if (code === undefined) return seen;
  if (previous?.rootCause?.code === code) return seen?.code === code ? seen : { code, count: 1, firstSeen: now.toISOString() };
  return seen?.code === code ? { ...seen, count: seen.count + 1 } : { code, count: 1, firstSeen: now.toISOString() };
}
