import type { NextAction, ObjectRef, UnavailableReason } from '../../crds/envelope';
import { refOf, unavailableReasonOf, type Candidate, type Investigation } from '../investigation';
import { compareStrings, type EndpointSlice, type EventRecord, type Service } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import { parseWebhookFailure, type WebhookCallFailure } from '../webhook-message';
import { codesOf, defineRule, runRules, type Check } from './check';
import { lacksPods, newestFailedCreate, POD_CREATORS, statusFailure, type CreateEvidence } from './creators';

// Admission webhooks, read from their configurations and the Services they call. A webhook whose
// backend is gone blocks (failurePolicy Fail) or silently skips (Ignore) every matching API request,
// cluster-wide: one of the widest outages a single object can cause. What it blocks shows in the
// refused controllers' FailedCreate Events, which name the webhook.

type WebhookKind = 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';
const WEBHOOK_KINDS: readonly WebhookKind[] = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'];
const PLURAL: Readonly<Record<WebhookKind, string>> = {
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
};
/** Blocked workloads named in one finding; the rest are counted. */
const MAX_BLOCKED_LISTED = 5;
/**
 * FailedCreate Events examined per webhook, newest first: each costs a lookup of its subject and that
 * subject's Events, and anyone may file Events; the newest 50 name what a webhook blocks now.
 */
const MAX_EVENTS_PER_WEBHOOK = 50;
/**
 * When what a FailedCreate blames is fixed (the configuration deleted, failurePolicy Ignore, the Service
 * ready), the creator's controller passes on its next retry, which its rate-limited queue schedules with
 * a per-item backoff (5 ms doubling, up to 1000 s; any change to the object retries at once). A look a
 * minute later sees the pods, or the same stale Event and waits another minute: never a root cause meanwhile.
 */
const RETRY_RECHECK_SECONDS = 60;

interface Webhook {
  readonly name?: string;
  readonly failurePolicy?: string;
  readonly clientConfig?: { readonly service?: { readonly namespace?: string; readonly name?: string; readonly port?: number }; readonly url?: string };
}

interface WebhookConfiguration extends KubeObject {
  readonly webhooks?: readonly Webhook[];
}

/** failurePolicy defaults to Fail in admissionregistration/v1: an unreachable webhook rejects requests. */
function failsClosed(webhook: Webhook): boolean {
  return (webhook.failurePolicy ?? 'Fail') === 'Fail';
}

function configAction(kind: WebhookKind, name: string): NextAction {
  return { description: `Show ${kind} ${name}`, command: `kubectl get ${PLURAL[kind]} ${name} -o yaml`, safety: 'ReadOnly' };
}

function serviceAction(service: ObjectRef): NextAction {
  return {
    description: `Show the webhook's Service and its endpoints`,
    command: `kubectl describe svc ${service.name} -n ${service.namespace ?? ''}`,
    safety: 'ReadOnly',
  };
}

function configAnchor(inv: Investigation, kind: WebhookKind, config: WebhookConfiguration, webhook: Webhook): string {
  const field = webhook.clientConfig?.service === undefined ? 'url' : 'service';
  return inv.anchorField(kind, config, `webhooks[name=${webhook.name ?? ''}].clientConfig.${field}`);
}

// --- the backend, as the cache shows it --------------------------------------------------------

/** A webhook's Service backend: what the apiserver resolves on every call. */
type Backend =
  /** A url clientConfig: nothing in the cluster to look at. */
  | { readonly state: 'NoService' }
  | { readonly state: 'Unreadable'; readonly service: ObjectRef }
  | { readonly state: 'Sound'; readonly service: ObjectRef }
  | {
      readonly state: 'Broken';
      readonly code: 'WebhookServiceNotFound' | 'WebhookNoReadyEndpoints';
      readonly service: ObjectRef;
      /** What is wrong with it: "does not exist", "has no ready endpoint". */
      readonly fault: string;
      readonly anchors: readonly string[];
    };

/** Looks up a webhook's Service and its EndpointSlices: the apiserver cannot call a Service that is missing or has no ready endpoint. */
function webhookBackend(inv: Investigation, webhook: Webhook): Backend {
  const service = webhook.clientConfig?.service;
  if (service?.name === undefined || service.namespace === undefined) return { state: 'NoService' };
  const named = refOf('Service', undefined, { name: service.name, namespace: service.namespace });
  const lookup = inv.get<Service>('Service', 'webhook.service', service.name, service.namespace);
  if (lookup.state === 'Absent') return { state: 'Broken', code: 'WebhookServiceNotFound', service: named, fault: 'does not exist', anchors: [] };
  if (lookup.state !== 'Found') return { state: 'Unreadable', service: named };
  const found = refOf('Service', lookup.object);
  // The index is keyed by namespace/name: a read by name, so it stops at the boundary like inv.get.
  if (!inv.mayRead('EndpointSlice', service.namespace)) return { state: 'Unreadable', service: found };
  const slices = inv.byIndex<EndpointSlice>('EndpointSlice', 'webhook.endpoints', INDEX.service, `${service.namespace}/${service.name}`);
  if (slices === undefined) return { state: 'Unreadable', service: found };
  if (slices.flatMap((s) => s.endpoints ?? []).some((e) => e.conditions?.ready === true)) return { state: 'Sound', service: found };
  const anchor =
    slices[0] === undefined ? inv.anchorField('Service', lookup.object, 'spec.selector') : inv.anchorField('EndpointSlice', slices[0], 'endpoints');
  return { state: 'Broken', code: 'WebhookNoReadyEndpoints', service: found, fault: 'has no ready endpoint', anchors: [anchor] };
}

/** What the apiserver's error says went wrong, in a few words. */
function callText(call: WebhookCallFailure): string {
  const service =
    call.service === undefined ? 'its Service' : `its Service ${call.service.namespace === undefined ? '' : `${call.service.namespace}/`}${call.service.name}`;
  switch (call.problem) {
    case 'ServiceNotFound':
      return `${service} does not exist`;
    case 'NoEndpoints':
      return `${service} has no ready endpoint`;
    case 'ServicePortNotFound':
      return `${service} has no such port (${call.detail})`;
    case 'ConnectionRefused':
      return 'the connection was refused (nothing listens at its address)';
    case 'Timeout':
      return `the call timed out (${call.detail})`;
    case 'TLS':
      // crypto/x509's own words say what is wrong with the certificate; "tls: failed to verify certificate: " adds nothing.
      return `TLS failed (${/x509: .*/.exec(call.detail)?.[0] ?? call.detail})`;
    case 'HostNotFound':
      return 'its host name does not resolve';
    case 'InvalidResponse':
      return `its answer was not a valid AdmissionReview (${call.detail})`;
    case 'Other':
      return call.detail === '' ? 'the apiserver gave no reason' : call.detail;
  }
}

/**
 * Why a webhook call fails, from the backend the cache shows and the apiserver's own error. `settled`:
 * the cache shows the cause the error names gone (the Service exists now, with ready endpoints), and
 * the apiserver resolves the Service on every call, so the next retry should pass.
 */
function failureText(backend: Backend, call: WebhookCallFailure): { readonly text: string; readonly settled: boolean } {
  const service = (ref: ObjectRef) => `${ref.namespace ?? ''}/${ref.name}`;
  if (backend.state === 'Broken') return { text: `its Service ${service(backend.service)} ${backend.fault}`, settled: false };
  const said = callText(call);
  if (backend.state === 'Sound' && (call.problem === 'ServiceNotFound' || call.problem === 'NoEndpoints')) {
    return { text: `${said}, but Service ${service(backend.service)} has ready endpoints now, so the next retry should pass`, settled: true };
  }
  return { text: said, settled: false };
}

// --- finding a webhook by name -----------------------------------------------------------------

interface WebhookLocation {
  readonly kind: WebhookKind;
  readonly config: WebhookConfiguration;
  readonly webhook: Webhook;
}

type WebhookLookup =
  | { readonly state: 'Found'; readonly location: WebhookLocation }
  | { readonly state: 'Absent' }
  | { readonly state: 'Unavailable'; readonly reason: UnavailableReason };

/**
 * The configuration holding a webhook of this name (names are unique only within a configuration):
 * one that fails closed first, since only those refuse requests, then by kind and name.
 */
function findWebhook(inv: Investigation, name: string): WebhookLookup {
  const found: WebhookLocation[] = [];
  let unreadable: UnavailableReason | undefined;
  for (const kind of WEBHOOK_KINDS) {
    const configs = inv.list<WebhookConfiguration>(kind, 'webhook.configurations');
    if (configs === undefined) {
      // Beyond an untrusted request's boundary (cluster-scoped configuration) reads as RBAC's refusal does.
      const state = inv.snapshot.availability(kind);
      unreadable ??= !inv.mayRead(kind) || state === 'Synced' ? 'Forbidden' : unavailableReasonOf(state);
      continue;
    }
    for (const config of configs) for (const webhook of config.webhooks ?? []) if (webhook.name === name) found.push({ kind, config, webhook });
  }
  found.sort(
    (a, b) =>
      Number(failsClosed(b.webhook)) - Number(failsClosed(a.webhook)) ||
      compareStrings(a.kind, b.kind) ||
      compareStrings(a.config.metadata?.name ?? '', b.config.metadata?.name ?? ''),
  );
  const [first] = found;
  if (first !== undefined) return { state: 'Found', location: first };
  // A configuration we could not read may hold it: that is not "it no longer exists".
  return unreadable === undefined ? { state: 'Absent' } : { state: 'Unavailable', reason: unreadable };
}

// --- WebhookFailing on the workload ------------------------------------------------------------

/** "pods.policy.example.com, at Service policy/policy-svc": the webhook, and where the apiserver's error says it sent the call. */
function calledText(call: WebhookCallFailure): string {
  const service =
    call.service === undefined ? '' : `, at Service ${call.service.namespace === undefined ? '' : `${call.service.namespace}/`}${call.service.name}`;
  return `${call.webhook}${service}`;
}

/**
 * Reports WebhookFailing on a pod creator whose FailedCreate names a webhook the apiserver could not
 * call: it refuses every pod the creator would create (failurePolicy Fail), so it blocks the rollout
 * alone. Chain: symptom → creator → the webhook's configuration → its Service. When the cache shows the
 * cause gone (no configuration holds the webhook, it fails open now, its Service has ready endpoints),
 * the Event is likely stale: an Info finding awaiting the controller's next retry, not a root cause.
 */
export function reportWebhookFailing(inv: Investigation, evidence: CreateEvidence, call: WebhookCallFailure): void {
  const creatorRef = refOf(evidence.creatorKind, evidence.creator);
  const who = `${evidence.creatorKind} ${creatorRef.namespace ?? ''}/${creatorRef.name}`;
  const lookup = findWebhook(inv, call.webhook);
  const listConfigs: NextAction = {
    description: 'List the admission webhook configurations',
    command: 'kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations',
    safety: 'ReadOnly',
  };
  if (lookup.state === 'Unavailable') {
    // Forbidden (RBAC, or beyond an untrusted request's boundary) or not synced: only the Event's own words are left.
    inv.report({
      code: 'WebhookFailing',
      severity: 'Critical',
      object: creatorRef,
      confidence: 0.7,
      blocksAlone: true,
      message: `${who} cannot create pods: the apiserver cannot call webhook ${calledText(call)}: ${call.detail === '' ? 'it gave no reason' : call.detail} (per the FailedCreate; its configuration: ${lookup.reason})`,
      anchors: evidence.anchors.slice(0, 3),
      chain: evidence.chain,
      nextActions: [
        inv.mayRead('ValidatingWebhookConfiguration')
          ? listConfigs
          : { ...listConfigs, description: 'List the admission webhook configurations (cluster-scoped: ask from a trusted namespace, or a cluster admin)' },
        ...evidence.actions,
      ],
    });
    return;
  }
  if (lookup.state === 'Absent') {
    // Deleted since the Event: nothing will call the webhook again, so the controller's next retry should pass.
    inv.report({
      code: 'WebhookFailing',
      severity: 'Info',
      object: creatorRef,
      confidence: 0.6,
      benign: true,
      recheckAfterSeconds: RETRY_RECHECK_SECONDS,
      // The apiserver's reason is in the cited Event; the summary must keep room for "not decidable yet".
      message: `${who} could not create pods: the apiserver could not call webhook ${call.webhook}; no configuration holds it now, so the controller's next retry should pass`,
      anchors: evidence.anchors.slice(0, 3),
      chain: evidence.chain,
      nextActions: [listConfigs, ...evidence.actions],
    });
    return;
  }
  reportFoundWebhookFailing(inv, evidence, call, lookup.location, who);
}

/** The webhook's configuration is in the cache: its backend and failurePolicy say whether the refusal still holds. */
function reportFoundWebhookFailing(inv: Investigation, evidence: CreateEvidence, call: WebhookCallFailure, location: WebhookLocation, who: string): void {
  const creatorRef = refOf(evidence.creatorKind, evidence.creator);
  const [first, ...rest] = evidence.anchors;
  const { kind, config, webhook } = location;
  const configRef = refOf(kind, config);
  const anchor = configAnchor(inv, kind, config, webhook);
  const backend = webhookBackend(inv, webhook);
  const serviceRef = backend.state === 'NoService' ? undefined : backend.service;
  const { text, settled } = failureText(backend, call);
  // An Ignore webhook is skipped when it fails: the policy was changed since the Event, and the next retry passes.
  const ignored = !failsClosed(webhook);
  const passes = settled || ignored;
  inv.report({
    code: 'WebhookFailing',
    object: creatorRef,
    ...(passes
      ? { severity: 'Info', confidence: 0.6, benign: true, recheckAfterSeconds: RETRY_RECHECK_SECONDS }
      : { severity: 'Critical', confidence: backend.state === 'Broken' ? 0.95 : 0.85, blocksAlone: true }),
    message: `${who} ${passes ? 'could not create pods: the apiserver could not' : 'cannot create pods: the apiserver cannot'} call webhook ${call.webhook} (${kind} ${configRef.name}): ${text}${ignored ? '; its failurePolicy is Ignore now, so the next retry should pass' : ''}`,
    anchors: [...(first === undefined ? [] : [first]), anchor, ...(backend.state === 'Broken' ? backend.anchors : []), ...rest].slice(0, 3),
    chain: [...evidence.chain, configRef, ...(serviceRef === undefined ? [] : [serviceRef])],
    nextActions: [configAction(kind, configRef.name), ...(serviceRef === undefined ? [] : [serviceAction(serviceRef)]), ...evidence.actions],
  });
}

// --- what a webhook blocks ---------------------------------------------------------------------

interface Blocked {
  /** The workload to the creator: Deployment → ReplicaSet, or the creator alone. */
  readonly chain: readonly ObjectRef[];
  readonly event: EventRecord;
  readonly call: WebhookCallFailure;
  readonly kind: string;
  readonly creator: KubeObject;
  /** The creator's controller says so too, in its status (a ReplicaFailure condition naming this webhook): not only an Event. */
  readonly corroborated: boolean;
}

/** The creator's owning Deployment (a ReplicaSet's controller), matched by uid, with the creator. */
function workloadChain(inv: Investigation, kind: string, creator: KubeObject): ObjectRef[] {
  const ref = refOf(kind, creator);
  const owner = creator.metadata?.ownerReferences?.find((o) => o.controller === true && o.kind === 'Deployment');
  if (kind !== 'ReplicaSet' || owner === undefined) return [ref];
  const lookup = inv.get('Deployment', 'webhook.blocked', owner.name, ref.namespace);
  return lookup.state === 'Found' && lookup.object.metadata?.uid === owner.uid ? [refOf('Deployment', lookup.object), ref] : [ref];
}

/**
 * Pod creators the webhook blocks now, in a stable order: a FailedCreate Event names it, its subject
 * (looked up by uid in the Event's own namespace) still lacks pods, and its newest FailedCreate still
 * names this webhook.
 */
function blockedBy(inv: Investigation, name: string): Blocked[] {
  const seen = new Set<string>();
  const blocked: Blocked[] = [];
  for (const event of inv.indexedEvents(INDEX.failedWebhook, name, 'webhook.events').slice(0, MAX_EVENTS_PER_WEBHOOK)) {
    const subject = event.subject;
    if (subject === undefined || !POD_CREATORS.has(subject.kind) || seen.has(subject.uid)) continue;
    // Anyone can file an Event naming any object in their own namespace: only the object it names there, by uid, counts.
    const lookup = inv.get(subject.kind, 'webhook.blocked', subject.name, event.namespace);
    if (lookup.state !== 'Found' || lookup.object.metadata?.uid !== subject.uid) continue;
    // Marked only once found: a spoofed Event filed elsewhere must not hide the real one.
    seen.add(subject.uid);
    if (!lacksPods(subject.kind, lookup.object)) continue;
    // A later FailedCreate for another reason (the webhook was fixed, a quota is hit now) supersedes this one.
    const newest = newestFailedCreate(inv, subject.kind, lookup.object, 'webhook.events');
    const call = newest === undefined ? undefined : parseWebhookFailure(newest.message);
    if (newest === undefined || call?.webhook !== name) continue;
    const said = statusFailure(subject.kind, lookup.object);
    const corroborated = said !== undefined && parseWebhookFailure(said)?.webhook === name;
    blocked.push({ chain: workloadChain(inv, subject.kind, lookup.object), event: newest, call, kind: subject.kind, creator: lookup.object, corroborated });
  }
  const label = (b: Blocked) => b.chain.map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`).join('>');
  return blocked.sort((a, b) => compareStrings(label(a), label(b)));
}

/** "Deployment shop/api", "3 workloads: A, B, C", "9 workloads: A, B, C, D, E and 4 more". */
function blockedText(blocked: readonly Blocked[]): string {
  const names = blocked.slice(0, MAX_BLOCKED_LISTED).map((b) => {
    const head = b.chain[0];
    return head === undefined ? '' : `${head.kind} ${head.namespace ?? ''}/${head.name}`;
  });
  if (blocked.length === 1) return names[0] ?? '';
  const more = blocked.length - names.length;
  return `${blocked.length} workloads: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

// --- the admission-webhooks checks -------------------------------------------------------------

/** What the rules about one webhook of a configuration share: the webhook, its backend, and the pod creations it blocks. */
interface WebhookRun {
  readonly inv: Investigation;
  readonly kind: WebhookKind;
  readonly config: WebhookConfiguration;
  readonly ref: ObjectRef;
  /** How the configuration was reached, without it: empty when it is the target. */
  readonly chain: readonly ObjectRef[];
  readonly webhook: Webhook;
  /** "Webhook pods.policy.example.com of ValidatingWebhookConfiguration pod-policy" */
  readonly who: string;
  /** failurePolicy Fail: the apiserver refuses what it cannot have the webhook review. */
  readonly blocking: boolean;
  /** Its clientConfig field, for a Service backend. */
  readonly anchor: string | undefined;
  readonly backend: Backend;
  /** Pod creators it refuses now; only a webhook that fails closed refuses any. */
  readonly blocked: readonly Blocked[];
}

function webhookRun(
  inv: Investigation,
  kind: WebhookKind,
  config: WebhookConfiguration,
  chain: readonly ObjectRef[],
  webhook: Webhook,
  index: number,
): WebhookRun {
  const ref = refOf(kind, config);
  const blocking = failsClosed(webhook);
  const isService = webhook.clientConfig?.service?.name !== undefined && webhook.clientConfig.service.namespace !== undefined;
  const anchor = isService ? configAnchor(inv, kind, config, webhook) : undefined;
  const backend = isService ? webhookBackend(inv, webhook) : ({ state: 'NoService' } as const);
  // Only a webhook that fails closed refuses creates; an Ignore one never shows in a FailedCreate.
  const blocked = blocking && webhook.name !== undefined ? blockedBy(inv, webhook.name) : [];
  return { inv, kind, config, ref, chain, webhook, who: `Webhook ${webhook.name ?? `#${index}`} of ${kind} ${ref.name}`, blocking, anchor, backend, blocked };
}

// The apiserver resolves the webhook's Service on every call: a missing Service, or one without a ready endpoint, fails every call.
const backendRule = defineRule<WebhookRun>({
  name: 'webhookBackend',
  proves: ['WebhookServiceNotFound', 'WebhookNoReadyEndpoints'],
  run: ({ inv, kind, ref, chain, who, blocking, anchor, backend, blocked }) => {
    if (backend.state !== 'Broken') return false;
    const [firstBlocked] = blocked;
    const effect = blocking
      ? 'the apiserver rejects every request it matches (failurePolicy Fail)'
      : 'the apiserver skips it for every request it matches (failurePolicy Ignore), so its policy is not applied';
    // Chained into the workloads it blocks: the first of them heads the chain, the rest are named.
    const head = chain.length > 0 || firstBlocked === undefined ? chain : firstBlocked.chain;
    const blockedAnchor = firstBlocked === undefined ? [] : [inv.anchorEvent(firstBlocked.event)];
    const actions = [configAction(kind, ref.name), serviceAction(backend.service)];
    inv.report({
      code: backend.code,
      severity: blocking ? 'Critical' : 'Warning',
      object: ref,
      confidence: backend.code === 'WebhookServiceNotFound' ? 0.95 : 0.9,
      // What it blocks says more than what it would reject: it replaces the general effect.
      message: `${who} calls Service ${backend.service.namespace ?? ''}/${backend.service.name}, which ${backend.fault}${firstBlocked === undefined ? `: ${effect}` : `; failing closed, it blocks pod creation for ${blockedText(blocked)}`}`,
      anchors: [...(anchor === undefined ? [] : [anchor]), ...backend.anchors, ...blockedAnchor],
      chain: [...head, ref, backend.service],
      nextActions: backend.code === 'WebhookServiceNotFound' ? actions : [...actions].reverse(),
    });
    return true;
  },
});

/** How sure the refused creates make WebhookFailing, and what the finding says. */
function refusedCreatesVerdict(
  w: WebhookRun,
  witness: Blocked | undefined,
  text: string,
  settled: boolean,
): Pick<Candidate, 'severity' | 'confidence' | 'benign' | 'recheckAfterSeconds' | 'message'> {
  const { who, blocked } = w;
  // What the Events blame is fixed now: the controllers' next retries should pass.
  if (settled)
    return {
      severity: 'Info',
      confidence: 0.6,
      benign: true,
      recheckAfterSeconds: RETRY_RECHECK_SECONDS,
      message: `${who}: pod creation for ${blockedText(blocked)} was refused because the apiserver could not call it: ${text}`,
    };
  if (witness !== undefined) {
    // Named first what a controller confirms; what only Events name comes after, so a tenant's Event cannot headline it.
    const unconfirmed = blocked.filter((b) => !b.corroborated);
    return {
      severity: 'Critical',
      confidence: 0.85,
      message: `${who} blocks pod creation for ${blockedText(blocked.filter((b) => b.corroborated))}: the apiserver cannot call it: ${text}${unconfirmed.length === 0 ? '' : `; FailedCreate Events alone also name ${blockedText(unconfirmed)}`}`,
    };
  }
  return {
    severity: 'Warning',
    confidence: 0.5,
    message: `${who} blocks pod creation for ${blockedText(blocked)}: the apiserver cannot call it: ${text} (per FailedCreate Events only: no controller's status confirms it, and anyone may file Events in their namespace)`,
  };
}

// The cache shows nothing wrong (TLS, timeouts, a url backend): only the refused creates say it fails. Their Events are their
// writers' claim (a tenant may file one about their own ReplicaSet): a cluster-wide Critical needs a controller's status too.
const refusedCreatesRule = defineRule<WebhookRun>({
  name: 'webhookFailing',
  proves: ['WebhookFailing'],
  run: (w) => {
    const { inv, kind, config, ref, chain, webhook, anchor, backend, blocked } = w;
    const [firstBlocked] = blocked;
    if (firstBlocked === undefined) return false;
    const witness = blocked.find((b) => b.corroborated);
    const shown = witness ?? firstBlocked;
    const { text, settled } = failureText(backend, shown.call);
    const serviceRef = backend.state === 'NoService' ? undefined : backend.service;
    inv.report({
      code: 'WebhookFailing',
      object: ref,
      anchors: [
        inv.anchorEvent(shown.event),
        ...(witness === undefined ? [] : [inv.anchorField(witness.kind, witness.creator, 'status.conditions[type=ReplicaFailure].message')]),
        anchor ?? configAnchor(inv, kind, config, webhook),
      ],
      chain: [...(chain.length > 0 ? chain : shown.chain), ref, ...(serviceRef === undefined ? [] : [serviceRef])],
      nextActions: [configAction(kind, ref.name), ...(serviceRef === undefined ? [] : [serviceAction(serviceRef)])],
      ...refusedCreatesVerdict(w, witness, text, settled),
    });
    return true;
  },
});

/** Why the apiserver cannot call a webhook, first that shows: its backend as the cache shows it, else the creates it refused. */
const WEBHOOK_RULES = [backendRule, refusedCreatesRule];

function webhookCheck(kind: WebhookKind): Check {
  return {
    name: `${kind === 'ValidatingWebhookConfiguration' ? 'validating' : 'mutating'}webhook.backend`,
    subject: kind,
    codes: codesOf(WEBHOOK_RULES),
    evidence: ['webhook', 'webhook.service'],
    /** Proves that a webhook's Service is missing or has no ready endpoint, so the apiserver cannot call it, and which pod creations that blocks. */
    run(ctx, subject, chain) {
      const config = subject as WebhookConfiguration;
      ctx.inv.note('webhook');
      (config.webhooks ?? []).forEach((webhook, index) => runRules(WEBHOOK_RULES, webhookRun(ctx.inv, kind, config, chain, webhook, index)));
    },
  };
}

export const webhookChecks: readonly Check[] = [webhookCheck('ValidatingWebhookConfiguration'), webhookCheck('MutatingWebhookConfiguration')];
