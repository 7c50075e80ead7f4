import type { ObjectRef } from '../../crds/envelope';
import { parseCreateFailure, type CreateFailure } from '../create-failure-message';
import { refOf, type Investigation } from '../investigation';
import type { Quantities } from '../objects';
import type { KubeObject } from '../snapshot';
import { codesOf, defineRule, runRules } from './check';
import { lacksPods, newestFailedCreate, POD_CREATORS, type CreateEvidence } from './creators';
import { reportWebhookFailing } from './webhooks';

// Why a controller could not create pods, from its FailedCreate Event (or a ReplicaSet's
// ReplicaFailure condition): the apiserver's admission refusals, read by one grammar
// (create-failure-message.ts), each proved by one rule.

export { parseCreateFailure, type CreateFailure } from '../create-failure-message';

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

interface ResourceQuota extends KubeObject {
  readonly spec?: { readonly hard?: Quantities };
  readonly status?: { readonly hard?: Quantities; readonly used?: Quantities };
}

/** What the create-failure rules share: the refused creator, what the apiserver said, and how it was reached. */
interface CreateRun {
  readonly inv: Investigation;
  readonly evidence: CreateEvidence;
  readonly failure: CreateFailure;
  readonly creatorRef: ObjectRef;
  readonly ns: string;
  /** "ReplicaSet shop/api-1" */
  readonly who: string;
}

// The apiserver could not call a webhook that fails closed: it refuses every pod until the webhook answers (webhooks.ts reads why).
const webhookRule = defineRule<CreateRun>({
  name: 'webhookFailing',
  proves: ['WebhookFailing'],
  run: ({ inv, evidence, failure }) => {
    if (failure.kind !== 'Webhook') return false;
    reportWebhookFailing(inv, evidence, failure.call);
    return true;
  },
});

/** The quota a failure names, when the cache holds it, and whether it was deleted since. */
function quotaOf(c: CreateRun, name: string): { readonly quota: ResourceQuota | undefined; readonly absent: boolean } {
  const lookup = c.inv.get<ResourceQuota>('ResourceQuota', 'rollout.quota', name, c.ns);
  return { quota: lookup.state === 'Found' ? lookup.object : undefined, absent: lookup.state === 'Absent' };
}

// The quota admission plugin refuses a pod whose requests would take a ResourceQuota past its hard limits; a deleted quota refuses no more.
const quotaExceededRule = defineRule<CreateRun>({
  name: 'quotaExceeded',
  proves: ['QuotaExceeded'],
  run: (c) => {
    const { inv, evidence, failure, creatorRef, ns, who } = c;
    if (failure.kind !== 'Quota') return false;
    const { quota, absent } = quotaOf(c, failure.quota);
    const first = failure.items[0];
    const items = failure.items.map((i) => `${i.resource}: requested ${i.requested}, used ${i.used}, limited ${i.limited}`).join('; ');
    const gone = absent ? `; ResourceQuota ${failure.quota} no longer exists, so the controller's next retry should succeed` : '';
    inv.report({
      code: 'QuotaExceeded',
      severity: 'Critical',
      object: creatorRef,
      confidence: absent ? 0.6 : 0.95,
      message: `${who} cannot create pods: they would exceed ResourceQuota ${failure.quota} (${items})${gone}`,
      anchors: [
        ...evidence.anchors,
        ...(quota === undefined || first === undefined ? [] : [inv.anchorField('ResourceQuota', quota, `spec.hard[${first.resource}]`)]),
      ].slice(0, 3),
      chain: [...evidence.chain, refOf('ResourceQuota', quota, { name: failure.quota, namespace: ns })],
      nextActions: [
        {
          description: `Compare ResourceQuota ${failure.quota}'s hard limits with what is used`,
          command: `kubectl describe resourcequota ${failure.quota} -n ${ns}`,
          safety: 'ReadOnly',
        },
        ...evidence.actions,
      ],
    });
    return true;
  },
});

// A quota on a resource (limits.cpu) makes the quota admission refuse every pod that does not set it: the pod template lacks it.
const quotaUnsetRule = defineRule<CreateRun>({
  name: 'quotaUnset',
  proves: ['QuotaExceeded'],
  run: (c) => {
    const { inv, evidence, failure, creatorRef, ns, who } = c;
    if (failure.kind !== 'QuotaUnset') return false;
    const { quota } = quotaOf(c, failure.quota);
    inv.report({
      code: 'QuotaExceeded',
      severity: 'Critical',
      object: creatorRef,
      confidence: 0.9,
      message: `${who} cannot create pods: ResourceQuota ${failure.quota} tracks resources the pod template does not set, and the quota admission refuses pods without them: must specify ${failure.missing.join('; ')}`,
      anchors: [...evidence.anchors, ...(quota === undefined ? [] : [inv.anchorField('ResourceQuota', quota, 'spec.hard')])].slice(0, 3),
      chain: [...evidence.chain, refOf('ResourceQuota', quota, { name: failure.quota, namespace: ns })],
      nextActions: [
        {
          description: `Show which resources ResourceQuota ${failure.quota} tracks; set them in the pod template (or a LimitRange default)`,
          command: `kubectl describe resourcequota ${failure.quota} -n ${ns}`,
          safety: 'ReadOnly',
        },
        ...evidence.actions,
      ],
    });
    return true;
  },
});

// PodSecurity admission enforces its namespace's level on every pod created: a template that breaks a control is refused each time.
const podSecurityRule = defineRule<CreateRun>({
  name: 'podSecurityRejected',
  proves: ['PodSecurityRejected'],
  run: ({ inv, evidence, failure, creatorRef, ns, who }) => {
    if (failure.kind !== 'PodSecurity') return false;
    const lookup = inv.get('Namespace', 'rollout.namespace', ns);
    const namespace = lookup.state === 'Found' ? lookup.object : undefined;
    const enforced = namespace?.metadata?.labels?.[ENFORCE_LABEL];
    // Control names first (they fit the summary), then what each container must set.
    const controls = failure.controls.map((c) => c.control).join(', ');
    const fixes = failure.controls.flatMap((c) => (c.detail === '' ? [] : [c.detail])).join('; ');
    inv.report({
      code: 'PodSecurityRejected',
      severity: 'Critical',
      object: creatorRef,
      confidence: 0.95,
      message: `${who} cannot create pods: PodSecurity "${failure.policy}"${enforced === undefined ? '' : ` of namespace ${ns}`} rejects them: ${controls}${fixes === '' ? '' : `. To comply: ${fixes}`}`,
      anchors: [
        ...evidence.anchors,
        ...(namespace === undefined || enforced === undefined ? [] : [inv.anchorField('Namespace', namespace, `metadata.labels[${ENFORCE_LABEL}]`)]),
      ].slice(0, 3),
      chain: [...evidence.chain, ...(namespace === undefined ? [] : [refOf('Namespace', namespace)])],
      nextActions: [
        {
          description: `Show namespace ${ns}'s Pod Security labels; fix the pod template's securityContext rather than weakening them`,
          command: `kubectl get namespace ${ns} --show-labels`,
          safety: 'ReadOnly',
        },
        ...evidence.actions,
      ],
    });
    return true;
  },
});

// Any other refusal (a missing ServiceAccount, a LimitRange, a denying webhook): the controller retries it unchanged, so it is quoted as the cause.
const podCreationFailedRule = defineRule<CreateRun>({
  name: 'podCreationFailed',
  proves: ['PodCreationFailed'],
  run: ({ inv, evidence, failure, creatorRef, who }) => {
    if (failure.kind !== 'Other') return false;
    inv.report({
      code: 'PodCreationFailed',
      severity: 'Critical',
      object: creatorRef,
      confidence: 0.8,
      message: `${who} cannot create pods: ${failure.text}`,
      anchors: evidence.anchors.slice(0, 3),
      chain: evidence.chain,
      nextActions: evidence.actions,
    });
    return true;
  },
});

/** One rule per kind of refusal the grammar reads; exactly one of them fits any message. */
const CREATE_FAILURE_RULES = [webhookRule, quotaExceededRule, quotaUnsetRule, podSecurityRule, podCreationFailedRule];

/** Every code a create failure can be reported with: the checks that report one list them. */
export const CREATE_FAILURE_CODES = codesOf(CREATE_FAILURE_RULES);

/** Reports why the controller could not create pods: WebhookFailing, QuotaExceeded, PodSecurityRejected, or PodCreationFailed. */
export function reportCreateFailure(inv: Investigation, evidence: CreateEvidence): void {
  const creatorRef = refOf(evidence.creatorKind, evidence.creator);
  const ns = creatorRef.namespace ?? '';
  const failure = parseCreateFailure(evidence.message);
  runRules(CREATE_FAILURE_RULES, { inv, evidence, failure, creatorRef, ns, who: `${evidence.creatorKind} ${ns}/${creatorRef.name}` });
}

/**
 * For the workload checks: a creator still short of pods whose newest FailedCreate says why reports it
 * (pods never created have no cause of their own to follow: the refused create is the cause).
 */
export function reportRefusedCreate(inv: Investigation, creatorKind: string, creator: KubeObject, chain: CreateEvidence['chain']): void {
  if (!POD_CREATORS.has(creatorKind) || !lacksPods(creatorKind, creator)) return;
  const event = newestFailedCreate(inv, creatorKind, creator, 'workload.events');
  if (event === undefined) return;
  const ref = refOf(creatorKind, creator);
  reportCreateFailure(inv, {
    creatorKind,
    creator,
    chain,
    message: event.message,
    anchors: [inv.anchorEvent(event)],
    actions: [
      {
        description: `Show the ${creatorKind} and its events`,
        command: `kubectl describe ${creatorKind.toLowerCase()} ${ref.name} -n ${ref.namespace ?? ''}`,
        safety: 'ReadOnly',
      },
    ],
  });
}
