import { createHash } from 'node:crypto';
import { TriagePolicySpec, type TriagePolicyStatus } from '../../crds/triage-policy';
import { GROUP, VERSION, type TriageRequestObject, type Verdict } from '../../crds/triage-request';
import { canonical } from '../../kube/merge-patch';
import { selectorMatches } from '../../triage/label-selector';

/** A request's minCompleteness when its spec sets none (the CRD's default). */
const DEFAULT_MIN_COMPLETENESS = 0.8;

// Pure rules of a TriagePolicy: which requests it should own, how the ones it owns differ, and how its
// namespaces read. The reconciler applies them with the apiserver.

export const POLICY_LABEL = 'triage.dev/policy';

export interface PolicyObject {
  readonly metadata: { readonly name?: string; readonly uid?: string; readonly generation?: number; readonly deletionTimestamp?: string | Date };
  readonly spec?: unknown;
  readonly status?: TriagePolicyStatus;
}

export interface NamespaceObject {
  readonly metadata: { readonly name?: string; readonly labels?: Readonly<Record<string, string>>; readonly deletionTimestamp?: string | Date };
}

/** The spec of a request a policy keeps: what the operator writes and what drift is measured against. */
export interface DesiredRequest {
  readonly namespace: string;
  readonly name: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

export type PolicyPlan =
  | { readonly kind: 'Invalid'; readonly message: string }
  | {
      readonly kind: 'Plan';
      readonly create: readonly DesiredRequest[];
      /** Owned requests whose spec drifted (edited by hand, or the policy changed): patched back. */
      readonly update: readonly DesiredRequest[];
      /** Owned requests no longer wanted (namespace left the selection, intent removed). */
      readonly remove: readonly { readonly namespace: string; readonly name: string }[];
      readonly selected: readonly string[];
    };

/**
 * The request name for a namespace and intent: readable, and unique per policy (a hash of the policy
 * and intent), so two policies or two intents never collide and a name stays within 253 characters.
 */
export function requestNameFor(policy: string, intent: string): string {
  const hash = createHash('sha256').update(`${policy}\u0000${intent}`).digest('hex').slice(0, 8);
  const readable = `${policy}-${intent}`
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 200)
    .replace(/-+$/, '');
  return `${readable}-${hash}`;
}

/** Whether a request is this policy's: its controller owner reference names the policy's uid. */
export function isOwnedBy(request: TriageRequestObject, uid: string): boolean {
  const owners = (request.metadata as { ownerReferences?: readonly { uid?: string; controller?: boolean; kind?: string }[] }).ownerReferences ?? [];
  return owners.some((o) => o.controller === true && o.kind === 'TriagePolicy' && o.uid === uid);
}

export function ownerReferenceOf(policy: PolicyObject): Record<string, unknown> {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'TriagePolicy', name: policy.metadata.name ?? '', uid: policy.metadata.uid ?? '', controller: true };
}

export function planPolicy(policy: PolicyObject, namespaces: readonly NamespaceObject[], requests: readonly TriageRequestObject[]): PolicyPlan {
  const parsed = TriagePolicySpec.safeParse(policy.spec);
  if (!parsed.success) return { kind: 'Invalid', message: parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; ') };
  const spec = parsed.data;
  const policyName = policy.metadata.name ?? '';
  // A namespace being deleted takes its requests with it: none is created there.
  const selected = namespaces
    .filter((ns) => ns.metadata.deletionTimestamp === undefined && selectorMatches(spec.namespaceSelector, ns.metadata.labels ?? {}))
    .map((ns) => ns.metadata.name ?? '')
    .sort();
  const desired = selected.flatMap((namespace) =>
    spec.intents.map((intent) => ({
      namespace,
      name: requestNameFor(policyName, intent),
      spec: {
        intent,
        target: { kind: 'Namespace', name: namespace },
        mode: spec.mode,
        // Every field the policy controls, unset ones as null: a merge patch removes them, and drift of any kind is seen.
        bounds: spec.bounds ?? null,
        minCompleteness: spec.minCompleteness ?? DEFAULT_MIN_COMPLETENESS,
      },
    })),
  );
  const owned = new Map(
    requests.filter((r) => isOwnedBy(r, policy.metadata.uid ?? '')).map((r) => [`${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`, r]),
  );
  const wanted = new Set(desired.map((d) => `${d.namespace}/${d.name}`));
  return {
    kind: 'Plan',
    create: desired.filter((d) => !owned.has(`${d.namespace}/${d.name}`)),
    update: desired.filter((d) => {
      const current = owned.get(`${d.namespace}/${d.name}`);
      return current !== undefined && !specHolds(current.spec, d.spec);
    }),
    remove: [...owned.keys()]
      .filter((key) => !wanted.has(key))
      .sort()
      .map((key) => ({ namespace: key.slice(0, key.indexOf('/')), name: key.slice(key.indexOf('/') + 1) })),
    selected,
  };
}

/** Whether a request's spec has every field the policy controls with the policy's value (null: absent), compared as values. */
function specHolds(actual: unknown, wanted: Readonly<Record<string, unknown>>): boolean {
  const current = (actual ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).every(([key, value]) => canonical(current[key] ?? null) === canonical(value));
}

/** The spec to create: the same fields without the nulls that only a patch needs. */
export function creatableSpec(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== null));
}

/** A namespace's verdict across its requests: the worst one, where "not answered yet" outranks Healthy. */
const RANK: readonly (Verdict | 'Pending')[] = ['RootCauseFound', 'Failed', 'Rejected', 'Inconclusive', 'Pending', 'Healthy'];

/** Counts of the selected namespaces by verdict, from the requests the policy owns. */
export function countVerdicts(
  selected: readonly string[],
  owned: readonly TriageRequestObject[],
  intents: number,
): Omit<TriagePolicyStatus, 'conditions' | 'observedGeneration'> {
  const byNamespace = new Map<string, (Verdict | 'Pending')[]>();
  for (const request of owned) {
    const verdicts = byNamespace.get(request.metadata.namespace ?? '') ?? [];
    // An answer to an older spec is not an answer yet.
    const verdict = request.status?.observedGeneration === request.metadata.generation ? request.status?.verdict : undefined;
    verdicts.push(verdict ?? 'Pending');
    byNamespace.set(request.metadata.namespace ?? '', verdicts);
  }
  const counts = { healthy: 0, rootCauseFound: 0, inconclusive: 0, failed: 0, pending: 0 };
  for (const namespace of selected) {
    const verdicts = byNamespace.get(namespace) ?? [];
    // A missing request (not created yet) counts as not answered.
    const all = verdicts.length < intents ? [...verdicts, 'Pending' as const] : verdicts;
    const worst = RANK.find((verdict) => all.includes(verdict)) ?? 'Pending';
    if (worst === 'Healthy') counts.healthy += 1;
    else if (worst === 'RootCauseFound') counts.rootCauseFound += 1;
    else if (worst === 'Inconclusive') counts.inconclusive += 1;
    else if (worst === 'Pending') counts.pending += 1;
    else counts.failed += 1;
  }
  return { selectedNamespaces: selected.length, ...counts };
}
