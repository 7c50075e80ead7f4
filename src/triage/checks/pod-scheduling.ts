import type { Code } from '../catalogue';
import type { NextAction, ObjectRef, Severity } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type Container, type Node, type PersistentVolumeClaim, type Pod, type Taint, type Toleration } from '../objects';
import { constraintLabelKeys, describeNodeConstraints, podWantsNode } from '../node-affinity';
import { formatQuantity, parseQuantity } from '../quantity';
import { parseSchedulingMessage, type ClaimState, type ParsedSchedulingMessage, type SchedulingCause } from '../scheduler-message';
import { INDEX, type ObjectMeta } from '../snapshot';
import type { Check, CheckContext } from './check';

const KIND = 'Pod';
/** The finalizer the pvc-protection controller keeps on a claim while a scheduled pod uses it. */
const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const SYSTEM_TAINT = /^(node-role\.kubernetes\.io\/|node\.kubernetes\.io\/|node\.cloudprovider\.kubernetes\.io\/)/;

// Cached objects are replaced, never mutated, on update: a pod's requests can be kept with the object itself.
// Explaining Insufficient cpu sums every pod on every node, so without this each run re-parses the cluster's quantities.
const requestsByPod = new WeakMap<Pod, Map<string, number>>();

/** A claim with the metadata the shared view leaves out: which finalizers hold it while it is being deleted. */
interface FinalizedClaim extends PersistentVolumeClaim {
  readonly metadata?: ObjectMeta & { readonly finalizers?: readonly string[] };
}

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

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some(
    (t) =>
      (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
      (t.key === undefined || t.key === '' ? t.operator === 'Exists' : t.key === taint.key && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? ''))),
  );
}

/** The constraint fields that exclude every node: the nodeSelector, the required affinity, or both (both when nodes are unreadable). */
function nodeConstraintFields(pod: Pod, nodes: readonly Node[] | undefined): string[] {
  const selector = pod.spec?.nodeSelector;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const selectorOnly: Pod = { ...pod, spec: { ...pod.spec, affinity: undefined } };
  const selectorExcludesAll = selector !== undefined && nodes !== undefined && !nodes.some((node) => podWantsNode(selectorOnly, node));
  if (selectorExcludesAll) return ['spec.nodeSelector'];
  return [
    ...(selector === undefined ? [] : ['spec.nodeSelector']),
    ...(required === undefined ? [] : ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution']),
  ];
}

interface Explained {
  /** Set when the resolved objects name a more exact code than the scheduler's wording. */
  readonly code?: Code;
  readonly severity: Severity;
  readonly message: string;
  readonly chainTail: readonly ObjectRef[];
  readonly anchors: readonly string[];
  readonly nextActions: readonly NextAction[];
  readonly confidence: number;
}

/** Causes that exclude nodes by rules the engine does not evaluate itself (spread, pod (anti-)affinity, ports). */
const EXCLUDING = new Set(['TopologySpreadUnsatisfiable', 'PodAffinityUnsatisfied', 'PodAntiAffinityConflict', 'HostPortConflict']);

/**
 * Whether the scheduler's message proves that the pod's node selector/affinity excludes every node: from the
 * node cache when it is readable, otherwise from the scheduler's own count (a PreFilter rejection has none).
 */
function affinityExcludesAll(cause: SchedulingCause, totalNodes: number | undefined, wanted: readonly Node[] | undefined): boolean {
  if (wanted !== undefined) return wanted.length === 0;
  return cause.nodeCount === undefined || cause.nodeCount === totalNodes;
}

/** Said when the node cache cannot be read: the numbers are the scheduler's, and no node can be named. */
const NODES_UNREADABLE = 'nodes could not be read';

/** Turns one parsed scheduler cause into a finding, resolving what the message leaves out (which taint, how much is free). */
function explain(
  inv: Investigation,
  pod: Pod,
  cause: SchedulingCause,
  readable: readonly Node[] | undefined,
  parsed: ParsedSchedulingMessage,
  podRef: ObjectRef,
): Explained {
  const ns = podRef.namespace ?? '';
  const name = podRef.name;
  const others = parsed.causes.filter((c) => c !== cause);
  const describePod: NextAction = { description: 'Show the pod and its scheduling events', command: `kubectl describe pod ${name} -n ${ns}`, safety: 'ReadOnly' };
  const nodesAction: NextAction = { description: 'List nodes with their taints and capacity', command: 'kubectl describe nodes', safety: 'ReadOnly' };
  const base = { severity: 'Critical' as Severity, chainTail: [] as ObjectRef[], anchors: [] as string[], confidence: 0.9 };
  // Unreadable nodes are unknown, not absent: every branch below says so instead of reasoning from an empty list.
  const nodes = readable ?? [];
  const wanted = nodes.filter((node) => podWantsNode(pod, node));
  const tolerations = pod.spec?.tolerations ?? [];
  // Nodes the pod could use but for this cause: selected, not cordoned, every hard taint tolerated.
  const usable = wanted.filter(
    (node) => node.spec?.unschedulable !== true && (node.spec?.taints ?? []).every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') || tolerates(tolerations, t)),
  );
  switch (cause.code) {
    case 'InsufficientResources': {
      const resource = cause.resource ?? 'cpu';
      const resources = [...new Set([resource, 'cpu', 'memory', 'ephemeral-storage'])].filter((r) => r === resource || podRequest(pod, r) > 0);
      // Summing a node's pods is the costly part (hundreds of pods per node): once per node and resource per run.
      const free = (node: Node, r: string) =>
        inv.memo(`free:${node.metadata?.name ?? ''}:${r}`, () =>
          (parseQuantity(node.status?.allocatable?.[r]) ?? 0) -
          (inv.byIndex<Pod>('Pod', 'nodes.pods', INDEX.node, node.metadata?.name ?? '') ?? [])
            .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
            .reduce((sum, p) => sum + podRequest(p, r), 0),
        );
      const requested = podRequest(pod, resource);
      // Only nodes where everything else the pod asks for fits say how short this resource is.
      const fitsOthers = usable.filter((node) => resources.every((r) => r === resource || free(node, r) >= podRequest(pod, r)));
      const best = fitsOthers.reduce<Node | undefined>((top, node) => (top === undefined || free(node, resource) > free(top, resource) ? node : top), undefined);
      const asks = resources.map((r) => `${formatQuantity(r, podRequest(pod, r))} ${r}`).join(' and ');
      const excluded = others.filter((c) => EXCLUDING.has(c.code));
      const askedOne = `${formatQuantity(resource, requested)} ${resource}`;
      const shortfall = (): string => {
        // Which nodes those rules exclude is not known here: give the scheduler's counts, not a node that may be excluded.
        if (excluded.length > 0) return `Pod ${ns}/${name} requests ${askedOne}, which ${cause.nodeCount ?? '?'} node(s) lack; the others are excluded (${excluded.map((c) => `${c.nodeCount ?? '?'} ${c.text}`).join(', ')})`;
        if (readable === undefined) return `Pod ${ns}/${name} requests ${askedOne}, which ${cause.nodeCount ?? '?'} node(s) lack, by the scheduler's count (${NODES_UNREADABLE}, so free capacity is unknown)`;
        if (best !== undefined) return `Pod ${ns}/${name} requests ${askedOne}; the most free on a node that fits its other requests is ${formatQuantity(resource, Math.max(0, free(best, resource)))} (${best.metadata?.name ?? ''})`;
        if (usable.length === 0) return `Pod ${ns}/${name} requests ${asks}; no node it may run on has room`;
        return `Pod ${ns}/${name} requests ${asks}; no node has room for all of it: ${usable
          .slice(0, 3)
          .map((node) => `${node.metadata?.name ?? ''} has ${resources.map((r) => `${formatQuantity(r, Math.max(0, free(node, r)))} ${r}`).join(', ')} free`)
          .join('; ')}`;
      };
      // Sidecars and init containers count toward the request: show their requests beside the containers'.
      const requestsCommand = (pod.spec?.initContainers ?? []).length > 0
        ? `kubectl get pod ${name} -n ${ns} -o jsonpath='{.spec.initContainers[*].resources.requests}{"\\n"}{.spec.containers[*].resources.requests}'`
        : `kubectl get pod ${name} -n ${ns} -o jsonpath='{.spec.containers[*].resources}'`;
      return {
        ...base,
        message: shortfall(),
        nextActions: [describePod, { description: `Lower the pod's requests or add capacity`, command: requestsCommand, safety: 'ReadOnly' }, nodesAction],
      };
    }
    case 'UntoleratedTaint': {
      const cordonedNode = (node: Node) => node.spec?.unschedulable === true;
      const hard = (taint: Taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(tolerations, taint);
      const onlyCordon = wanted.some(cordonedNode) && wanted.every((node) => cordonedNode(node) || !(node.spec?.taints ?? []).some(hard));
      const blocking = wanted.filter((node) => onlyCordon || !cordonedNode(node)).flatMap((node) =>
        (node.spec?.taints ?? [])
          .filter((taint) => hard(taint) && (onlyCordon || taint.key !== 'node.kubernetes.io/unschedulable'))
          .map((taint) => ({ node, taint })),
      );
      const first = blocking[0];
      // A cordoned node carries node.kubernetes.io/unschedulable, which the scheduler reports as a taint.
      const cordoned = blocking.length > 0 && blocking.every(({ taint }) => taint.key === 'node.kubernetes.io/unschedulable');
      if (cordoned && first !== undefined) {
        const nodeName = first.node.metadata?.name ?? '';
        return {
          ...base,
          code: 'NodesUnschedulable',
          message: `The node(s) Pod ${ns}/${name} can run on are cordoned (e.g. ${nodeName})`,
          chainTail: [refOf('Node', first.node)],
          anchors: [inv.anchorField('Node', first.node, 'spec.unschedulable')],
          nextActions: [nodesAction, { description: `Uncordon ${nodeName} if its maintenance is over`, command: `kubectl uncordon ${nodeName}`, safety: 'Mutating' }],
        };
      }
      const describeTaint = (t: Taint) => `${t.key}${t.value === undefined || t.value === '' ? '' : `=${t.value}`}:${t.effect}`;
      // Taints only on nodes the pod's selector/affinity rules out anyway change nothing: context, not a cause.
      const elsewhere = readable === undefined || blocking.length > 0 || wanted.some((node) => (node.spec?.taints ?? []).some(hard))
        ? undefined
        : nodes.filter((node) => !wanted.includes(node)).flatMap((node) => (node.spec?.taints ?? []).filter(hard).map((taint) => ({ node, taint })))[0];
      if (elsewhere !== undefined) {
        return {
          ...base,
          severity: 'Info',
          message: `${cause.nodeCount ?? '?'} node(s) have taints Pod ${ns}/${name} does not tolerate (e.g. ${describeTaint(elsewhere.taint)} on ${elsewhere.node.metadata?.name ?? ''}), but the pod's node selector/affinity rules them out anyway`,
          nextActions: [describePod],
        };
      }
      const taints = [...new Set(blocking.map(({ taint }) => describeTaint(taint)))];
      return {
        ...base,
        message: `Pod ${ns}/${name} does not tolerate ${taints.length > 0 ? `taint ${taints.join(', ')}` : 'the taints'} on ${cause.nodeCount ?? blocking.length} node(s)${first === undefined ? '' : ` (e.g. ${first.node.metadata?.name ?? '?'})`}${readable === undefined ? ` (${NODES_UNREADABLE})` : ''}`,
        chainTail: first === undefined ? [] : [refOf('Node', first.node)],
        anchors: first === undefined ? [] : [inv.anchorField('Node', first.node, 'spec.taints')],
        nextActions: [
          describePod,
          { description: 'Show node taints', command: "kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints", safety: 'ReadOnly' },
          // Removing a well-known system taint (control-plane, node.kubernetes.io/*) is never a safe suggestion.
          ...(first === undefined || SYSTEM_TAINT.test(first.taint.key)
            ? []
            : [{ description: `Remove taint ${describeTaint(first.taint)} from ${first.node.metadata?.name ?? ''} if it is no longer wanted (otherwise add a toleration to the pod template)`, command: `kubectl taint nodes ${first.node.metadata?.name ?? ''} ${describeTaint(first.taint)}-`, safety: 'Mutating' as const }]),
        ],
      };
    }
    case 'NodeAffinityMismatch':
      // When some node does match, the mismatch only counts the nodes the pod never wanted: context, not a fault.
      if (!affinityExcludesAll(cause, parsed.totalNodes, readable === undefined ? undefined : wanted)) {
        return {
          ...base,
          severity: 'Info',
          // Both numbers from one source: the scheduler counts a node only under the first filter it fails.
          message: readable === undefined
            ? `${cause.nodeCount ?? '?'} of ${parsed.totalNodes ?? '?'} node(s) do not match the node selector/affinity of Pod ${ns}/${name} by the scheduler's count (${NODES_UNREADABLE})`
            : `${nodes.length - wanted.length} node(s) do not match the node selector/affinity of Pod ${ns}/${name}; ${wanted.length} do`,
          nextActions: [describePod],
        };
      }
      return {
        ...base,
        message: readable === undefined
          ? `No node matches the node selector/affinity of Pod ${ns}/${name} (${describeNodeConstraints(pod)}): the scheduler rejected ${cause.nodeCount === undefined ? 'every node' : `all ${cause.nodeCount} nodes`} for it (${NODES_UNREADABLE})`
          : `No node matches the node selector/affinity of Pod ${ns}/${name} (${describeNodeConstraints(pod)})`,
        anchors: nodeConstraintFields(pod, readable).map((field) => inv.anchorField(KIND, pod, field)),
        nextActions: [describePod, { description: 'Show the node labels the pod selects on', command: constraintLabelKeys(pod).length > 0 ? `kubectl get nodes -L ${constraintLabelKeys(pod).join(',')}` : 'kubectl get nodes --show-labels', safety: 'ReadOnly' }],
      };
    case 'NodesUnschedulable': {
      const cordoned = nodes.filter((n) => n.spec?.unschedulable === true);
      return {
        ...base,
        message: `${cause.nodeCount ?? cordoned.length} node(s) are cordoned (unschedulable)${readable === undefined ? ` (${NODES_UNREADABLE})` : cordoned.length === 0 ? '' : `: ${cordoned.map((n) => n.metadata?.name ?? '').slice(0, 5).join(', ')}`}`,
        chainTail: cordoned[0] === undefined ? [] : [refOf('Node', cordoned[0])],
        anchors: cordoned[0] === undefined ? [] : [inv.anchorField('Node', cordoned[0], 'spec.unschedulable')],
        nextActions: [nodesAction, ...(cordoned[0] === undefined ? [] : [{ description: `Uncordon ${cordoned[0].metadata?.name ?? ''} if its maintenance is over`, command: `kubectl uncordon ${cordoned[0].metadata?.name ?? ''}`, safety: 'Mutating' as const }])],
      };
    }
    case 'NoNodes':
      return { ...base, message: 'The cluster has no nodes to schedule on', nextActions: [{ description: 'List nodes', command: 'kubectl get nodes', safety: 'ReadOnly' }] };
    case 'PersistentVolumeClaimNotFound': {
      const claimName = cause.claimName ?? '';
      const claimState = cause.claimState ?? 'NotFound';
      const volume = (pod.spec?.volumes ?? []).find((v) => v.persistentVolumeClaim?.claimName === claimName);
      // The scheduler's word is checked against the cache: a claim created since makes the message stale.
      const claim = inv.get<FinalizedClaim>('PersistentVolumeClaim', 'pod.claims', claimName, ns);
      const found = claim.state === 'Found' ? claim.object : undefined;
      const volumeAnchors = volume === undefined ? [] : [inv.anchorField(KIND, pod, `spec.volumes[name=${volume.name}].persistentVolumeClaim.claimName`)];
      const listClaims: NextAction = { description: 'List the claims in the namespace', command: `kubectl get pvc -n ${ns}`, safety: 'ReadOnly' };
      const chainTail = [refOf('PersistentVolumeClaim', found, { name: claimName, namespace: ns })];
      if (found?.metadata?.deletionTimestamp !== undefined) {
        // pvc-protection keeps a claim while a scheduled pod uses it (the pending pod is not one): name who holds it.
        const holders = (inv.byIndex<Pod>('Pod', 'claim.consumers', INDEX.claim, `${ns}/${claimName}`) ?? []).filter((p) => (p.spec?.nodeName ?? '') !== '');
        const finalizers = found.metadata.finalizers ?? [];
        const protectedBy = finalizers.includes(PVC_PROTECTION)
          ? `the ${PVC_PROTECTION} finalizer holds the claim while scheduled pods use it${holders.length === 0 ? '' : ` (${holders.slice(0, 3).map((p) => `${p.metadata?.name ?? ''} on ${p.spec?.nodeName ?? ''}`).join(', ')})`}`
          : finalizers.length > 0 ? `finalizer(s) ${finalizers.join(', ')} hold the claim` : 'no finalizer holds the claim, so it should be gone shortly';
        return {
          ...base,
          message: `Pod ${ns}/${name} mounts PersistentVolumeClaim "${claimName}", which is being deleted, so the scheduler will not place the pod; ${protectedBy}`,
          chainTail,
          anchors: [...volumeAnchors, inv.anchorField('PersistentVolumeClaim', found, 'metadata.deletionTimestamp')],
          confidence: 1,
          nextActions: [
            describePod,
            { description: `Show claim ${claimName} and the pods that use it (Used By); once it is gone, recreate it or point the pod at another claim`, command: `kubectl describe pvc ${claimName} -n ${ns}`, safety: 'ReadOnly' },
          ],
        };
      }
      const said: Readonly<Record<ClaimState, string>> = {
        NotFound: 'did not exist',
        BeingDeleted: 'was being deleted',
        NotYetCreated: 'was not yet created by the ephemeral volume controller',
      };
      const missing: Readonly<Record<ClaimState, string>> = {
        NotFound: 'which does not exist',
        BeingDeleted: 'which was being deleted and is gone now',
        NotYetCreated: 'a generic ephemeral volume claim the ephemeral volume controller (kube-controller-manager) has not created',
      };
      return {
        ...base,
        message:
          found !== undefined
            ? `The scheduler last said PersistentVolumeClaim "${claimName}" of Pod ${ns}/${name} ${said[claimState]}; it exists now${claimState === 'BeingDeleted' ? ' and is not being deleted' : ''}, so the pod should be retried`
            : claim.state === 'Absent'
              ? `Pod ${ns}/${name} mounts PersistentVolumeClaim "${claimName}", ${missing[claimState]}`
              : `The scheduler says PersistentVolumeClaim "${claimName}" of Pod ${ns}/${name} ${said[claimState]}; claims could not be read to confirm it`,
        chainTail,
        anchors: volumeAnchors,
        confidence: claim.state === 'Absent' ? 1 : 0.5,
        nextActions: [describePod, listClaims],
      };
    }
    case 'TooManyPods': {
      const full = usable.filter((node) => {
        const capacity = parseQuantity(node.status?.allocatable?.pods) ?? 0;
        const running = (inv.byIndex<Pod>('Pod', 'nodes.pods', INDEX.node, node.metadata?.name ?? '') ?? []).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
        return running.length >= capacity;
      });
      const first = full[0];
      return {
        ...base,
        message: `${cause.nodeCount ?? full.length} node(s) Pod ${ns}/${name} can use already run as many pods as they allow${first === undefined ? '' : ` (e.g. ${first.metadata?.name ?? ''}: ${first.status?.allocatable?.pods ?? '?'} pods)`}`,
        chainTail: first === undefined ? [] : [refOf('Node', first)],
        anchors: first === undefined ? [] : [inv.anchorField('Node', first, 'status.allocatable.pods')],
        nextActions: [describePod, nodesAction],
      };
    }
    case 'UnboundPersistentVolumeClaim':
      return { ...base, severity: 'Warning', confidence: 0.6, message: `Pod ${ns}/${name} waits for an unbound PersistentVolumeClaim`, nextActions: [describePod, { description: 'List the claims in the namespace', command: `kubectl get pvc -n ${ns}`, safety: 'ReadOnly' }] };
    default:
      return {
        ...base,
        severity: cause.code === 'Unknown' ? 'Warning' : 'Critical',
        confidence: cause.code === 'Unknown' ? 0.3 : 0.85,
        message: `Pod ${ns}/${name} cannot be scheduled: ${cause.text}`,
        nextActions: [describePod, nodesAction],
      };
  }
}

/**
 * Picks the cause that blocks the pod. Known causes beat unparsed fragments. When the pod's selector
 * matches no node, that is the blocker; otherwise causes on nodes it does not want (selector mismatch)
 * come last, and a taint counts only if it sits on a node the pod wants. Without readable nodes
 * (`wanted` undefined) only the scheduler's counts rank the causes.
 */
function primaryCause(parsed: ParsedSchedulingMessage, wanted: readonly Node[] | undefined, tolerations: readonly Toleration[]): SchedulingCause | undefined {
  const known = parsed.causes.filter((c) => c.code !== 'Unknown');
  const pool = known.length > 0 ? known : parsed.causes;
  const affinity = pool.find((c) => c.code === 'NodeAffinityMismatch');
  if (affinity !== undefined && affinityExcludesAll(affinity, parsed.totalNodes, wanted)) return affinity;
  const taintOnWanted = wanted === undefined || wanted.some((node) => (node.spec?.taints ?? []).some((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t)));
  // Selector and skew rejections describe where the pod may go: the blocker is what stops it there.
  // A spread key that no node carries ("missing required label") blocks everywhere: a cause, not context.
  const context = (c: SchedulingCause) =>
    c.code === 'NodeAffinityMismatch' || (c.code === 'TopologySpreadUnsatisfiable' && !c.text.includes('missing required label'));
  const weight = (c: SchedulingCause) => (context(c) ? 0 : c.code === 'UntoleratedTaint' && !taintOnWanted ? 1 : 2);
  return [...pool].sort((a, b) => weight(b) - weight(a) || (b.nodeCount ?? 0) - (a.nodeCount ?? 0))[0];
}

function followClaims(ctx: CheckContext, pod: Pod, chain: readonly ObjectRef[]): void {
  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (claimName === undefined) continue;
    const claim = ctx.inv.get<PersistentVolumeClaim>('PersistentVolumeClaim', 'pod.claims', claimName, pod.metadata?.namespace);
    if (claim.state === 'Found' && claim.object.status?.phase !== 'Bound') ctx.follow('PersistentVolumeClaim', claim.object, chain);
  }
}

/** Proves why a pod has no node: the scheduler's own verdict, resolved against nodes, taints and volumes. */
export const podScheduling: Check = {
  name: 'pod.scheduling',
  subject: KIND,
  codes: [
    'SchedulingGated', 'InsufficientResources', 'TooManyPods', 'UntoleratedTaint', 'NodeAffinityMismatch', 'PodAffinityUnsatisfied',
    'PodAntiAffinityConflict', 'TopologySpreadUnsatisfiable', 'HostPortConflict', 'NodesUnschedulable', 'NoNodes',
    'UnboundPersistentVolumeClaim', 'PersistentVolumeClaimNotFound', 'VolumeNodeAffinityConflict', 'NodeNameMismatch', 'Unschedulable',
  ],
  evidence: ['pod', 'pod.events', 'nodes'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const pod = subject as Pod;
    const ref = refOf(KIND, pod);
    inv.note('pod');
    if ((pod.spec?.nodeName ?? '') !== '') return;
    const scheduled = conditionOf(pod.status?.conditions, 'PodScheduled');
    const gates = pod.spec?.schedulingGates ?? [];
    if (gates.length > 0 || scheduled?.reason === 'SchedulingGated') {
      inv.report({
        code: 'SchedulingGated', severity: 'Warning', object: ref, confidence: 1,
        message: `Pod ${ref.namespace ?? ''}/${ref.name} is held by scheduling gate(s) ${gates.map((g) => g.name).join(', ')}; the scheduler will not consider it until they are removed`,
        anchors: [inv.anchorField(KIND, pod, 'spec.schedulingGates')],
        chain: [...chain, ref],
        nextActions: [{ description: 'Show the gates; the controller that added them removes them', command: `kubectl get pod ${ref.name} -n ${ref.namespace ?? ''} -o jsonpath='{.spec.schedulingGates}'`, safety: 'ReadOnly' }],
      });
      return;
    }
    const events = inv.events(KIND, pod, 'pod.events');
    if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return;
    const failed = events.find((e) => e.reason === 'FailedScheduling');
    const message = scheduled.message ?? failed?.message ?? '';
    const anchors = [inv.anchorField(KIND, pod, 'status.conditions[type=PodScheduled].message'), ...(failed === undefined ? [] : [inv.anchorEvent(failed)])];
    // Undefined when nodes cannot be read: forbidden is not "no nodes", so nothing is inferred from an empty list.
    const nodes = inv.list<Node>('Node', 'nodes');
    const parsed = parseSchedulingMessage(message);
    const wanted = nodes?.filter((node) => podWantsNode(pod, node));
    const primary = primaryCause(parsed, wanted, pod.spec?.tolerations ?? []);
    // Unparsed fragments (post-filter notes) are reported only when nothing known explains the pod.
    const known = parsed.causes.filter((c) => c.code !== 'Unknown');
    for (const cause of known.length > 0 ? known : parsed.causes) {
      const explained = explain(inv, pod, cause, nodes, parsed, ref);
      const code = explained.code ?? (cause.code === 'Unknown' ? 'Unschedulable' : cause.code);
      const isPrimary = cause === primary;
      inv.report({
        code, severity: explained.severity, object: ref, message: explained.message,
        anchors: [...anchors, ...explained.anchors], nextActions: explained.nextActions,
        ...(isPrimary ? { chain: [...chain, ref, ...explained.chainTail], confidence: explained.confidence } : {}),
      });
      if (isPrimary && cause.code === 'UnboundPersistentVolumeClaim') followClaims(ctx, pod, [...chain, ref]);
    }
  },
};
