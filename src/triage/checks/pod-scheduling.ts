import type { Code } from '../catalogue';
import type { NextAction, ObjectRef, Severity } from '../../crds/envelope';
import { refOf, type Investigation, type Lookup } from '../investigation';
import { conditionOf, type Condition, type EventRecord, type Node, type PersistentVolumeClaim, type Pod, type Taint, type Toleration } from '../objects';
import { constraintLabelKeys, describeNodeConstraints, nodesPodWants, podWantsNode } from '../node-affinity';
import { formatQuantity, parseQuantity } from '../quantity';
import { parseSchedulingMessage, type ClaimState, type ParsedSchedulingMessage, type SchedulingCause, type SchedulingReasonCode } from '../scheduler-message';
import { INDEX, type ObjectMeta } from '../snapshot';
import { codesOf, defineRule, runRules, type Check, type CheckContext, type Rule } from './check';
import { freeOn, keepsOff, podRequest } from './node-fit';

const KIND = 'Pod';
/** The finalizer the pvc-protection controller keeps on a claim while a scheduled pod uses it. */
const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const SYSTEM_TAINT = /^(node-role\.kubernetes\.io\/|node\.kubernetes\.io\/|node\.cloudprovider\.kubernetes\.io\/)/;
/** The taint the node lifecycle controller puts on a cordoned node; the scheduler reports it as an untolerated taint. */
const CORDON_TAINT = 'node.kubernetes.io/unschedulable';

/** A claim with the metadata the shared view leaves out: which finalizers hold it while it is being deleted. */
interface FinalizedClaim extends PersistentVolumeClaim {
  readonly metadata?: ObjectMeta & { readonly finalizers?: readonly string[] };
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

/** One scheduler cause turned into a finding, with what the message leaves out resolved (which taint, how much is free). */
interface Explained {
  readonly code: Code;
  readonly severity: Severity;
  readonly message: string;
  readonly chainTail: readonly ObjectRef[];
  readonly anchors: readonly string[];
  readonly nextActions: readonly NextAction[];
  readonly confidence: number;
}

/** What an explanation says unless it says otherwise. */
const BASE = { severity: 'Critical', chainTail: [], anchors: [], confidence: 0.9 } as const;

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

/** What the pod rules share: the pod without a node, how it was reached, and its PodScheduled condition. */
interface PodRun {
  readonly ctx: CheckContext;
  readonly inv: Investigation;
  readonly pod: Pod;
  readonly ref: ObjectRef;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  readonly scheduled: Condition | undefined;
}

/** What the rules for one scheduler verdict share: the parsed message, and the nodes it is checked against. */
interface VerdictRun extends PodRun {
  readonly ns: string;
  readonly name: string;
  readonly parsed: ParsedSchedulingMessage;
  /** Undefined when nodes cannot be read: unknown, not absent, so rules say so instead of reasoning from an empty list. */
  readonly readable: readonly Node[] | undefined;
  /** The readable nodes, or none. */
  readonly nodes: readonly Node[];
  /** Nodes the pod's selector and required affinity accept. */
  readonly wanted: readonly Node[];
  /** Nodes the pod could use but for the cause at hand: selected, not cordoned, every hard taint tolerated. */
  readonly usable: readonly Node[];
  readonly tolerations: readonly Toleration[];
  /** The PodScheduled message and the FailedScheduling event: every finding of the verdict cites them. */
  readonly anchors: readonly string[];
  /** The cause that blocks the pod: its finding carries the chain and the confidence. */
  readonly primary: SchedulingCause | undefined;
  readonly describePod: NextAction;
  readonly nodesAction: NextAction;
}

/** One cause of the verdict, explained by the rule for its code. */
interface CauseRun extends VerdictRun {
  readonly cause: SchedulingCause;
}

function reportCause(c: CauseRun, explained: Explained): void {
  const isPrimary = c.cause === c.primary;
  c.inv.report({
    code: explained.code,
    severity: explained.severity,
    object: c.ref,
    message: explained.message,
    anchors: [...c.anchors, ...explained.anchors],
    nextActions: explained.nextActions,
    ...(isPrimary ? { chain: [...c.chain, c.ref, ...explained.chainTail], confidence: explained.confidence } : {}),
  });
}

/** A rule for one scheduler reason: it explains a cause of that code and reports it. */
function reasonRule(name: string, reason: SchedulingReasonCode, proves: readonly Code[], explain: (c: CauseRun) => Explained): Rule<CauseRun> {
  return defineRule<CauseRun>({
    name,
    proves,
    run(c) {
      if (c.cause.code !== reason) return false;
      reportCause(c, explain(c));
      return true;
    },
  });
}

/** How short the pod falls: the resource it lacks, every resource it requests, and the node with the most free of it. */
interface Shortfall {
  readonly resource: string;
  readonly resources: readonly string[];
  readonly best: Node | undefined;
}

function shortfallMessage(c: CauseRun, s: Shortfall): string {
  const { inv, pod, cause, ns, name } = c;
  const quantity = (r: string, value: number) => `${formatQuantity(r, value)} ${r}`;
  const askedOne = quantity(s.resource, podRequest(pod, s.resource));
  const excluded = c.parsed.causes.filter((other) => other !== cause && EXCLUDING.has(other.code));
  // Which nodes those rules exclude is not known here: give the scheduler's counts, not a node that may be excluded.
  if (excluded.length > 0)
    return `Pod ${ns}/${name} requests ${askedOne}, which ${cause.nodeCount ?? '?'} node(s) lack; the others are excluded (${excluded.map((x) => `${x.nodeCount ?? '?'} ${x.text}`).join(', ')})`;
  if (c.readable === undefined)
    return `Pod ${ns}/${name} requests ${askedOne}, which ${cause.nodeCount ?? '?'} node(s) lack, by the scheduler's count (${NODES_UNREADABLE}, so free capacity is unknown)`;
  if (s.best !== undefined)
    return `Pod ${ns}/${name} requests ${askedOne}; the most free on a node that fits its other requests is ${formatQuantity(s.resource, Math.max(0, freeOn(inv, s.best, s.resource)))} (${s.best.metadata?.name ?? ''})`;
  const asks = s.resources.map((r) => quantity(r, podRequest(pod, r))).join(' and ');
  if (c.usable.length === 0) return `Pod ${ns}/${name} requests ${asks}; no node it may run on has room`;
  const room = (node: Node) => `${node.metadata?.name ?? ''} has ${s.resources.map((r) => quantity(r, Math.max(0, freeOn(inv, node, r)))).join(', ')} free`;
  return `Pod ${ns}/${name} requests ${asks}; no node has room for all of it: ${c.usable.slice(0, 3).map(room).join('; ')}`;
}

/** The usable node that allocates the most of a resource, with how much; undefined when no node is usable. */
function largestNode(c: CauseRun, resource: string): { readonly node: Node; readonly allocatable: number } | undefined {
  let largest: { node: Node; allocatable: number } | undefined;
  for (const node of c.usable) {
    const allocatable = parseQuantity(node.status?.allocatable?.[resource]) ?? 0;
    if (largest === undefined || allocatable > largest.allocatable) largest = { node, allocatable };
  }
  return largest;
}

/**
 * A request above what every usable node allocates fits nowhere however many pods are moved: the fix is the
 * request or a larger node, and proving it reads the nodes alone, not every pod on them (one such pod at
 * 5,000 nodes and 150,000 pods read the whole cluster and held the event loop for over a second).
 */
function explainTooLarge(c: CauseRun, resource: string): Explained | undefined {
  if (c.readable === undefined) return undefined;
  const largest = largestNode(c, resource);
  const asked = podRequest(c.pod, resource);
  if (largest === undefined || largest.allocatable >= asked) return undefined;
  const { inv, ns, name } = c;
  const field = `status.allocatable[${resource}]`;
  const most = largest.allocatable === 0 ? 'none' : `at most ${formatQuantity(resource, largest.allocatable)} (${largest.node.metadata?.name ?? ''})`;
  return {
    ...BASE,
    code: 'InsufficientResources',
    message: `Pod ${ns}/${name} requests ${formatQuantity(resource, asked)} ${resource}, more than any node it may run on allocates: ${most}`,
    anchors: largest.node.status?.allocatable?.[resource] === undefined ? [] : [inv.anchorField('Node', largest.node, field)],
    nextActions: [
      c.describePod,
      {
        description: `Lower the pod's ${resource} request or add a node that allocates ${formatQuantity(resource, asked)} ${resource}`,
        command: requestsCommand(c),
        safety: 'ReadOnly',
      },
      c.nodesAction,
    ],
  };
}

/** Shows the pod's requests; sidecars and init containers count toward them, so theirs are shown beside the containers'. */
function requestsCommand(c: CauseRun): string {
  const { pod, ns, name } = c;
  return (pod.spec?.initContainers ?? []).length > 0
    ? `kubectl get pod ${name} -n ${ns} -o jsonpath='{.spec.initContainers[*].resources.requests}{"\\n"}{.spec.containers[*].resources.requests}'`
    : `kubectl get pod ${name} -n ${ns} -o jsonpath='{.spec.containers[*].resources}'`;
}

function explainInsufficient(c: CauseRun): Explained {
  const { inv, pod } = c;
  const resource = c.cause.resource ?? 'cpu';
  const tooLarge = explainTooLarge(c, resource);
  if (tooLarge !== undefined) return tooLarge;
  const resources = [...new Set([resource, 'cpu', 'memory', 'ephemeral-storage'])].filter((r) => r === resource || podRequest(pod, r) > 0);
  // Only nodes where everything else the pod asks for fits say how short this resource is.
  const fitsOthers = c.usable.filter((node) => resources.every((r) => r === resource || freeOn(inv, node, r) >= podRequest(pod, r)));
  const best = fitsOthers.reduce<Node | undefined>(
    (top, node) => (top === undefined || freeOn(inv, node, resource) > freeOn(inv, top, resource) ? node : top),
    undefined,
  );
  return {
    ...BASE,
    code: 'InsufficientResources',
    message: shortfallMessage(c, { resource, resources, best }),
    nextActions: [c.describePod, { description: `Lower the pod's requests or add capacity`, command: requestsCommand(c), safety: 'ReadOnly' }, c.nodesAction],
  };
}

function explainTooManyPods(c: CauseRun): Explained {
  const { inv, ns, name } = c;
  const full = c.usable.filter((node) => {
    const capacity = parseQuantity(node.status?.allocatable?.pods) ?? 0;
    const running = (inv.byIndex<Pod>('Pod', 'nodes.pods', INDEX.node, node.metadata?.name ?? '') ?? []).filter(
      (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    return running.length >= capacity;
  });
  const first = full[0];
  return {
    ...BASE,
    code: 'TooManyPods',
    message: `${c.cause.nodeCount ?? full.length} node(s) Pod ${ns}/${name} can use already run as many pods as they allow${first === undefined ? '' : ` (e.g. ${first.metadata?.name ?? ''}: ${first.status?.allocatable?.pods ?? '?'} pods)`}`,
    chainTail: first === undefined ? [] : [refOf('Node', first)],
    anchors: first === undefined ? [] : [inv.anchorField('Node', first, 'status.allocatable.pods')],
    nextActions: [c.describePod, c.nodesAction],
  };
}

/** One untolerated taint on one node. */
interface TaintOnNode {
  readonly node: Node;
  readonly taint: Taint;
}

const describeTaint = (t: Taint): string => `${t.key}${t.value === undefined || t.value === '' ? '' : `=${t.value}`}:${t.effect}`;

/** The taints that keep the pod off the nodes it wants; the cordon taint counts only when cordons are all that stop it. */
function blockingTaints(c: CauseRun): TaintOnNode[] {
  const cordonedNode = (node: Node) => node.spec?.unschedulable === true;
  const hard = (taint: Taint) => keepsOff(c.tolerations, taint);
  const onlyCordon = c.wanted.some(cordonedNode) && c.wanted.every((node) => cordonedNode(node) || !(node.spec?.taints ?? []).some(hard));
  return c.wanted
    .filter((node) => onlyCordon || !cordonedNode(node))
    .flatMap((node) =>
      (node.spec?.taints ?? []).filter((taint) => hard(taint) && (onlyCordon || taint.key !== CORDON_TAINT)).map((taint) => ({ node, taint })),
    );
}

/** An untolerated taint on a node the pod's selector/affinity rules out anyway, when no wanted node has one. */
function taintElsewhere(c: CauseRun, blocking: readonly TaintOnNode[]): TaintOnNode | undefined {
  const hard = (taint: Taint) => keepsOff(c.tolerations, taint);
  if (c.readable === undefined || blocking.length > 0 || c.wanted.some((node) => (node.spec?.taints ?? []).some(hard))) return undefined;
  return c.nodes.filter((node) => !c.wanted.includes(node)).flatMap((node) => (node.spec?.taints ?? []).filter(hard).map((taint) => ({ node, taint })))[0];
}

function cordonedExplained(c: CauseRun, node: Node): Explained {
  const nodeName = node.metadata?.name ?? '';
  return {
    ...BASE,
    code: 'NodesUnschedulable',
    message: `The node(s) Pod ${c.ns}/${c.name} can run on are cordoned (e.g. ${nodeName})`,
    chainTail: [refOf('Node', node)],
    anchors: [c.inv.anchorField('Node', node, 'spec.unschedulable')],
    nextActions: [
      c.nodesAction,
      { description: `Uncordon ${nodeName} if its maintenance is over`, command: `kubectl uncordon ${nodeName}`, safety: 'Mutating' },
    ],
  };
}

function untoleratedExplained(c: CauseRun, blocking: readonly TaintOnNode[]): Explained {
  const first = blocking[0];
  const taints = [...new Set(blocking.map(({ taint }) => describeTaint(taint)))];
  const nodeName = first?.node.metadata?.name;
  return {
    ...BASE,
    code: 'UntoleratedTaint',
    message: `Pod ${c.ns}/${c.name} does not tolerate ${taints.length > 0 ? `taint ${taints.join(', ')}` : 'the taints'} on ${c.cause.nodeCount ?? blocking.length} node(s)${first === undefined ? '' : ` (e.g. ${nodeName ?? '?'})`}${c.readable === undefined ? ` (${NODES_UNREADABLE})` : ''}`,
    chainTail: first === undefined ? [] : [refOf('Node', first.node)],
    anchors: first === undefined ? [] : [c.inv.anchorField('Node', first.node, 'spec.taints')],
    nextActions: [
      c.describePod,
      { description: 'Show node taints', command: 'kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints', safety: 'ReadOnly' },
      // Removing a well-known system taint (control-plane, node.kubernetes.io/*) is never a safe suggestion.
      ...(first === undefined || SYSTEM_TAINT.test(first.taint.key)
        ? []
        : [
            {
              description: `Remove taint ${describeTaint(first.taint)} from ${nodeName ?? ''} if it is no longer wanted (otherwise add a toleration to the pod template)`,
              command: `kubectl taint nodes ${nodeName ?? ''} ${describeTaint(first.taint)}-`,
              safety: 'Mutating' as const,
            },
          ]),
    ],
  };
}

function explainTaint(c: CauseRun): Explained {
  const blocking = blockingTaints(c);
  const first = blocking[0];
  // A cordoned node carries node.kubernetes.io/unschedulable, which the scheduler reports as a taint.
  if (first !== undefined && blocking.every(({ taint }) => taint.key === CORDON_TAINT)) return cordonedExplained(c, first.node);
  // Taints only on nodes the pod's selector/affinity rules out anyway change nothing: context, not a cause.
  const elsewhere = taintElsewhere(c, blocking);
  if (elsewhere === undefined) return untoleratedExplained(c, blocking);
  return {
    ...BASE,
    code: 'UntoleratedTaint',
    severity: 'Info',
    message: `${c.cause.nodeCount ?? '?'} node(s) have taints Pod ${c.ns}/${c.name} does not tolerate (e.g. ${describeTaint(elsewhere.taint)} on ${elsewhere.node.metadata?.name ?? ''}), but the pod's node selector/affinity rules them out anyway`,
    nextActions: [c.describePod],
  };
}

function explainAffinity(c: CauseRun): Explained {
  const { pod, cause, parsed, readable, wanted, ns, name } = c;
  // When some node does match, the mismatch only counts the nodes the pod never wanted: context, not a fault.
  if (!affinityExcludesAll(cause, parsed.totalNodes, readable === undefined ? undefined : wanted)) {
    return {
      ...BASE,
      code: 'NodeAffinityMismatch',
      severity: 'Info',
      // Both numbers from one source: the scheduler counts a node only under the first filter it fails.
      message:
        readable === undefined
          ? `${cause.nodeCount ?? '?'} of ${parsed.totalNodes ?? '?'} node(s) do not match the node selector/affinity of Pod ${ns}/${name} by the scheduler's count (${NODES_UNREADABLE})`
          : `${c.nodes.length - wanted.length} node(s) do not match the node selector/affinity of Pod ${ns}/${name}; ${wanted.length} do`,
      nextActions: [c.describePod],
    };
  }
  const labelKeys = constraintLabelKeys(pod);
  return {
    ...BASE,
    code: 'NodeAffinityMismatch',
    message:
      readable === undefined
        ? `No node matches the node selector/affinity of Pod ${ns}/${name} (${describeNodeConstraints(pod)}): the scheduler rejected ${cause.nodeCount === undefined ? 'every node' : `all ${cause.nodeCount} nodes`} for it (${NODES_UNREADABLE})`
        : `No node matches the node selector/affinity of Pod ${ns}/${name} (${describeNodeConstraints(pod)})`,
    anchors: nodeConstraintFields(pod, readable).map((field) => c.inv.anchorField(KIND, pod, field)),
    nextActions: [
      c.describePod,
      {
        description: 'Show the node labels the pod selects on',
        command: labelKeys.length > 0 ? `kubectl get nodes -L ${labelKeys.join(',')}` : 'kubectl get nodes --show-labels',
        safety: 'ReadOnly',
      },
    ],
  };
}

function explainCordoned(c: CauseRun): Explained {
  const cordoned = c.nodes.filter((n) => n.spec?.unschedulable === true);
  const first = cordoned[0];
  const names =
    c.readable === undefined
      ? ` (${NODES_UNREADABLE})`
      : first === undefined
        ? ''
        : `: ${cordoned
            .map((n) => n.metadata?.name ?? '')
            .slice(0, 5)
            .join(', ')}`;
  return {
    ...BASE,
    code: 'NodesUnschedulable',
    message: `${c.cause.nodeCount ?? cordoned.length} node(s) are cordoned (unschedulable)${names}`,
    chainTail: first === undefined ? [] : [refOf('Node', first)],
    anchors: first === undefined ? [] : [c.inv.anchorField('Node', first, 'spec.unschedulable')],
    nextActions: [
      c.nodesAction,
      ...(first === undefined
        ? []
        : [
            {
              description: `Uncordon ${first.metadata?.name ?? ''} if its maintenance is over`,
              command: `kubectl uncordon ${first.metadata?.name ?? ''}`,
              safety: 'Mutating' as const,
            },
          ]),
    ],
  };
}

/** The claim a PersistentVolumeClaimNotFound cause names, as the cache has it now. */
interface NamedClaim {
  readonly claimName: string;
  readonly claimState: ClaimState;
  readonly lookup: Lookup<FinalizedClaim>;
  /** The pod's volume that names the claim, as an anchor. */
  readonly volumeAnchors: readonly string[];
  readonly chainTail: readonly ObjectRef[];
}

function claimBeingDeleted(c: CauseRun, named: NamedClaim, found: FinalizedClaim): Explained {
  const { ns, name } = c;
  const { claimName } = named;
  // pvc-protection keeps a claim while a scheduled pod uses it (the pending pod is not one): name who holds it.
  const holders = (c.inv.byIndex<Pod>('Pod', 'claim.consumers', INDEX.claim, `${ns}/${claimName}`) ?? []).filter((p) => (p.spec?.nodeName ?? '') !== '');
  const finalizers = found.metadata?.finalizers ?? [];
  const protectedBy = finalizers.includes(PVC_PROTECTION)
    ? `the ${PVC_PROTECTION} finalizer holds the claim while scheduled pods use it${
        holders.length === 0
          ? ''
          : ` (${holders
              .slice(0, 3)
              .map((p) => `${p.metadata?.name ?? ''} on ${p.spec?.nodeName ?? ''}`)
              .join(', ')})`
      }`
    : finalizers.length > 0
      ? `finalizer(s) ${finalizers.join(', ')} hold the claim`
      : 'no finalizer holds the claim, so it should be gone shortly';
  return {
    ...BASE,
    code: 'PersistentVolumeClaimNotFound',
    message: `Pod ${ns}/${name} mounts PersistentVolumeClaim "${claimName}", which is being deleted, so the scheduler will not place the pod; ${protectedBy}`,
    chainTail: named.chainTail,
    anchors: [...named.volumeAnchors, c.inv.anchorField('PersistentVolumeClaim', found, 'metadata.deletionTimestamp')],
    confidence: 1,
    nextActions: [
      c.describePod,
      {
        description: `Show claim ${claimName} and the pods that use it (Used By); once it is gone, recreate it or point the pod at another claim`,
        command: `kubectl describe pvc ${claimName} -n ${ns}`,
        safety: 'ReadOnly',
      },
    ],
  };
}

/** What the scheduler said of the claim, to quote beside what the cache shows now. */
const SCHEDULER_SAID: Readonly<Record<ClaimState, string>> = {
  NotFound: 'did not exist',
  BeingDeleted: 'was being deleted',
  NotYetCreated: 'was not yet created by the ephemeral volume controller',
};

/** Why the claim the cache lacks is missing. */
const MISSING_BECAUSE: Readonly<Record<ClaimState, string>> = {
  NotFound: 'which does not exist',
  BeingDeleted: 'which was being deleted and is gone now',
  NotYetCreated: 'a generic ephemeral volume claim the ephemeral volume controller (kube-controller-manager) has not created',
};

function claimMissing(c: CauseRun, named: NamedClaim): Explained {
  const { ns, name } = c;
  const { claimName, claimState, lookup } = named;
  return {
    ...BASE,
    code: 'PersistentVolumeClaimNotFound',
    message:
      lookup.state === 'Found'
        ? `The scheduler last said PersistentVolumeClaim "${claimName}" of Pod ${ns}/${name} ${SCHEDULER_SAID[claimState]}; it exists now${claimState === 'BeingDeleted' ? ' and is not being deleted' : ''}, so the pod should be retried`
        : lookup.state === 'Absent'
          ? `Pod ${ns}/${name} mounts PersistentVolumeClaim "${claimName}", ${MISSING_BECAUSE[claimState]}`
          : `The scheduler says PersistentVolumeClaim "${claimName}" of Pod ${ns}/${name} ${SCHEDULER_SAID[claimState]}; claims could not be read to confirm it`,
    chainTail: named.chainTail,
    anchors: named.volumeAnchors,
    confidence: lookup.state === 'Absent' ? 1 : 0.5,
    nextActions: [c.describePod, { description: 'List the claims in the namespace', command: `kubectl get pvc -n ${ns}`, safety: 'ReadOnly' }],
  };
}

function explainMissingClaim(c: CauseRun): Explained {
  const { inv, pod, ns } = c;
  const claimName = c.cause.claimName ?? '';
  const volume = (pod.spec?.volumes ?? []).find((v) => v.persistentVolumeClaim?.claimName === claimName);
  // The scheduler's word is checked against the cache: a claim created since makes the message stale.
  const lookup = inv.get<FinalizedClaim>('PersistentVolumeClaim', 'pod.claims', claimName, ns);
  const found = lookup.state === 'Found' ? lookup.object : undefined;
  const named: NamedClaim = {
    claimName,
    claimState: c.cause.claimState ?? 'NotFound',
    lookup,
    volumeAnchors: volume === undefined ? [] : [inv.anchorField(KIND, pod, `spec.volumes[name=${volume.name}].persistentVolumeClaim.claimName`)],
    chainTail: [refOf('PersistentVolumeClaim', found, { name: claimName, namespace: ns })],
  };
  return found?.metadata?.deletionTimestamp === undefined ? claimMissing(c, named) : claimBeingDeleted(c, named, found);
}

function followClaims(ctx: CheckContext, pod: Pod, chain: readonly ObjectRef[]): void {
  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (claimName === undefined) continue;
    const claim = ctx.inv.get<PersistentVolumeClaim>('PersistentVolumeClaim', 'pod.claims', claimName, pod.metadata?.namespace);
    if (claim.state === 'Found' && claim.object.status?.phase !== 'Bound') ctx.follow('PersistentVolumeClaim', claim.object, chain);
  }
}

// The scheduler's requests arithmetic (not use): nodes whose pods' requests leave too little free cannot take the pod.
const insufficientResourcesRule = reasonRule('insufficientResources', 'InsufficientResources', ['InsufficientResources'], explainInsufficient);

// A node's allocatable pods caps how many it runs, whatever CPU and memory are left.
const tooManyPodsRule = reasonRule('tooManyPods', 'TooManyPods', ['TooManyPods'], explainTooManyPods);

// A hard taint keeps off every pod without a toleration; a cordon is reported by the scheduler as one such taint.
const untoleratedTaintRule = reasonRule('untoleratedTaint', 'UntoleratedTaint', ['UntoleratedTaint', 'NodesUnschedulable'], explainTaint);

// A nodeSelector or required node affinity that no node satisfies blocks alone; one that some node satisfies is context.
const nodeAffinityRule = reasonRule('nodeAffinityMismatch', 'NodeAffinityMismatch', ['NodeAffinityMismatch'], explainAffinity);

// A cordoned node (spec.unschedulable) takes no new pods until it is uncordoned.
const nodesUnschedulableRule = reasonRule('nodesUnschedulable', 'NodesUnschedulable', ['NodesUnschedulable'], explainCordoned);

// With no node at all there is nowhere to schedule, whatever the pod asks for.
const noNodesRule = reasonRule('noNodes', 'NoNodes', ['NoNodes'], () => ({
  ...BASE,
  code: 'NoNodes',
  message: 'The cluster has no nodes to schedule on',
  nextActions: [{ description: 'List nodes', command: 'kubectl get nodes', safety: 'ReadOnly' }],
}));

// A pod is not scheduled while a claim it mounts is missing, being deleted, or not yet created for its ephemeral volume.
const missingClaimRule = reasonRule('persistentVolumeClaimNotFound', 'PersistentVolumeClaimNotFound', ['PersistentVolumeClaimNotFound'], explainMissingClaim);

// The volume binder waits for the pod's claims to bind: when this is the blocker, the claim's own cause is the answer.
const unboundClaimRule = defineRule<CauseRun>({
  name: 'unboundPersistentVolumeClaim',
  proves: ['UnboundPersistentVolumeClaim'],
  run(c) {
    if (c.cause.code !== 'UnboundPersistentVolumeClaim') return false;
    reportCause(c, {
      ...BASE,
      code: 'UnboundPersistentVolumeClaim',
      severity: 'Warning',
      confidence: 0.6,
      message: `Pod ${c.ns}/${c.name} waits for an unbound PersistentVolumeClaim`,
      nextActions: [c.describePod, { description: 'List the claims in the namespace', command: `kubectl get pvc -n ${c.ns}`, safety: 'ReadOnly' }],
    });
    if (c.cause === c.primary) followClaims(c.ctx, c.pod, [...c.chain, c.ref]);
    return true;
  },
});

// A fragment the grammar does not know is still the scheduler's word: reported, with little confidence, as Unschedulable.
const unparsedReasonRule = defineRule<CauseRun>({
  name: 'unparsedReason',
  proves: ['Unschedulable'],
  run(c) {
    if (c.cause.code !== 'Unknown') return false;
    reportCause(c, {
      ...BASE,
      code: 'Unschedulable',
      severity: 'Warning',
      confidence: 0.3,
      message: `Pod ${c.ns}/${c.name} cannot be scheduled: ${c.cause.text}`,
      nextActions: [c.describePod, c.nodesAction],
    });
    return true;
  },
});

// Rules the engine does not evaluate itself (pod (anti-)affinity, spread, ports, volume zones, nodeName): the scheduler's word is quoted.
const quotedReasonRule = defineRule<CauseRun>({
  name: 'quotedReason',
  proves: [
    'PodAffinityUnsatisfied',
    'PodAntiAffinityConflict',
    'TopologySpreadUnsatisfiable',
    'HostPortConflict',
    'VolumeNodeAffinityConflict',
    'NodeNameMismatch',
  ],
  run(c) {
    const code = c.cause.code;
    if (code === 'Unknown') return false;
    reportCause(c, {
      ...BASE,
      code,
      confidence: 0.85,
      message: `Pod ${c.ns}/${c.name} cannot be scheduled: ${c.cause.text}`,
      nextActions: [c.describePod, c.nodesAction],
    });
    return true;
  },
});

/** One rule per scheduler reason; the quoted rule last, for every known reason the ones before it do not explain. */
const CAUSE_RULES: readonly Rule<CauseRun>[] = [
  insufficientResourcesRule,
  tooManyPodsRule,
  untoleratedTaintRule,
  nodeAffinityRule,
  nodesUnschedulableRule,
  noNodesRule,
  missingClaimRule,
  unboundClaimRule,
  unparsedReasonRule,
  quotedReasonRule,
];

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
  const taintOnWanted = wanted === undefined || wanted.some((node) => (node.spec?.taints ?? []).some((t) => keepsOff(tolerations, t)));
  // Selector and skew rejections describe where the pod may go: the blocker is what stops it there.
  // A spread key that no node carries ("missing required label") blocks everywhere: a cause, not context.
  const context = (c: SchedulingCause) =>
    c.code === 'NodeAffinityMismatch' || (c.code === 'TopologySpreadUnsatisfiable' && !c.text.includes('missing required label'));
  const weight = (c: SchedulingCause) => (context(c) ? 0 : c.code === 'UntoleratedTaint' && !taintOnWanted ? 1 : 2);
  return [...pool].sort((a, b) => weight(b) - weight(a) || (b.nodeCount ?? 0) - (a.nodeCount ?? 0))[0];
}

/** The verdict's shared reading: the message parsed, its anchors, the nodes it is checked against, and its primary cause. */
function verdictRun(p: PodRun, scheduled: Condition, events: readonly EventRecord[]): VerdictRun {
  const { inv, pod, ref } = p;
  const ns = ref.namespace ?? '';
  const name = ref.name;
  const failed = events.find((e) => e.reason === 'FailedScheduling');
  const message = scheduled.message ?? failed?.message ?? '';
  const anchors = [inv.anchorField(KIND, pod, 'status.conditions[type=PodScheduled].message'), ...(failed === undefined ? [] : [inv.anchorEvent(failed)])];
  // Undefined when nodes cannot be read: forbidden is not "no nodes", so nothing is inferred from an empty list.
  const readable = inv.list<Node>('Node', 'nodes');
  const parsed = parseSchedulingMessage(message);
  const nodes = readable ?? [];
  const byName = inv.memo('nodes:byName', () => new Map(nodes.map((node) => [node.metadata?.name ?? '', node])));
  const wanted = nodesPodWants(pod, nodes, (nodeName) => byName.get(nodeName));
  const tolerations = pod.spec?.tolerations ?? [];
  const usable = wanted.filter((node) => node.spec?.unschedulable !== true && !(node.spec?.taints ?? []).some((t) => keepsOff(tolerations, t)));
  return {
    ...p,
    ns,
    name,
    parsed,
    readable,
    nodes,
    wanted,
    usable,
    tolerations,
    anchors,
    primary: primaryCause(parsed, readable === undefined ? undefined : wanted, tolerations),
    describePod: { description: 'Show the pod and its scheduling events', command: `kubectl describe pod ${name} -n ${ns}`, safety: 'ReadOnly' },
    nodesAction: { description: 'List nodes with their taints and capacity', command: 'kubectl describe nodes', safety: 'ReadOnly' },
  };
}

// Scheduling gates keep a pod out of the scheduler's queue: nothing about nodes applies until the gates are removed.
const schedulingGatedRule = defineRule<PodRun>({
  name: 'schedulingGated',
  proves: ['SchedulingGated'],
  run(p) {
    const { inv, pod, ref } = p;
    const gates = pod.spec?.schedulingGates ?? [];
    if (gates.length === 0 && p.scheduled?.reason !== 'SchedulingGated') return false;
    inv.report({
      code: 'SchedulingGated',
      severity: 'Warning',
      object: ref,
      confidence: 1,
      message: `Pod ${ref.namespace ?? ''}/${ref.name} is held by scheduling gate(s) ${gates.map((g) => g.name).join(', ')}; the scheduler will not consider it until they are removed`,
      anchors: [inv.anchorField(KIND, pod, 'spec.schedulingGates')],
      chain: [...p.chain, ref],
      nextActions: [
        {
          description: 'Show the gates; the controller that added them removes them',
          command: `kubectl get pod ${ref.name} -n ${ref.namespace ?? ''} -o jsonpath='{.spec.schedulingGates}'`,
          safety: 'ReadOnly',
        },
      ],
    });
    return true;
  },
});

// PodScheduled=False with reason Unschedulable is the scheduler's verdict: each cause it names gets its rule's finding.
const schedulerVerdictRule = defineRule<PodRun>({
  name: 'schedulerVerdict',
  proves: codesOf(CAUSE_RULES),
  run(p) {
    const events = p.inv.events(KIND, p.pod, 'pod.events');
    const scheduled = p.scheduled;
    if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return false;
    const verdict = verdictRun(p, scheduled, events);
    // Unparsed fragments (post-filter notes) are reported only when nothing known explains the pod.
    const known = verdict.parsed.causes.filter((c) => c.code !== 'Unknown');
    for (const cause of known.length > 0 ? known : verdict.parsed.causes) runRules(CAUSE_RULES, { ...verdict, cause });
    return true;
  },
});

const POD_RULES: readonly Rule<PodRun>[] = [schedulingGatedRule, schedulerVerdictRule];

/** Proves why a pod has no node: the scheduler's own verdict, resolved against nodes, taints and volumes. */
export const podScheduling: Check = {
  name: 'pod.scheduling',
  subject: KIND,
  codes: codesOf(POD_RULES),
  evidence: ['pod', 'pod.events', 'nodes'],
  run(ctx, subject, chain) {
    const pod = subject as Pod;
    const ref = refOf(KIND, pod);
    ctx.inv.note('pod');
    if ((pod.spec?.nodeName ?? '') !== '') return;
    runRules(POD_RULES, { ctx, inv: ctx.inv, pod, ref, chain, scheduled: conditionOf(pod.status?.conditions, 'PodScheduled') });
  },
};
