/**
 * Every kind the operator caches. One list feeds the informers and the generated ClusterRole
 * (config/rbac/role.yaml), so the operator can never watch a kind it has no permission for, nor hold
 * a permission it does not use.
 */
export interface WatchedKind {
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
}

export const WATCHED_KINDS = [
  { key: 'Pod', kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true },
  { key: 'PersistentVolumeClaim', kind: 'PersistentVolumeClaim', group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  { key: 'PersistentVolume', kind: 'PersistentVolume', group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false },
  { key: 'Node', kind: 'Node', group: '', version: 'v1', plural: 'nodes', namespaced: false },
  { key: 'Namespace', kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  { key: 'Service', kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true },
  { key: 'ResourceQuota', kind: 'ResourceQuota', group: '', version: 'v1', plural: 'resourcequotas', namespaced: true },
  { key: 'LimitRange', kind: 'LimitRange', group: '', version: 'v1', plural: 'limitranges', namespaced: true },
  // Both Event APIs: writers differ (the scheduler uses events.k8s.io, the PV controller core/v1).
  { key: 'Event', kind: 'Event', group: '', version: 'v1', plural: 'events', namespaced: true },
  { key: 'Event.events.k8s.io', kind: 'Event', group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true },
  { key: 'StorageClass', kind: 'StorageClass', group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false },
  { key: 'EndpointSlice', kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true },
  { key: 'Ingress', kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true },
  { key: 'NetworkPolicy', kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', namespaced: true },
  { key: 'IngressClass', kind: 'IngressClass', group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', namespaced: false },
  { key: 'Deployment', kind: 'Deployment', group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  { key: 'ReplicaSet', kind: 'ReplicaSet', group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  { key: 'StatefulSet', kind: 'StatefulSet', group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  { key: 'DaemonSet', kind: 'DaemonSet', group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  { key: 'Job', kind: 'Job', group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  { key: 'ValidatingWebhookConfiguration', kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', namespaced: false },
  { key: 'MutatingWebhookConfiguration', kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', namespaced: false },
  { key: 'PodDisruptionBudget', kind: 'PodDisruptionBudget', group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true },
  { key: 'CronJob', kind: 'CronJob', group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
  { key: 'HorizontalPodAutoscaler', kind: 'HorizontalPodAutoscaler', group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true },
  // Node heartbeats: the kubelet renews its Lease every 10 s; node status is posted on change or every 5 min.
  { key: 'Lease', kind: 'Lease', group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true, namespace: 'kube-node-lease' },
  // Gateway API: installed by the admin (or a gateway controller's chart), so often absent.
  { key: 'GatewayClass', kind: 'GatewayClass', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gatewayclasses', namespaced: false, optional: true },
  { key: 'Gateway', kind: 'Gateway', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true, optional: true },
  { key: 'HTTPRoute', kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', namespaced: true, optional: true },
  { key: 'TriageRequest', kind: 'TriageRequest', group: 'triage.dev', version: 'v1alpha1', plural: 'triagerequests', namespaced: true },
  { key: 'TriageTemplate', kind: 'TriageTemplate', group: 'triage.dev', version: 'v1alpha1', plural: 'triagetemplates', namespaced: false },
] as const satisfies readonly WatchedKind[];

export type WatchedKey = (typeof WATCHED_KINDS)[number]['key'] | 'Secret';

/**
 * Secrets, metadata only, for TLSSecretNotFound. Off by default (`--watch-secret-metadata`): even a
 * metadata-only list needs list/watch on secrets, which config/rbac/secret-metadata grants separately.
 */
export const SECRET_METADATA_KIND: WatchedKind = { key: 'Secret', kind: 'Secret', group: '', version: 'v1', plural: 'secrets', namespaced: true, metadataOnly: true };

export const PARTIAL_METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
export const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** The collection path, e.g. /api/v1/pods or /apis/apps/v1/deployments (all namespaces, unless the kind names one). */
export function collectionPath(kind: WatchedKind): string {
  const prefix = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return kind.namespace === undefined ? `${prefix}/${kind.plural}` : `${prefix}/namespaces/${kind.namespace}/${kind.plural}`;
}
