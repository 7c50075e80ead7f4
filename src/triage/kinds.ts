import { PROJECTION } from './cache-projections';
import type { EvidenceKey } from './evidence';
import type { Projection } from './projection';

/**
 * Every kind the operator knows: one table feeds the informers and the generated ClusterRole
 * (src/kube/kinds.ts, config/rbac/role.yaml), the engine's object references (apiVersion, scope) and
 * the e2e helpers' paths, so the operator can never watch a kind it has no permission for, hold a
 * permission it does not use, or name an object with an apiVersion it does not read. Plain data: the
 * engine reads it without touching a client.
 */
export interface KindInfo {
  /** Key of the cache, unique: the kind, or group-qualified where two APIs serve one kind. */
  readonly key: string;
  readonly kind: string;
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Cache only metadata (PartialObjectMetadata): the apiserver never sends the content. */
  readonly metadataOnly?: boolean;
  /** Watch this one namespace only (and hold a Role there, not a ClusterRole rule). */
  readonly namespace?: string;
  /** Served by CRDs a cluster may not have (Gateway API): absent is a state (NotInstalled), not an error. */
  readonly optional?: boolean;
  /** Evidence key of a namespace-wide read of this kind by a sweep (`pods`, `claims`). */
  readonly evidence?: EvidenceKey;
  /** The fields its cache keeps (src/triage/cache-projections.ts); absent: the whole object. */
  readonly projection?: Projection;
}

// A table, one entry a line: read across, not down.
// prettier-ignore
export const KINDS = [
  { key: 'Pod', kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true, evidence: 'pods', projection: PROJECTION.Pod },
  { key: 'PersistentVolumeClaim', kind: 'PersistentVolumeClaim', group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true, evidence: 'claims', projection: PROJECTION.WholeButMetadata },
  { key: 'PersistentVolume', kind: 'PersistentVolume', group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false, projection: PROJECTION.WholeButMetadata },
  { key: 'Node', kind: 'Node', group: '', version: 'v1', plural: 'nodes', namespaced: false, evidence: 'nodes', projection: PROJECTION.Node },
  { key: 'Namespace', kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', namespaced: false, projection: PROJECTION.Namespace },
  { key: 'Service', kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true, evidence: 'services', projection: PROJECTION.WholeButMetadata },
  { key: 'ResourceQuota', kind: 'ResourceQuota', group: '', version: 'v1', plural: 'resourcequotas', namespaced: true, projection: PROJECTION.WholeButMetadata },
  { key: 'LimitRange', kind: 'LimitRange', group: '', version: 'v1', plural: 'limitranges', namespaced: true, projection: PROJECTION.WholeButMetadata },
  // One watch for every Event: events.k8s.io/v1 serves the core/v1 ones too (one store), whichever API wrote them (ADR 0011).
  { key: 'Event', kind: 'Event', group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true, projection: PROJECTION.Event },
  { key: 'StorageClass', kind: 'StorageClass', group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false, projection: PROJECTION.StorageClass },
  { key: 'EndpointSlice', kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, projection: PROJECTION.EndpointSlice },
  { key: 'Ingress', kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true, evidence: 'ingresses', projection: PROJECTION.WholeButMetadata },
  { key: 'NetworkPolicy', kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', namespaced: true, projection: PROJECTION.WholeButMetadata },
  { key: 'IngressClass', kind: 'IngressClass', group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', namespaced: false, projection: PROJECTION.WholeButMetadata },
  { key: 'Deployment', kind: 'Deployment', group: 'apps', version: 'v1', plural: 'deployments', namespaced: true, evidence: 'deployments', projection: PROJECTION.Workload },
  // Swept by a template targeting ReplicaSets; the key is the kind's name, as envelopes have always reported it.
  { key: 'ReplicaSet', kind: 'ReplicaSet', group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true, evidence: 'ReplicaSet', projection: PROJECTION.Workload },
  { key: 'StatefulSet', kind: 'StatefulSet', group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true, evidence: 'statefulsets', projection: PROJECTION.Workload },
  { key: 'DaemonSet', kind: 'DaemonSet', group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true, evidence: 'daemonsets', projection: PROJECTION.Workload },
  { key: 'Job', kind: 'Job', group: 'batch', version: 'v1', plural: 'jobs', namespaced: true, evidence: 'jobs', projection: PROJECTION.Job },
  { key: 'ValidatingWebhookConfiguration', kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', namespaced: false, evidence: 'webhooks', projection: PROJECTION.Webhooks },
  { key: 'MutatingWebhookConfiguration', kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', namespaced: false, evidence: 'webhooks', projection: PROJECTION.Webhooks },
  { key: 'PodDisruptionBudget', kind: 'PodDisruptionBudget', group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true, evidence: 'budgets', projection: PROJECTION.WholeButMetadata },
  { key: 'CronJob', kind: 'CronJob', group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true, evidence: 'cronjobs', projection: PROJECTION.CronJob },
  { key: 'HorizontalPodAutoscaler', kind: 'HorizontalPodAutoscaler', group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true, evidence: 'autoscalers', projection: PROJECTION.WholeButMetadata },
  // Node heartbeats: the kubelet renews its Lease every 10 s; node status is posted on change or every 5 min.
  { key: 'Lease', kind: 'Lease', group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true, namespace: 'kube-node-lease', projection: PROJECTION.WholeButMetadata },
  // Gateway API: installed by the admin (or a gateway controller's chart), so often absent.
  { key: 'GatewayClass', kind: 'GatewayClass', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gatewayclasses', namespaced: false, optional: true, projection: PROJECTION.WholeButMetadata },
  { key: 'Gateway', kind: 'Gateway', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true, optional: true, evidence: 'gateways', projection: PROJECTION.WholeButMetadata },
  { key: 'HTTPRoute', kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', namespaced: true, optional: true, evidence: 'httproutes', projection: PROJECTION.WholeButMetadata },
  { key: 'TriageRequest', kind: 'TriageRequest', group: 'triage.dev', version: 'v1alpha1', plural: 'triagerequests', namespaced: true },
  { key: 'TriageTemplate', kind: 'TriageTemplate', group: 'triage.dev', version: 'v1alpha1', plural: 'triagetemplates', namespaced: false },
  // Added after the first release: a cluster upgraded without its new CRDs (helm upgrade skips crds/) still serves requests.
  { key: 'TriagePolicy', kind: 'TriagePolicy', group: 'triage.dev', version: 'v1alpha1', plural: 'triagepolicies', namespaced: false, optional: true },
  { key: 'TriageSink', kind: 'TriageSink', group: 'triage.dev', version: 'v1alpha1', plural: 'triagesinks', namespaced: false, optional: true },
] as const satisfies readonly KindInfo[];

export type KindKey = (typeof KINDS)[number]['key'];

/**
 * Secrets, metadata only, for TLSSecretNotFound. Off by default (`--watch-secret-metadata`): even a
 * metadata-only list needs list/watch on secrets, which config/rbac/secret-metadata grants separately.
 */
export const SECRET_METADATA_KIND: KindInfo = {
  key: 'Secret',
  kind: 'Secret',
  group: '',
  version: 'v1',
  plural: 'secrets',
  namespaced: true,
  metadataOnly: true,
  projection: PROJECTION.MetadataOnly,
};

const FIRST_BY_KIND: ReadonlyMap<string, KindInfo> = new Map([SECRET_METADATA_KIND, ...KINDS].reverse().map((info) => [info.kind, info]));

/** The kind's entry (the core group's where two APIs serve it, as for Event); undefined for a kind the operator does not read. */
export function kindInfo(kind: string): KindInfo | undefined {
  return FIRST_BY_KIND.get(kind);
}

const BY_KEY: ReadonlyMap<string, KindInfo> = new Map([SECRET_METADATA_KIND, ...KINDS].map((info) => [info.key, info]));

/** What the cache of `key` keeps of each object: its kind's projection; the whole object for the operator's own kinds. */
export function projectionOf(key: string): Projection {
  return BY_KEY.get(key)?.projection ?? true;
}

/** apiVersion the operator reads the kind at ('v1', 'apps/v1'). */
export function apiVersionOf(kind: string): string {
  const info = kindInfo(kind);
  return info === undefined || info.group === '' ? (info?.version ?? 'v1') : `${info.group}/${info.version}`;
}

/** Kinds that live outside namespaces: their objects are named without one. */
export function isClusterScoped(kind: string): boolean {
  return kindInfo(kind)?.namespaced === false;
}

/** Evidence key of a sweep's namespace-wide read of the kind. */
export function listEvidenceOf(kind: string): EvidenceKey {
  const key = kindInfo(kind)?.evidence;
  // Every kind a check examines or a request targets has one (evidence.test.ts): a new one without it is a bug to surface, not a key to invent.
  if (key === undefined) throw new Error(`kind ${kind} has no sweep evidence key (src/triage/kinds.ts)`);
  return key;
}
