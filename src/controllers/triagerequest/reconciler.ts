import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../crds/envelope';
import { isBuiltInIntent } from '../../crds/intents';
import { GROUP, RERUN_ANNOTATION, VERSION, type Condition, type TriageRequestObject, type TriageRequestStatus, type Verdict } from '../../crds/triage-request';
import type { ClusterCache } from '../../kube/cluster-cache';
import type { KubeClient } from '../../kube/client';
import { ApiError, isTransientError } from '../../kube/errors';
import type { EventRecorder, EventSubject } from '../../kube/event-recorder';
import { mergePatch } from '../../kube/merge-patch';
import { outcome, type ReconcileOutcome } from '../../kube/workqueue';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import { diagnose, type Diagnosis } from '../../triage/engine';
import type { ClusterSnapshot } from '../../triage/snapshot';
import { builtInTemplate, compileTemplate, TemplateError, type CompiledTemplate } from '../../triage/templates';
import { setCondition } from '../conditions';
import { admit, authorize, describeTarget, type Rejection } from './admission';
import type { WatchIndex } from './watch-index';

export const CONTROLLER_NAME = 'triagerequest';

export interface ReconcilerDeps {
  readonly cache: ClusterCache;
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly trustedNamespaces: readonly string[];
  readonly now: () => Date;
  readonly watchIndex: WatchIndex;
  /** Where a triage reads the cluster: the cache itself, or (benchmark baseline) a fresh listing. */
  readonly snapshotFor?: (namespace: string | undefined) => Promise<ClusterSnapshot>;
}

/** Verdicts that settle a generation: it is not run again until the spec changes. */
const SETTLED: ReadonlySet<Verdict> = new Set<Verdict>(['Healthy', 'RootCauseFound', 'Inconclusive', 'Rejected']);

interface Outcome {
  readonly status: TriageRequestStatus;
  /** A Continuous run whose inputs did not change since the last one: nothing to write. */
  readonly unchanged?: boolean;
  /** What the run read, for Continuous requests. */
  readonly watchKeys?: readonly string[];
  /** Re-run this soon even though the generation is unchanged (a time rule may change the result). */
  readonly recheckAfterMs?: number;
  readonly eventType: 'Normal' | 'Warning';
  readonly eventReason: string;
  readonly eventNote: string;
}

/**
 * Reconciles one TriageRequest: validate → namespace boundary → diagnose from the cache → one
 * merge patch of /status when it changed. Reads only from informer caches.
 */
export class TriageRequestReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const request = this.deps.cache.get('TriageRequest', name, namespace) as TriageRequestObject | undefined;
    if (request === undefined || request.metadata.deletionTimestamp !== undefined) {
      this.deps.watchIndex.remove(key);
      return outcome.done;
    }

    const generation = request.metadata.generation ?? 0;
    const current = request.status ?? {};
    const continuous = modeOf(request.spec) === 'Continuous';
    const rerunToken = request.metadata.annotations?.[RERUN_ANNOTATION];
    const rerunRequested = rerunToken !== undefined && rerunToken !== current.rerunToken;
    const untilRecheck = current.nextCheckAt === undefined ? undefined : Date.parse(current.nextCheckAt) - this.deps.now().getTime();
    const settled = current.observedGeneration === generation && current.verdict !== undefined && SETTLED.has(current.verdict);
    if (!continuous && settled && !rerunRequested && !(untilRecheck !== undefined && untilRecheck <= 0)) {
      this.deps.metrics.triageSkipped.inc({ reason: 'UpToDate' });
      // A pending time-based re-check survives early wake-ups (resyncs, a requeue that fired a little early).
      return untilRecheck === undefined ? outcome.done : outcome.requeueAfter(untilRecheck);
    }

    const reconcileID = randomUUID();
    const log = this.deps.logger.child({ controller: CONTROLLER_NAME, reconcileID, request: key });
    const started = this.deps.now();
    const snapshot = this.deps.snapshotFor === undefined ? this.deps.cache : await this.deps.snapshotFor(targetNamespaceOf(request.spec, namespace));
    const result = this.evaluate(namespace, request, generation, snapshot, log);
    const intent = intentOf(request.spec);
    const verdict = result.status.verdict ?? 'Failed';
    if (continuous && result.watchKeys !== undefined) this.deps.watchIndex.set(key, result.watchKeys);
    else this.deps.watchIndex.remove(key);
    if (result.unchanged === true) {
      this.deps.metrics.triageSkipped.inc({ reason: 'InputsUnchanged' });
      return outcome.done;
    }

    const patch = mergePatch(current, rerunToken === undefined ? result.status : { ...result.status, rerunToken });
    if (patch === undefined) {
      this.deps.metrics.triageSkipped.inc({ reason: 'Unchanged' });
      return outcome.done;
    }
    try {
      await this.deps.client.mergePatch(
        `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/triagerequests/${name}/status`,
        // The resourceVersion makes the patch conditional: a stale cache gets 409, not a lost update.
        { metadata: { resourceVersion: request.metadata.resourceVersion }, status: patch },
      );
      this.deps.metrics.statusWrites.inc({ result: 'ok' });
    } catch (error: unknown) {
      this.deps.metrics.statusWrites.inc({ result: error instanceof ApiError ? String(error.statusCode) : 'error' });
      if (error instanceof ApiError && error.isNotFound) return outcome.done;
      // A conflict means our cache was behind our own last write: the designed path is a requeue, not an error.
      if (error instanceof ApiError && error.isConflict) {
        this.deps.metrics.reconcileTotal.inc({ controller: CONTROLLER_NAME, result: 'requeue', intent, verdict });
        return outcome.retry(error);
      }
      this.deps.metrics.reconcileErrors.inc({ controller: CONTROLLER_NAME, intent });
      log.info('Status write failed', { error: error instanceof Error ? error.message : String(error) });
      return isTransientError(error) ? outcome.retry(error) : outcome.terminal(error);
    }

    const seconds = (this.deps.now().getTime() - started.getTime()) / 1000;
    this.deps.metrics.reconcileTotal.inc({ controller: CONTROLLER_NAME, result: 'success', intent, verdict });
    this.deps.metrics.reconcileTime.observe({ controller: CONTROLLER_NAME, intent, verdict }, seconds);
    log.info('Triage written', { intent, verdict, rootCause: result.status.envelope?.rootCause?.code, generation });

    const changed =
      current.verdict !== result.status.verdict || current.envelope?.rootCause?.code !== result.status.envelope?.rootCause?.code;
    if (changed) this.deps.recorder.record(subjectOf(request), { type: result.eventType, reason: result.eventReason, action: 'Triage', note: result.eventNote });
    return result.recheckAfterMs === undefined ? outcome.done : outcome.requeueAfter(result.recheckAfterMs);
  }

  private evaluate(namespace: string, request: TriageRequestObject, generation: number, snapshot: ClusterSnapshot, log: Logger): Outcome {
    const now = this.deps.now();
    const conditions = request.status?.conditions ?? [];
    const admission = admit(namespace, request.spec);
    const rejected = (rejection: Rejection): Outcome => ({
      status: {
        observedGeneration: generation,
        verdict: 'Rejected',
        conditions: withConditions(conditions, generation, now, [
          { type: 'Complete', status: 'False', reason: rejection.reason, message: rejection.message },
          { type: 'RootCauseFound', status: 'False', reason: rejection.reason, message: 'The request was rejected; nothing was diagnosed.' },
        ]),
      },
      eventType: 'Warning',
      eventReason: rejection.reason,
      eventNote: rejection.message,
    });
    if (!admission.admitted) return rejected(admission);
    const { spec, target } = admission;
    const targetText = describeTarget(namespace, target);
    const failed = (reason: string, message: string): Outcome => ({
      status: {
        observedGeneration: generation,
        verdict: 'Failed',
        target: targetText,
        conditions: withConditions(conditions, generation, now, [
          { type: 'Complete', status: 'False', reason, message },
          { type: 'RootCauseFound', status: 'False', reason, message },
        ]),
      },
      eventType: 'Warning',
      eventReason: reason,
      eventNote: message,
    });

    const resolved = this.resolveTemplate(spec.intent);
    if (resolved.kind === 'NotFound') return failed('TemplateNotFound', `TriageTemplate ${spec.intent} does not exist; the request runs when it is created`);
    if (resolved.kind === 'Invalid') return failed('InvalidTemplate', resolved.message);
    // The boundary needs the resolved template: a custom one or an override can reach further than the built-in.
    const outside = resolved.kind === 'Found' ? authorize(namespace, admission, resolved.template, this.deps.trustedNamespaces) : undefined;
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
        eventType: 'Normal',
        eventReason: 'IntentNotAvailable',
        eventNote: message,
      };
    }

    let diagnosis: Diagnosis;
    try {
      diagnosis = diagnose({
        intent: spec.intent,
        template: resolved.template,
        templateSource: resolved.source,
        target,
        maxSteps: spec.bounds.maxSteps,
        timeoutMs: spec.bounds.timeoutSeconds * 1000,
        minCompleteness: spec.minCompleteness,
        snapshot,
        now: this.deps.now,
      });
    } catch (error: unknown) {
      // An engine bug must end as a Failed status the admin can see, not a key retried forever in silence.
      log.error('Diagnosis failed', { intent: spec.intent, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      const kind = error instanceof Error ? error.name : 'Error';
      return failed('InternalError', `The ${spec.intent} diagnosis failed with ${kind}; the operator log has the details (search for this request)`);
    }
    const mode = modeOf(request.spec);
    this.deps.metrics.triageRuns.inc({ intent: spec.intent, mode });
    const rootCause = diagnosis.envelope.rootCause;
    const previous = request.status?.envelope;
    // Same objects read is not enough: time rules (a grace period ending) change findings without any input
    // changing, and a pending re-check must keep being scheduled.
    const sameInputs =
      mode === 'Continuous' &&
      request.status?.observedGeneration === generation &&
      request.status.verdict === diagnosis.verdict &&
      previous?.inputs.fingerprint === diagnosis.envelope.inputs.fingerprint &&
      previous.rootCause?.code === rootCause?.code &&
      findingsDigest(previous) === findingsDigest(diagnosis.envelope) &&
      diagnosis.recheckAfterMs === undefined;
    if (sameInputs) return { status: request.status, unchanged: true, watchKeys: diagnosis.watchKeys, eventType: 'Normal', eventReason: '', eventNote: '' };
    const recurrence =
      rootCause === undefined
        ? undefined
        : previous?.rootCause?.code === rootCause.code && previous.recurrence !== undefined
          ? { count: previous.recurrence.count + 1, firstSeen: previous.recurrence.firstSeen }
          : { count: 1, firstSeen: now.toISOString() };
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
      eventType: diagnosis.verdict === 'RootCauseFound' ? 'Warning' : 'Normal',
      eventReason: rootCause?.code ?? diagnosis.verdict,
      eventNote: envelope.summary,
    };
  }

  /** A TriageTemplate named like the intent wins (an override of a built-in); else the built-in. */
  private resolveTemplate(intent: string): ResolvedTemplate {
    const custom = this.deps.cache.get('TriageTemplate', intent) as { spec?: unknown } | undefined;
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
}

type ResolvedTemplate =
  | { readonly kind: 'Found'; readonly template: CompiledTemplate; readonly source: 'BuiltIn' | 'Custom' | 'Override' }
  | { readonly kind: 'NotFound' }
  | { readonly kind: 'NotAvailable' }
  | { readonly kind: 'Invalid'; readonly message: string };

function withConditions(
  existing: readonly Condition[],
  generation: number,
  now: Date,
  updates: readonly Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>[],
): Condition[] {
  return updates.reduce<Condition[]>((list, update) => setCondition(list, { ...update, observedGeneration: generation }, now), [...existing]);
}

/** The namespace a listing snapshot needs: the target's, the request's, or all for cluster-wide intents. */
function targetNamespaceOf(spec: unknown, requestNamespace: string): string | undefined {
  const intent = intentOf(spec);
  if (intent === 'cluster-health' || intent === 'node-pressure') return undefined;
  const target = typeof spec === 'object' && spec !== null && 'target' in spec ? (spec.target as { namespace?: unknown; kind?: unknown; name?: unknown } | undefined) : undefined;
  if (target?.kind === 'Namespace' && typeof target.name === 'string') return target.name;
  return typeof target?.namespace === 'string' ? target.namespace : requestNamespace;
}

/** Once or Continuous, read from a spec that may not have passed validation (defaults to Once). */
function modeOf(spec: unknown): 'Once' | 'Continuous' {
  return typeof spec === 'object' && spec !== null && 'mode' in spec && spec.mode === 'Continuous' ? 'Continuous' : 'Once';
}

/** The intent for metric labels, read from a spec that may not have passed validation. */
function intentOf(spec: unknown): string {
  const intent = typeof spec === 'object' && spec !== null && 'intent' in spec ? spec.intent : undefined;
  return typeof intent === 'string' ? intent : '';
}

function subjectOf(request: TriageRequestObject): EventSubject {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TriageRequest',
    namespace: request.metadata.namespace ?? '',
    name: request.metadata.name ?? '',
    uid: request.metadata.uid ?? '',
  };
}

/** What a reader of the findings would notice changing: code, severity and object of each. */
function findingsDigest(envelope: Envelope): string {
  return envelope.findings.map((f) => `${f.code}:${f.severity}:${f.object.uid ?? `${f.object.namespace ?? ''}/${f.object.name}`}`).join(',');
}
