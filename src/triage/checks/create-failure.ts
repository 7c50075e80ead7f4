import { refOf, type Investigation } from '../investigation';
import type { Quantities } from '../objects';
import type { KubeObject } from '../snapshot';
import { parseWebhookFailure, type WebhookCallFailure } from '../webhook-message';
import { lacksPods, newestFailedCreate, POD_CREATORS, type CreateEvidence } from './creators';
import { reportWebhookFailing } from './webhooks';

// Why a controller could not create pods, from its FailedCreate Event (or a ReplicaSet's
// ReplicaFailure condition): the apiserver's admission refusals, read by one grammar.

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

interface ResourceQuota extends KubeObject {
  readonly spec?: { readonly hard?: Quantities };
  readonly status?: { readonly hard?: Quantities; readonly used?: Quantities };
}

// --- FailedCreate ------------------------------------------------------------------------------

interface QuotaItem {
  readonly resource: string;
  readonly requested: string;
  readonly used: string;
  readonly limited: string;
}

interface PodSecurityControl {
  readonly control: string;
  readonly detail: string;
}

/** What a FailedCreate message says stopped the controller from creating pods. */
export type CreateFailure =
  /** The apiserver could not call an admission webhook (failurePolicy Fail), so it refused the pod. */
  | { readonly kind: 'Webhook'; readonly call: WebhookCallFailure }
  | { readonly kind: 'Quota'; readonly quota: string; readonly items: readonly QuotaItem[] }
  /** The quota tracks a resource the pods do not set (a quota on limits.cpu needs every pod to set one). */
  | { readonly kind: 'QuotaUnset'; readonly quota: string; readonly missing: readonly string[] }
  | { readonly kind: 'PodSecurity'; readonly policy: string; readonly controls: readonly PodSecurityControl[] }
  | { readonly kind: 'Other'; readonly text: string };

/** `a=1,b=2` as the quota admission plugin prints resource lists. */
function resourceList(text: string): Map<string, string> {
  return new Map(
    text.split(',').flatMap((pair) => {
      const eq = pair.indexOf('=');
      return eq <= 0 ? [] : [[pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()] as const];
    }),
  );
}

/** Splits on commas outside parentheses (PodSecurity details contain commas inside them). */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth = Math.max(0, depth - 1);
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

/**
 * Reads a FailedCreate message (Event or ReplicaFailure condition): the webhook admission's
 * `failed calling webhook "<name>": ...`, the quota admission plugin's
 * `exceeded quota: <name>, requested: r=q, used: r=q, limited: r=q`, or the PodSecurity admission's
 * `violates PodSecurity "<level>:<version>": <control> (<detail>), ...`.
 */
export function parseCreateFailure(message: string): CreateFailure {
  // First: the apiserver's error wraps whatever the webhook said, which may quote other admission text.
  const call = parseWebhookFailure(message);
  if (call !== undefined) return { kind: 'Webhook', call };
  const quota = /exceeded quota: ([^,\s]+), requested: (\S+), used: (\S+), limited: (\S+)/.exec(message);
  if (quota !== null) {
    const [, name = '', requestedText = '', usedText = '', limitedText = ''] = quota;
    const requested = resourceList(requestedText);
    const used = resourceList(usedText);
    const limited = resourceList(limitedText);
    const items = [...requested.entries()].map(([resource, value]) => ({ resource, requested: value, used: used.get(resource) ?? '?', limited: limited.get(resource) ?? '?' }));
    return { kind: 'Quota', quota: name, items };
  }
  // 1.35: `failed quota: q: must specify limits.cpu for: app; limits.memory for: app`; older: `must specify limits.cpu,limits.memory`.
  const unset = /failed quota: ([^:\s]+): must specify (.+)$/s.exec(message);
  if (unset !== null) {
    const [, name = '', rest = ''] = unset;
    const missing = rest.split(/;\s*|,(?=[a-z.\-/]+(?:\s+for:|,|$))/).map((part) => part.trim().replace(/^must specify\s+/, '').replace(/\.$/, '')).filter((part) => part !== '');
    return { kind: 'QuotaUnset', quota: name, missing };
  }
  const security = /violates PodSecurity "([^"]+)": (.*)$/s.exec(message);
  if (security !== null) {
    const [, policy = '', rest = ''] = security;
    const controls = topLevelParts(rest).map((part) => {
      const open = part.indexOf(' (');
      return open < 0 ? { control: part, detail: '' } : { control: part.slice(0, open), detail: part.slice(open + 2).replace(/\)$/, '') };
    });
    return { kind: 'PodSecurity', policy, controls };
  }
  return { kind: 'Other', text: message.replace(/^Error creating: /, '') };
}

/** Reports why the controller could not create pods: WebhookFailing, QuotaExceeded, PodSecurityRejected, or PodCreationFailed. */
export function reportCreateFailure(inv: Investigation, evidence: CreateEvidence): void {
  const creatorRef = refOf(evidence.creatorKind, evidence.creator);
  const ns = creatorRef.namespace ?? '';
  const who = `${evidence.creatorKind} ${ns}/${creatorRef.name}`;
  const failure = parseCreateFailure(evidence.message);
  switch (failure.kind) {
    case 'Webhook':
      reportWebhookFailing(inv, evidence, failure.call);
      return;
    case 'Quota': {
      const lookup = inv.get<ResourceQuota>('ResourceQuota', 'rollout.quota', failure.quota, ns);
      const quota = lookup.state === 'Found' ? lookup.object : undefined;
      const first = failure.items[0];
      const items = failure.items.map((i) => `${i.resource}: requested ${i.requested}, used ${i.used}, limited ${i.limited}`).join('; ');
      const gone = lookup.state === 'Absent' ? `; ResourceQuota ${failure.quota} no longer exists, so the controller's next retry should succeed` : '';
      inv.report({
        code: 'QuotaExceeded', severity: 'Critical', object: creatorRef, confidence: lookup.state === 'Absent' ? 0.6 : 0.95,
        message: `${who} cannot create pods: they would exceed ResourceQuota ${failure.quota} (${items})${gone}`,
        anchors: [
          ...evidence.anchors,
          ...(quota === undefined || first === undefined ? [] : [inv.anchorField('ResourceQuota', quota, `spec.hard[${first.resource}]`)]),
        ].slice(0, 3),
        chain: [...evidence.chain, refOf('ResourceQuota', quota, { name: failure.quota, namespace: ns })],
        nextActions: [
          { description: `Compare ResourceQuota ${failure.quota}'s hard limits with what is used`, command: `kubectl describe resourcequota ${failure.quota} -n ${ns}`, safety: 'ReadOnly' },
          ...evidence.actions,
        ],
      });
      return;
    }
    case 'QuotaUnset': {
      const lookup = inv.get<ResourceQuota>('ResourceQuota', 'rollout.quota', failure.quota, ns);
      const quota = lookup.state === 'Found' ? lookup.object : undefined;
      inv.report({
        code: 'QuotaExceeded', severity: 'Critical', object: creatorRef, confidence: 0.9,
        message: `${who} cannot create pods: ResourceQuota ${failure.quota} tracks resources the pod template does not set, and the quota admission refuses pods without them: must specify ${failure.missing.join('; ')}`,
        anchors: [...evidence.anchors, ...(quota === undefined ? [] : [inv.anchorField('ResourceQuota', quota, 'spec.hard')])].slice(0, 3),
        chain: [...evidence.chain, refOf('ResourceQuota', quota, { name: failure.quota, namespace: ns })],
        nextActions: [
          { description: `Show which resources ResourceQuota ${failure.quota} tracks; set them in the pod template (or a LimitRange default)`, command: `kubectl describe resourcequota ${failure.quota} -n ${ns}`, safety: 'ReadOnly' },
          ...evidence.actions,
        ],
      });
      return;
    }
    case 'PodSecurity': {
      const lookup = inv.get('Namespace', 'rollout.namespace', ns);
      const namespace = lookup.state === 'Found' ? lookup.object : undefined;
      const enforced = namespace?.metadata?.labels?.[ENFORCE_LABEL];
      // Control names first (they fit the summary), then what each container must set.
      const controls = failure.controls.map((c) => c.control).join(', ');
      const fixes = failure.controls.flatMap((c) => (c.detail === '' ? [] : [c.detail])).join('; ');
      inv.report({
        code: 'PodSecurityRejected', severity: 'Critical', object: creatorRef, confidence: 0.95,
        message: `${who} cannot create pods: PodSecurity "${failure.policy}"${enforced === undefined ? '' : ` of namespace ${ns}`} rejects them: ${controls}${fixes === '' ? '' : `. To comply: ${fixes}`}`,
        anchors: [
          ...evidence.anchors,
          ...(namespace === undefined || enforced === undefined ? [] : [inv.anchorField('Namespace', namespace, `metadata.labels[${ENFORCE_LABEL}]`)]),
        ].slice(0, 3),
        chain: [...evidence.chain, ...(namespace === undefined ? [] : [refOf('Namespace', namespace)])],
        nextActions: [
          { description: `Show namespace ${ns}'s Pod Security labels; fix the pod template's securityContext rather than weakening them`, command: `kubectl get namespace ${ns} --show-labels`, safety: 'ReadOnly' },
          ...evidence.actions,
        ],
      });
      return;
    }
    case 'Other':
      inv.report({
        code: 'PodCreationFailed', severity: 'Critical', object: creatorRef, confidence: 0.8,
        message: `${who} cannot create pods: ${failure.text}`,
        anchors: evidence.anchors.slice(0, 3),
        chain: evidence.chain,
        nextActions: evidence.actions,
      });
  }
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
    creatorKind, creator, chain, message: event.message, anchors: [inv.anchorEvent(event)],
    actions: [{ description: `Show the ${creatorKind} and its events`, command: `kubectl describe ${creatorKind.toLowerCase()} ${ref.name} -n ${ref.namespace ?? ''}`, safety: 'ReadOnly' }],
  });
}
