// The engine's read port: what diagnosis may see of the cluster. Implemented over informer caches
// by src/kube/cluster-cache.ts; the engine itself never imports a client.

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
}

/** An object as the apiserver serialises it (timestamps are strings). */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
}

/**
 * Anything but Synced makes evidence `unavailable` (Forbidden, NotInstalled, NotCollected, or NotSynced
 * for Syncing and Stale); never "does not exist". Stale: the cache had synced, then a list or watch
 * failed, so it may miss changes. NotInstalled: the kind's API (CRDs) is not served, so no such object
 * can exist. NotCollected: an offline dump holds no objects of this kind, so whether any exist is
 * unknown (`kubectl get all` has no Events, claims or Nodes); final, never worth a recheck.
 */
export type CacheAvailability = 'Synced' | 'Forbidden' | 'Syncing' | 'Stale' | 'NotInstalled' | 'NotCollected';

/** Secondary indexes every cache keeps; see src/kube/cluster-cache.ts for what each files by. */
export const INDEX = {
  /** Any object → `${namespace}/${ownerUid}` of each owner (see ownerIndexValue). */
  owner: 'owner',
  /** Event → `${kind}/${uid}` of the object it is about (involvedObject / regarding). */
  subject: 'subject',
  /** Pod → `${namespace}/${claimName}` of each PVC it mounts. */
  claim: 'claim',
  /** Pod → the node it is bound to. */
  node: 'node',
  /** Ingress → `${namespace}/${serviceName}` of each backend. */
  backendService: 'backendService',
  /** EndpointSlice → `${namespace}/${serviceName}`. */
  service: 'service',
  /** FailedCreate Event → the name of the admission webhook the apiserver could not call (its message says which). */
  failedWebhook: 'failedWebhook',
} as const;

/**
 * The owner index's value for an owner: Kubernetes resolves a namespaced object's owner references in
 * its own namespace only (the garbage collector treats others as absent), so a dependent claiming an
 * owner elsewhere is not its dependent. Cluster-scoped owners of cluster-scoped objects: namespace ''.
 */
export function ownerIndexValue(owner: KubeObject): string {
  return `${owner.metadata?.namespace ?? ''}/${owner.metadata?.uid ?? ''}`;
}

export interface ClusterSnapshot {
  availability(kind: string): CacheAvailability;
  get(kind: string, name: string, namespace?: string): KubeObject | undefined;
  list(kind: string, namespace?: string): readonly KubeObject[];
  byIndex(kind: string, index: string, value: string): readonly KubeObject[];
}
