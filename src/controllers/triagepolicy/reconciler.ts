import { GROUP, VERSION, type Condition, type TriageRequestObject } from '../../crds/triage-request';
import type { TriagePolicyStatus } from '../../crds/triage-policy';
import type { ClusterCache } from '../../kube/cluster-cache';
import type { KubeClient } from '../../kube/client';
import { ApiError, isTransientError } from '../../kube/errors';
import { mergePatch } from '../../kube/merge-patch';
import type { ReconcileContext } from '../../kube/controller-runner';
import { outcome, type ReconcileOutcome } from '../../kube/workqueue';
import { setCondition } from '../conditions';
import {
  countVerdicts,
  creatableSpec,
  isOwnedBy,
  ownerReferenceOf,
  planPolicy,
  POLICY_LABEL,
  type DesiredRequest,
  type NamespaceObject,
  type PolicyObject,
} from './plan';

/** How soon refused writes are tried again (a quota or webhook fixed by hand). */
const REFUSED_RETRY_MS = 60_000;
const requestsPath = (namespace: string) => `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/triagerequests`;
/** A label value is at most 63 characters: a longer policy name is found through the owner reference alone. */
const labelsOf = (policy: string): Record<string, string> => (policy.length <= 63 ? { [POLICY_LABEL]: policy } : {});

/**
 * Keeps a TriagePolicy's requests as its spec says (create the missing, patch the drifted, delete
 * those no longer selected) and writes its status: the selected namespaces counted by verdict. The
 * requests carry the policy as controller owner, so deleting the policy lets the garbage collector
 * remove them.
 */
export class TriagePolicyReconciler {
  constructor(private readonly deps: { readonly cache: ClusterCache; readonly client: KubeClient; readonly now: () => Date }) {}

  async reconcile(name: string, { log }: Pick<ReconcileContext, 'log'>): Promise<ReconcileOutcome> {
    const policy = this.deps.cache.get('TriagePolicy', name) as PolicyObject | undefined;
    if (policy === undefined || policy.metadata.deletionTimestamp !== undefined) return outcome.done;
    const namespaces = this.deps.cache.list('Namespace') as readonly NamespaceObject[];
    const requests = this.deps.cache.list('TriageRequest') as readonly TriageRequestObject[];
    const plan = planPolicy(policy, namespaces, requests);
    const generation = policy.metadata.generation ?? 0;
    if (plan.kind === 'Invalid')
      return this.writeStatus(policy, { observedGeneration: generation }, { status: 'False', reason: 'InvalidSpec', message: plan.message }, log);
    // Each write on its own: one namespace's refusal (its quota, a webhook) must not stop the others.
    const writes = [
      ...plan.create.map((wanted) => ({ what: `create ${wanted.namespace}/${wanted.name}`, run: () => this.create(policy, wanted) })),
      ...plan.update.map((wanted) => ({
        what: `update ${wanted.namespace}/${wanted.name}`,
        run: () => this.deps.client.mergePatch(`${requestsPath(wanted.namespace)}/${encodeURIComponent(wanted.name)}`, { spec: wanted.spec }),
      })),
      ...plan.remove.map((gone) => ({
        what: `delete ${gone.namespace}/${gone.name}`,
        run: () => this.deps.client.delete(`${requestsPath(gone.namespace)}/${encodeURIComponent(gone.name)}`),
      })),
    ];
    const failures: string[] = [];
    let transient = false;
    for (const write of writes) {
      try {
        await write.run();
      } catch (error: unknown) {
        transient ||= isTransientError(error);
        failures.push(`${write.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (writes.length > failures.length)
      log.info('Policy requests kept', { policy: name, created: plan.create.length, updated: plan.update.length, removed: plan.remove.length });
    if (failures.length > 0) log.info('Policy requests not all written', { policy: name, failures: failures.length, first: failures[0] });
    const owned = requests.filter((r) => isOwnedBy(r, policy.metadata.uid ?? ''));
    const intents = (policy.spec as { intents?: readonly string[] } | undefined)?.intents?.length ?? 1;
    const counts = countVerdicts(plan.selected, owned, intents);
    const ready: Pick<Condition, 'status' | 'reason' | 'message'> =
      failures.length > 0
        ? { status: 'False', reason: 'RequestRefused', message: `${failures.length} write(s) refused; ${failures.slice(0, 3).join('; ')}`.slice(0, 1024) }
        : writes.length > 0
          ? { status: 'False', reason: 'Reconciling', message: 'requests were just created, updated or removed' }
          : { status: 'True', reason: 'RequestsInPlace', message: `${plan.selected.length} namespace(s) selected, each with its request(s)` };
    const written = await this.writeStatus(policy, { observedGeneration: generation, ...counts }, ready, log);
    // Refused writes are tried again: a quota freed or a webhook fixed is picked up without an event of its own.
    return failures.length === 0 ? written : transient ? outcome.retry(new Error(failures[0])) : outcome.requeueAfter(REFUSED_RETRY_MS);
  }

  private async create(policy: PolicyObject, wanted: DesiredRequest): Promise<void> {
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'TriageRequest',
      metadata: { name: wanted.name, labels: labelsOf(policy.metadata.name ?? ''), ownerReferences: [ownerReferenceOf(policy)] },
      spec: creatableSpec(wanted.spec),
    };
    try {
      await this.deps.client.create(requestsPath(wanted.namespace), body);
    } catch (error: unknown) {
      if (!(error instanceof ApiError && error.isConflict)) throw error;
      // Ours, created by an earlier pass whose cache had not caught up, is fine; someone else's of that name is a conflict to name.
      const existing = await this.deps.client.getOptional<TriageRequestObject>(`${requestsPath(wanted.namespace)}/${encodeURIComponent(wanted.name)}`);
      if (existing !== undefined && !isOwnedBy(existing, policy.metadata.uid ?? ''))
        throw new Error(`a TriageRequest named ${wanted.name} that this policy does not own is in the way; delete it and the policy creates its own`, {
          cause: error,
        });
    }
  }

  private async writeStatus(
    policy: PolicyObject,
    fields: Omit<TriagePolicyStatus, 'conditions'>,
    ready: Pick<Condition, 'status' | 'reason' | 'message'>,
    log: ReconcileContext['log'],
  ): Promise<ReconcileOutcome> {
    const current = policy.status ?? {};
    const conditions = setCondition(current.conditions ?? [], { type: 'Ready', ...ready, observedGeneration: fields.observedGeneration }, this.deps.now());
    const patch = mergePatch(current, { ...current, ...fields, conditions });
    // Requests just changed: their answers arrive as request events, which enqueue the policy again.
    if (patch === undefined) return outcome.done;
    try {
      await this.deps.client.mergePatch(`/apis/${GROUP}/${VERSION}/triagepolicies/${encodeURIComponent(policy.metadata.name ?? '')}/status`, { status: patch });
      log.debug('Policy status written', { policy: policy.metadata.name, ready: ready.status });
      return outcome.done;
    } catch (error: unknown) {
      if (error instanceof ApiError && error.isNotFound) return outcome.done;
      return isTransientError(error) ? outcome.retry(error) : outcome.terminal(error);
    }
  }
}
