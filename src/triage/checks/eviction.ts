import type { NextAction, ObjectRef } from '../../crds/envelope';
import type { Investigation } from '../investigation';
import { parseEviction, type Eviction } from '../kubelet-message';
import { describeAction, KIND, quote, type ContainerFinding, type ContainerPod } from './containers';

// A pod the kubelet evicted stays as a Failed object (reason Evicted) until it is garbage-collected;
// its status.message is the kubelet's account of which resource ran out and whose use crossed what.

/** Whether the kubelet evicted the pod: phase Failed with reason Evicted, the whole story of such a pod. */
export function evicted(pod: ContainerPod): boolean {
  return pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted';
}

/** What was exceeded, per eviction scope, in the words of a finding. */
const EXCEEDED: Readonly<Record<Eviction['scope'], (e: Eviction) => string>> = {
  Container: (e) => `container ${e.container ?? '?'} used more ephemeral-storage (its writable layer and logs) than its limit of ${e.limit ?? '?'}`,
  Volume: (e) => `emptyDir volume ${e.volume ?? '?'} grew beyond its sizeLimit of ${e.limit ?? '?'}`,
  Pod: (e) => `its ephemeral-storage use exceeded the sum of its containers' limits, ${e.limit ?? '?'}`,
  Node: (e) =>
    `the node ran low on ${e.resource}${e.available === undefined ? '' : ` (available ${e.available}, eviction threshold ${e.limit ?? '?'})`}${e.container === undefined ? '' : `, and container ${e.container} used ${e.usage ?? '?'}, the most beyond its request`}`,
  NodeCondition: (e) => `the node had condition ${e.nodeCondition ?? '?'} when the pod arrived, so the kubelet refused to run it`,
};

/** A node-pressure eviction is the node's story: scopes the pod's own limits cannot explain. */
function byNodePressure(eviction: Eviction | undefined): boolean {
  return eviction?.scope === 'Node' || eviction?.scope === 'NodeCondition';
}

/** Where to look next: the pod's own limits for a limit eviction, the node for a node-pressure one. */
function evictionActions(eviction: Eviction | undefined, ref: ObjectRef, node: string): NextAction[] {
  const ns = ref.namespace ?? '';
  const nodeAction: NextAction[] =
    node === '' || !byNodePressure(eviction)
      ? []
      : [
          {
            description: `Show node ${node}'s pressure conditions and what runs there (the node-pressure intent diagnoses it)`,
            command: `kubectl describe node ${node}`,
            safety: 'ReadOnly',
          },
        ];
  const limitsAction: NextAction[] =
    eviction === undefined || byNodePressure(eviction)
      ? []
      : [
          {
            description: `Show the pod's ephemeral-storage limits and emptyDir sizeLimits, to compare with what it writes`,
            command: `kubectl get pod ${ref.name} -n ${ns} -o jsonpath='{range .spec.containers[*]}{.name}{"\\t"}{.resources.limits.ephemeral-storage}{"\\n"}{end}{.spec.volumes}'`,
            safety: 'ReadOnly',
          },
        ];
  return [...limitsAction, ...nodeAction, describeAction(ref)];
}

/** A pod the kubelet evicted (phase Failed, reason Evicted): the resource, the limit or threshold, and whose usage. */
export function evictionFinding(inv: Investigation, pod: ContainerPod, ref: ObjectRef): ContainerFinding {
  const message = pod.status?.message ?? '';
  const eviction = parseEviction(message);
  const node = pod.spec?.nodeName ?? '';
  const by = `Pod ${ref.namespace ?? ''}/${ref.name} was evicted by the kubelet${node === '' ? '' : ` on node ${node}`}`;
  const what = eviction !== undefined ? EXCEEDED[eviction.scope](eviction) : message === '' ? 'no reason recorded' : quote(message);
  return {
    code: 'PodEvicted',
    severity: 'Critical',
    confidence: eviction === undefined ? 0.7 : 0.95,
    cause: true,
    message: `${by}: ${what}`,
    anchors: [inv.anchorField(KIND, pod, 'status.reason'), ...(message === '' ? [] : [inv.anchorField(KIND, pod, 'status.message')])],
    nextActions: evictionActions(eviction, ref, node),
  };
}
