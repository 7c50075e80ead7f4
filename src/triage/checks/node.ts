import type { NextAction, ObjectRef, Severity } from '../../crds/envelope';
import { refOf, type Investigation, type Lookup } from '../investigation';
import { conditionOf, type Condition, type Node, type Pod, type Taint } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import { codesOf, defineRule, type Check, type Rule } from './check';

// Node checks: node conditions as the kubelet and node lifecycle controller write them, taints,
// spec.unschedulable.

/** The kubelet's pressure conditions (True = a fault) and the taint the node lifecycle controller adds for each. */
const PRESSURE: readonly {
  readonly type: 'MemoryPressure' | 'DiskPressure' | 'PIDPressure' | 'NetworkUnavailable';
  readonly taint: string;
  readonly what: string;
  readonly severity: Severity;
}[] = [
  {
    type: 'MemoryPressure',
    taint: 'node.kubernetes.io/memory-pressure',
    what: 'is low on memory: the kubelet evicts pods and no new BestEffort pods are scheduled there',
    severity: 'Warning',
  },
  {
    type: 'DiskPressure',
    taint: 'node.kubernetes.io/disk-pressure',
    what: 'is low on disk: the kubelet garbage-collects images, evicts pods and new pods are not scheduled there',
    severity: 'Warning',
  },
  {
    type: 'PIDPressure',
    taint: 'node.kubernetes.io/pid-pressure',
    what: 'is running out of process IDs: the kubelet evicts pods and new pods are not scheduled there',
    severity: 'Warning',
  },
  {
    type: 'NetworkUnavailable',
    taint: 'node.kubernetes.io/network-unavailable',
    what: 'reports its pod network unavailable: pods there may not reach other nodes and new pods are not scheduled there',
    severity: 'Critical',
  },
];
/** Node Leases live here, one per node, named like the node. */
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The controller-manager's --node-monitor-grace-period default (1.32+): a Lease older than this is a silent kubelet. */
const NODE_MONITOR_GRACE_SECONDS = 50;

interface Lease extends KubeObject {
  readonly spec?: { readonly renewTime?: string | null; readonly holderIdentity?: string; readonly leaseDurationSeconds?: number };
}

/**
 * How far a node's Lease trails: behind the newest node Lease when there are others (their renewals come
 * from kubelet clocks, and a watch that stalled stalls them all alike), else behind the operator's clock.
 */
function leaseLag(inv: Investigation, renewed: string | undefined): number | undefined {
  if (renewed === undefined) return undefined;
  // Once per run, not per node: a sweep over 5,000 nodes read every Lease for each of them.
  const newest = inv.memo('node-leases:newest', () => {
    let count = 0;
    let max = -Infinity;
    for (const l of inv.list<Lease>('Lease', 'node.lease', NODE_LEASE_NAMESPACE) ?? []) {
      const t = Date.parse(l.spec?.renewTime ?? '');
      if (Number.isNaN(t)) continue;
      count += 1;
      max = Math.max(max, t);
    }
    return count >= 2 ? max : undefined;
  });
  const at = Date.parse(renewed);
  if (Number.isNaN(at)) return undefined;
  return newest !== undefined ? Math.max(0, newest - at) / 1000 : inv.ageSeconds(renewed);
}

/** Taints the node lifecycle controller puts on a node that is not Ready. */
const NOT_READY_TAINTS = new Set(['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']);

interface NodeCondition extends Condition {
  readonly lastHeartbeatTime?: string;
}

// Messages carry absolute timestamps, never "for 5m": a relative age changes every minute and would
// rewrite an unchanged diagnosis (status churn) while telling the reader nothing the time does not.
function since(timestamp: string | undefined): string {
  return timestamp === undefined || timestamp === '' ? '' : ` since ${timestamp}`;
}

/** "reason: message" of a condition, whichever parts it has. */
function said(condition: Condition): string {
  return [condition.reason, condition.message?.trim()].filter((p) => p !== undefined && p !== '').join(': ');
}

/**
 * Problem conditions of node-problem-detector's default monitors (True = the problem is present): a
 * hung kernel or a read-only root filesystem breaks pods on the node whatever the kubelet reports.
 * Other custom conditions (vendors' own) are informational and stay benign.
 */
const PROBLEM_DETECTOR: Readonly<Record<string, 'Critical' | 'Info'>> = {
  KernelDeadlock: 'Critical',
  ReadonlyFilesystem: 'Critical',
  CorruptDockerOverlay2: 'Critical',
  // Restart counters flag a component that restarted often; the node may be fine now: noted, not a fault.
  FrequentKubeletRestart: 'Info',
  FrequentDockerRestart: 'Info',
  FrequentContainerdRestart: 'Info',
  FrequentUnregisterNetDevice: 'Info',
};

/** What the node rules share: the node, how it was reached, its Ready condition and Lease, and the actions its findings offer. */
interface NodeRun {
  readonly inv: Investigation;
  readonly node: Node;
  readonly ref: ObjectRef;
  readonly name: string;
  /** How it was reached, plus the node. */
  readonly path: readonly ObjectRef[];
  readonly conditions: readonly NodeCondition[];
  readonly taints: readonly Taint[];
  readonly ready: NodeCondition | undefined;
  /**
   * The node's heartbeat, renewed every 10 s (Ready's lastHeartbeatTime is posted on change or every 5 min);
   * read only when the node has a Ready condition.
   */
  readonly lease: Lookup<Lease> | undefined;
  /** When the kubelet last renewed the Lease. */
  readonly renewed: string | undefined;
  /** How far the Lease trails the others (or the clock), in seconds. */
  readonly silentFor: number | undefined;
  readonly describe: NextAction;
  readonly podsOnNode: NextAction;
}

function nodeRun(inv: Investigation, node: Node, chain: readonly ObjectRef[]): NodeRun {
  const ref = refOf('Node', node);
  const name = ref.name;
  inv.note('node');
  const conditions = (node.status?.conditions ?? []) as readonly NodeCondition[];
  const ready = conditions.find((c) => c.type === 'Ready');
  const lease = ready === undefined ? undefined : inv.get<Lease>('Lease', 'node.lease', name, NODE_LEASE_NAMESPACE);
  const renewed = lease?.state === 'Found' ? (lease.object.spec?.renewTime ?? undefined) : undefined;
  return {
    inv,
    node,
    ref,
    name,
    path: [...chain, ref],
    conditions,
    taints: node.spec?.taints ?? [],
    ready,
    lease,
    renewed,
    silentFor: leaseLag(inv, renewed),
    describe: { description: `Show node ${name}'s conditions, taints and the pods on it`, command: `kubectl describe node ${name}`, safety: 'ReadOnly' },
    podsOnNode: { description: `List the pods on ${name}`, command: `kubectl get pods -A -o wide --field-selector spec.nodeName=${name}`, safety: 'ReadOnly' },
  };
}

// A node still Ready whose Lease went stale has a stopped or cut-off kubelet that the lifecycle controller has not marked Unknown yet.
const silentKubeletRule = defineRule<NodeRun>({
  name: 'NodeNotReady (silent kubelet)',
  proves: ['NodeNotReady'],
  run(n) {
    const { inv, ref, name, lease, silentFor } = n;
    // A Lease declares how long it holds: a kubelet run with a longer one (nodeLeaseDurationSeconds) renews less often.
    const grace = Math.max(NODE_MONITOR_GRACE_SECONDS, lease?.state === 'Found' ? (lease.object.spec?.leaseDurationSeconds ?? 0) : 0);
    const stale = n.ready?.status === 'True' && lease?.state === 'Found' && silentFor !== undefined && silentFor > grace;
    if (!stale) return false;
    inv.report({
      code: 'NodeNotReady',
      severity: 'Critical',
      object: ref,
      confidence: 0.8,
      message: `Node ${name} still reports Ready, but its kubelet has not renewed its Lease since ${n.renewed ?? '?'} (more than ${grace}s): the kubelet stopped or lost the apiserver, and the node lifecycle controller will mark it Unknown`,
      anchors: [inv.anchorField('Lease', lease.object, 'spec.renewTime'), inv.anchorField('Node', n.node, 'status.conditions[type=Ready].status')],
      chain: n.path,
      nextActions: [
        {
          description: `Check whether ${name} is reachable and its kubelet runs (on the node: systemctl status kubelet; journalctl -u kubelet)`,
          command: `kubectl get lease ${name} -n ${NODE_LEASE_NAMESPACE} -o yaml`,
          safety: 'ReadOnly',
        },
        n.describe,
      ],
    });
    return true;
  },
});

/** The NotReady message: the condition's word, when the kubelet last spoke (Unknown), the pods at stake and the lifecycle taints. */
function notReadyMessage(n: NodeRun, ready: NodeCondition, lifecycle: readonly Taint[]): string {
  const pods = (n.inv.byIndex<Pod>('Pod', 'node.pods', INDEX.node, n.name) ?? []).filter(
    (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
  const unknown = ready.status === 'Unknown';
  // One entry per taint key: the controller adds NoSchedule and NoExecute under the same key.
  const taintKeys = [...new Set(lifecycle.map((t) => t.key))].map(
    (key) =>
      `${key}:${lifecycle
        .filter((t) => t.key === key)
        .map((t) => t.effect)
        .join('+')}`,
  );
  const evicting = lifecycle.some((t) => t.effect === 'NoExecute');
  return [
    `Node ${n.name} is NotReady (Ready=${ready.status ?? '?'}: ${ready.message?.trim() || ready.reason || 'no reason given'})${since(ready.lastTransitionTime)}`,
    ...(unknown && ready.lastHeartbeatTime !== undefined ? [`last status at ${ready.lastHeartbeatTime}`] : []),
    ...(unknown && n.renewed !== undefined ? [`Lease last renewed at ${n.renewed}`] : []),
    `${pods.length} pod(s) bound to it${evicting ? ' are evicted once their tolerations expire' : ''}`,
    ...(taintKeys.length === 0 ? [] : [`tainted ${taintKeys.join(', ')}`]),
  ].join('; ');
}

// Ready False or Unknown: the scheduler places nothing there and the lifecycle controller's taints evict the pods.
const notReadyRule = defineRule<NodeRun>({
  name: 'NodeNotReady',
  proves: ['NodeNotReady'],
  run(n) {
    const { inv, ref, name, ready } = n;
    if (ready === undefined || ready.status === 'True') return false;
    const lifecycle = n.taints.filter((t) => NOT_READY_TAINTS.has(t.key));
    const unknown = ready.status === 'Unknown';
    inv.report({
      code: 'NodeNotReady',
      severity: 'Critical',
      object: ref,
      confidence: 1,
      message: notReadyMessage(n, ready, lifecycle),
      anchors: [
        inv.anchorField('Node', n.node, 'status.conditions[type=Ready].message'),
        ...(unknown && ready.lastHeartbeatTime !== undefined ? [inv.anchorField('Node', n.node, 'status.conditions[type=Ready].lastHeartbeatTime')] : []),
        ...(lifecycle.length === 0 ? [] : [inv.anchorField('Node', n.node, 'spec.taints')]),
      ],
      chain: n.path,
      nextActions: [
        n.describe,
        unknown
          ? {
              description: `Check whether ${name} is reachable and its kubelet runs (on the node: systemctl status kubelet; journalctl -u kubelet)`,
              command: `kubectl get node ${name} -o wide`,
              safety: 'ReadOnly',
            }
          : n.podsOnNode,
      ],
    });
    return true;
  },
});

// node-problem-detector's default monitors see what the kubelet does not (a hung kernel, a read-only root filesystem).
const problemDetectedRule = defineRule<NodeRun>({
  name: 'NodeProblemDetected',
  proves: ['NodeProblemDetected'],
  run(n) {
    const { inv, ref, name } = n;
    let detected = false;
    for (const condition of n.conditions) {
      const type = condition.type ?? '';
      const severity = Object.hasOwn(PROBLEM_DETECTOR, type) ? PROBLEM_DETECTOR[type] : undefined;
      if (severity === undefined || condition.status !== 'True') continue;
      detected = true;
      inv.report({
        code: 'NodeProblemDetected',
        severity,
        object: ref,
        confidence: 0.9,
        ...(severity === 'Info' ? { benign: true } : {}),
        message: `Node ${name} has node-problem-detector condition ${condition.type}=True${said(condition) === '' ? '' : ` (${said(condition)})`}${since(condition.lastTransitionTime)}`,
        anchors: [inv.anchorField('Node', n.node, `status.conditions[type=${condition.type}].message`)],
        chain: n.path,
        nextActions: [n.describe, n.podsOnNode],
      });
    }
    return detected;
  },
});

/** One rule per pressure condition the kubelet writes: each is its own eviction signal and taint. */
function pressureRule(pressure: (typeof PRESSURE)[number]): Rule<NodeRun> {
  return defineRule<NodeRun>({
    name: pressure.type,
    proves: [pressure.type],
    run(n) {
      const { inv, ref, name } = n;
      const condition = conditionOf(n.conditions, pressure.type);
      // Unknown (a node whose kubelet stopped reporting) is the NotReady finding's to explain.
      if (condition?.status !== 'True') return false;
      const tainted = n.taints.some((t) => t.key === pressure.taint);
      inv.report({
        code: pressure.type,
        severity: pressure.severity,
        object: ref,
        confidence: 1,
        message: `Node ${name} ${pressure.what} (${pressure.type}=True${said(condition) === '' ? '' : `, ${said(condition)}`})${since(condition.lastTransitionTime)}`,
        anchors: [
          inv.anchorField('Node', n.node, `status.conditions[type=${pressure.type}].status`),
          inv.anchorField('Node', n.node, `status.conditions[type=${pressure.type}].message`),
          ...(tainted ? [inv.anchorField('Node', n.node, 'spec.taints')] : []),
        ],
        chain: n.path,
        nextActions: [
          n.describe,
          pressure.type === 'NetworkUnavailable'
            ? {
                description: `List the network plugin's pods on ${name} (kube-system)`,
                command: `kubectl get pods -n kube-system -o wide --field-selector spec.nodeName=${name}`,
                safety: 'ReadOnly',
              }
            : n.podsOnNode,
        ],
      });
      return true;
    },
  });
}

// spec.unschedulable keeps the scheduler from placing new pods there; running pods stay, so it is a Warning.
const cordonedRule = defineRule<NodeRun>({
  name: 'NodeCordoned',
  proves: ['NodeCordoned'],
  run(n) {
    const { inv, ref, name } = n;
    if (n.node.spec?.unschedulable !== true) return false;
    inv.report({
      code: 'NodeCordoned',
      severity: 'Warning',
      object: ref,
      confidence: 1,
      message: `Node ${name} is cordoned (spec.unschedulable): no new pods are scheduled there; this is often deliberate maintenance`,
      anchors: [
        inv.anchorField('Node', n.node, 'spec.unschedulable'),
        ...(n.taints.some((t) => t.key === 'node.kubernetes.io/unschedulable') ? [inv.anchorField('Node', n.node, 'spec.taints')] : []),
      ],
      chain: n.path,
      nextActions: [
        n.podsOnNode,
        {
          description: `Uncordon ${name} if its maintenance is over (new pods may be scheduled there again)`,
          command: `kubectl uncordon ${name}`,
          safety: 'Mutating',
        },
      ],
    });
    return true;
  },
});

/** A node can have several faults at once, each its own finding: every rule runs, in this order. */
const nodeRules: readonly Rule<NodeRun>[] = [silentKubeletRule, notReadyRule, problemDetectedRule, ...PRESSURE.map(pressureRule), cordonedRule];

/**
 * Proves why a node is NotReady, under pressure, without a pod network, cordoned, or reported broken by
 * node-problem-detector. Other custom conditions are benign.
 */
export const nodeHealth: Check = {
  name: 'node.health',
  subject: 'Node',
  codes: codesOf(nodeRules),
  evidence: ['node'],
  run(ctx, subject, chain) {
    const n = nodeRun(ctx.inv, subject, chain);
    for (const rule of nodeRules) rule.run(n);
  },
};
