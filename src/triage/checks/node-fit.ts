import type { Investigation } from '../investigation';
import type { Container, Node, Pod, Taint, Toleration } from '../objects';
import { parseQuantity } from '../quantity';
import { INDEX } from '../snapshot';

// The scheduler's arithmetic of whether a pod fits a node, as far as the engine repeats it: requests
// (NodeResourcesFit counts requests, never use) and taints (TaintToleration).

// Cached objects are replaced, never mutated, on update: a pod's requests can be kept with the object itself.
// Explaining Insufficient cpu sums every pod on every node, so without this each run re-parses the cluster's quantities.
const requestsByPod = new WeakMap<Pod, Map<string, number>>();

/** An init container as the apiserver sends it: restartPolicy Always makes it a sidecar (Kubernetes 1.29+). */
interface InitContainer extends Container {
  readonly restartPolicy?: string;
}

/**
 * The pod's effective request of a resource, as the scheduler counts it (AggregateContainerRequests):
 * containers plus sidecars, at least each init container plus the sidecars started before it, plus overhead.
 */
export function podRequest(pod: Pod, resource: string): number {
  let known = requestsByPod.get(pod);
  const cached = known?.get(resource);
  if (cached !== undefined) return cached;
  const of = (c: Container) => parseQuantity(c.resources?.requests?.[resource]) ?? 0;
  const containers = (pod.spec?.containers ?? []).reduce((sum, c) => sum + of(c), 0);
  let sidecars = 0;
  let initPeak = 0;
  const initContainers: readonly InitContainer[] = pod.spec?.initContainers ?? [];
  for (const container of initContainers) {
    // A sidecar keeps running, so it adds to everything that starts after it, the app containers included.
    if (container.restartPolicy === 'Always') sidecars += of(container);
    initPeak = Math.max(initPeak, container.restartPolicy === 'Always' ? sidecars : of(container) + sidecars);
  }
  const request = Math.max(containers + sidecars, initPeak) + (parseQuantity(pod.spec?.overhead?.[resource]) ?? 0);
  if (known === undefined) {
    known = new Map();
    requestsByPod.set(pod, known);
  }
  known.set(resource, request);
  return request;
}

/** Whether a toleration matches the taint (v1 helper ToleratesTaint): effect, then key with Exists or an equal value. */
export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some(
    (t) =>
      (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
      (t.key === undefined || t.key === ''
        ? t.operator === 'Exists'
        : t.key === taint.key && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? ''))),
  );
}

/** A NoSchedule or NoExecute taint the pod does not tolerate keeps it off the node (PreferNoSchedule only discourages). */
export function keepsOff(tolerations: readonly Toleration[], taint: Taint): boolean {
  return (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(tolerations, taint);
}

/** Allocatable minus what the node's live pods request; summing a node's pods is costly, so once per node and resource per run. */
export function freeOn(inv: Investigation, node: Node, resource: string): number {
  return inv.memo(
    `free:${node.metadata?.name ?? ''}:${resource}`,
    () =>
      (parseQuantity(node.status?.allocatable?.[resource]) ?? 0) -
      (inv.byIndex<Pod>('Pod', 'nodes.pods', INDEX.node, node.metadata?.name ?? '') ?? [])
        .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
        .reduce((sum, p) => sum + podRequest(p, resource), 0),
  );
}
