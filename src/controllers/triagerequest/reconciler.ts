import { GROUP, RERUN_ANNOTATION, VERSION, type TriageRequestObject, type TriageRequestStatus } from '../../crds/triage-request';
import type { ClusterCache } from '../../kube/cluster-cache';
import type { KubeClient } from '../../kube/client';
import { ApiError, isTransientError } from '../../kube/errors';
import { transitionEventName, type EventRecorder, type EventSubject, type RecordedEvent } from '../../kube/event-recorder';
import { mergePatch } from '../../kube/merge-patch';
import type { ReconcileContext } from '../../kube/controller-runner';
import { outcome, type ReconcileOutcome } from '../../kube/workqueue';
import type { Logger } from '../../logger';
import { intentLabel, type Metrics } from '../../metrics';
import { DiagnosisAborted } from '../../triage/engine';
import { apiVersionOf } from '../../triage/kinds';
import type { ClusterSnapshot } from '../../triage/snapshot';
import { AnnounceBudget } from './announce-budget';
import { announcementOf, answerOf, decideRun, modeOf, nextStatus } from './status';
import { evaluateRequest, withConditions, type Evaluation, type EvaluationDeps } from './evaluate';
import type { TransitionListener } from './transitions';
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
  /** Told of each announced transition (sinks, reports). */
  readonly transitionListeners?: readonly TransitionListener[];
  /** Where a triage reads the cluster: the cache itself, or (benchmark baseline) a fresh listing. */
  readonly snapshotFor?: (namespace: string | undefined) => Promise<ClusterSnapshot>;
}

/**
 * Reconciles one TriageRequest: validate → namespace boundary → diagnose from the cache → one
 * merge patch of /status when it changed. Reads only from informer caches.
 */
export class TriageRequestReconciler {
  private readonly announceBudget = new AnnounceBudget();
  private readonly evaluationDeps: EvaluationDeps;

  constructor(private readonly deps: ReconcilerDeps) {
    this.evaluationDeps = {
      now: deps.now,
      trustedNamespaces: deps.trustedNamespaces,
      templates: deps.cache,
      onDiagnosed: (intent, mode, verdict) => {
        deps.metrics.triageRuns.inc({ intent: intentLabel(intent), mode, verdict });
      },
    };
  }

  async reconcile(key: string, context: ReconcileContext): Promise<ReconcileOutcome> {
    const { log } = context;
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const request = this.deps.cache.get('TriageRequest', name, namespace) as TriageRequestObject | undefined;
    if (request === undefined || request.metadata.deletionTimestamp !== undefined) {
      this.deps.watchIndex.remove(key);
      return outcome.done;
    }
    const current = request.status ?? {};
    const decision = decideRun(request, this.deps.now());
    if (decision.kind === 'Skip') {
      this.deps.metrics.triageSkipped.inc({ reason: 'UpToDate' });
      // A pending time-based re-check survives early wake-ups (resyncs, a requeue that fired a little early).
      return (await this.announce(request, current, log)) ?? (decision.recheckInMs === undefined ? outcome.done : outcome.requeueAfter(decision.recheckInMs));
    }
    const snapshot = this.deps.snapshotFor === undefined ? this.deps.cache : await this.deps.snapshotFor(targetNamespaceOf(request.spec, namespace));
    const continuous = modeOf(request.spec) === 'Continuous';
    if (continuous) this.deps.watchIndex.begin(key);
    let result: Evaluation;
    try {
      result = await evaluateRequest(
        { namespace, request, generation: request.metadata.generation ?? 0, snapshot, log, signal: context.signal },
        this.evaluationDeps,
      );
    } catch (error: unknown) {
      this.deps.watchIndex.finish(key, undefined);
      // Leadership lost or shutting down: the next leader runs this request again; nothing is written.
      if (error instanceof DiagnosisAborted) return outcome.done;
      throw error;
    }
    // Something the run read changed while it ran (the engine yields): its answer may be stale, so run it again.
    const changedMeanwhile = this.deps.watchIndex.finish(key, result.watchKeys);
    // A request deleted while its run was in flight must not be put back into the index.
    const stillThere = this.deps.cache.get('TriageRequest', name, namespace) !== undefined;
    if (continuous && stillThere && result.watchKeys !== undefined) this.deps.watchIndex.set(key, result.watchKeys);
    else this.deps.watchIndex.remove(key);
    const next = nextStatus(current, result.status, request.metadata.annotations?.[RERUN_ANNOTATION], this.deps.now());
    const requeue = changedMeanwhile
      ? outcome.requeueAfter(0)
      : result.recheckAfterMs === undefined
        ? outcome.done
        : outcome.requeueAfter(result.recheckAfterMs);
    const patch = next === undefined ? undefined : mergePatch(current, next);
    if (next === undefined || patch === undefined) {
      this.deps.metrics.triageSkipped.inc({ reason: 'Unchanged' });
      return (await this.announce(request, current, log)) ?? requeue;
    }
    const written = await this.writeStatus(request, patch, log);
    if (written.kind !== 'Written') return written.outcome;
    log.info('Triage written', {
      intent: intentOf(request.spec),
      verdict: next.verdict,
      rootCause: next.envelope?.rootCause?.code,
      generation: request.metadata.generation,
    });
    return (await this.announce({ ...request, metadata: { ...request.metadata, resourceVersion: written.resourceVersion } }, next, log)) ?? requeue;
  }

  /** One conditional merge patch of /status; a failure becomes the outcome the queue needs. */
  private async writeStatus(
    request: TriageRequestObject,
    patch: unknown,
    log: Logger,
  ): Promise<{ readonly kind: 'Written'; readonly resourceVersion: string | undefined } | { readonly kind: 'Failed'; readonly outcome: ReconcileOutcome }> {
    const failed = (result: ReconcileOutcome) => ({ kind: 'Failed' as const, outcome: result });
    try {
      const written = await this.deps.client.mergePatch<TriageRequestObject>(
        statusPath(request.metadata.namespace ?? '', request.metadata.name ?? ''),
        // The resourceVersion makes the patch conditional: a stale cache gets 409, not a lost update.
        { metadata: { resourceVersion: request.metadata.resourceVersion }, status: patch },
      );
      this.deps.metrics.statusWrites.inc({ result: 'ok' });
      return { kind: 'Written', resourceVersion: written.metadata.resourceVersion };
    } catch (error: unknown) {
      this.deps.metrics.statusWrites.inc({ result: error instanceof ApiError ? String(error.statusCode) : 'error' });
      if (error instanceof ApiError && error.isNotFound) return failed(outcome.done);
      // A conflict means our cache was behind our own last write: the runner counts it as a requeue, not an error.
      if (error instanceof ApiError && error.isConflict) return failed(outcome.retry(error));
      log.debug('Status write failed', { error: error instanceof Error ? error.message : String(error) });
      if (isTooLarge(error)) return failed(await this.writeTooLarge(request, request.metadata.generation ?? 0, log));
      return failed(isTransientError(error) ? outcome.retry(error) : outcome.terminal(error));
    }
  }

  /**
   * Writes the Event of the status's latest transition if it was not announced yet (this write, or one
   * an earlier crash or outage cut short), then records that it was. Returns an outcome only on failure.
   */
  private async announce(request: TriageRequestObject, status: TriageRequestStatus, log: Logger): Promise<ReconcileOutcome | undefined> {
    const transition = status.transitions ?? 0;
    if (transition <= (status.announcedTransitions ?? 0)) return undefined;
    const subject = subjectOf(request);
    const wait = this.announceBudget.take(subject.uid, this.deps.now().getTime());
    if (wait > 0) return outcome.requeueAfter(wait);
    try {
      const announcement = announcementOf(status);
      await this.deps.recorder.announce(subject, announcement, transitionEventName(subject, transition));
      await this.announceOnTarget(subject, status, announcement, transition, log);
      // Conditional on the version just read or written: a stale copy must not move the record backwards.
      await this.deps.client.mergePatch(statusPath(subject.namespace, subject.name), {
        metadata: { resourceVersion: request.metadata.resourceVersion },
        status: { announcedTransitions: transition },
      });
      const announced = { request: { namespace: subject.namespace, name: subject.name, uid: subject.uid }, status, number: transition };
      for (const listener of this.deps.transitionListeners ?? []) {
        // One listener's bug must neither skip the others nor fail a reconcile whose work is done.
        try {
          listener.notify(announced);
        } catch (error: unknown) {
          log.error('Transition listener failed', { listener: listener.name, error: error instanceof Error ? error.message : String(error) });
        }
      }
      return undefined;
    } catch (error: unknown) {
      if (error instanceof ApiError && error.isNotFound) return outcome.done;
      // The request is deleted with its namespace: no one is left to read the Event.
      if (error instanceof ApiError && error.isNamespaceTerminating) return outcome.done;
      log.debug('Event not announced yet', { transition, error: error instanceof Error ? error.message : String(error) });
      return isTransientError(error) ? outcome.retry(error) : outcome.terminal(error);
    }
  }

  /**
   * The same transition, on the diagnosed object itself (regarding the target, related to the request),
   * so `kubectl describe pod` and `kubectl events --for` show it. Named from both uids and the transition:
   * written again after a crash it is a 409, not a second Event. A target that is gone, or a namespace the
   * operator may not write Events in, costs only this Event: the request's own was written.
   */
  private async announceOnTarget(
    request: EventSubject,
    status: TriageRequestStatus,
    announcement: RecordedEvent,
    transition: number,
    log: Logger,
  ): Promise<void> {
    const target = targetSubjectOf(status);
    if (target === undefined) return;
    try {
      await this.deps.recorder.announce(target, announcement, transitionEventName({ ...target, uid: `${request.uid}/${target.uid}` }, transition), request);
    } catch (error: unknown) {
      if (!(error instanceof ApiError && (error.isNotFound || error.statusCode === 403))) throw error;
      log.debug('Event on the diagnosed object not written', { target: `${target.kind}/${target.name}`, error: error.message });
    }
  }

  /** The apiserver refused the status as too large (the object is near etcd's limit): say so in a status that fits. */
  private async writeTooLarge(request: TriageRequestObject, generation: number, log: Logger): Promise<ReconcileOutcome> {
    const now = this.deps.now();
    const message =
      "The apiserver refused this request's status as too large (the object is close to its size limit, e.g. large annotations); nothing was written";
    const status: TriageRequestStatus = {
      observedGeneration: generation,
      verdict: 'Failed',
      conditions: withConditions([], generation, now, [
        { type: 'Complete', status: 'False', reason: 'StatusTooLarge', message },
        { type: 'RootCauseFound', status: 'False', reason: 'StatusTooLarge', message },
      ]),
    };
    try {
      await this.deps.client.mergePatch(statusPath(request.metadata.namespace ?? '', request.metadata.name ?? ''), {
        status: { ...status, answer: answerOf(status) ?? null, target: null, nextCheckAt: null, envelope: null },
      });
      log.info('Status too large, wrote a Failed status instead', { generation });
      return outcome.done;
    } catch (error: unknown) {
      // Permanent either way: retrying the same write cannot succeed.
      return outcome.terminal(error);
    }
  }
}

/** The namespace a listing snapshot needs: the target's, the request's, or all for cluster-wide intents. */
function targetNamespaceOf(spec: unknown, requestNamespace: string): string | undefined {
  const intent = intentOf(spec);
  if (intent === 'cluster-health' || intent === 'node-pressure') return undefined;
  const target =
    typeof spec === 'object' && spec !== null && 'target' in spec
      ? (spec.target as { namespace?: unknown; kind?: unknown; name?: unknown } | undefined)
      : undefined;
  if (target?.kind === 'Namespace' && typeof target.name === 'string') return target.name;
  return typeof target?.namespace === 'string' ? target.namespace : requestNamespace;
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

/** The object a status diagnosed, when it was one named object that was read (not a namespace sweep or a selector). */
function targetSubjectOf(status: TriageRequestStatus): EventSubject | undefined {
  const target = status.envelope?.target;
  if (target?.uid === undefined || target.name === undefined || target.kind === 'Namespace') return undefined;
  return { apiVersion: apiVersionOf(target.kind), kind: target.kind, namespace: target.namespace ?? '', name: target.name, uid: target.uid };
}

function statusPath(namespace: string, name: string): string {
  return `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/triagerequests/${name}/status`;
}

/** The apiserver or etcd refused a write for its size: the same write can never succeed. */
function isTooLarge(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return error.statusCode === 413 || (error.statusCode === 500 && /too large/i.test(error.message));
}
