import type { NextAction, Severity } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type Condition, type Node, type Pod } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import type { Check } from './check';

// Node checks: node conditions as the kubelet and node lifecycle controller write them, taints,
// spec.unschedulable.

/** The kubelet's pressure conditions (True = a fault) and the taint the node lifecycle controller adds for each. */
const PRESSURE: readonly { readonly type: 'MemoryPressure' | 'DiskPressure' | 'PIDPressure' | 'NetworkUnavailable'; readonly taint: string; readonly what: string; readonly severity: Severity }[] = [
  { type: 'MemoryPressure', taint: 'node.kubernetes.io/memory-pressure', what: 'is low on memory: the kubelet evicts pods and no new BestEffort pods are scheduled there', severity: 'Warning' },
  { type: 'DiskPressure', taint: 'node.kubernetes.io/disk-pressure', what: 'is low on disk: the kubelet garbage-collects images, evicts pods and new pods are not scheduled there', severity: 'Warning' },
  { type: 'PIDPressure', taint: 'node.kubernetes.io/pid-pressure', what: 'is running out of process IDs: the kubelet evicts pods and new pods are not scheduled there', severity: 'Warning' },
  { type: 'NetworkUnavailable', taint: 'node.kubernetes.io/network-unavailable', what: 'reports its pod network unavailable: pods there may not reach other nodes and new pods are not scheduled there', severity: 'Critical' },
];
/** Node Leases live here, one per node, named like the node. */
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The controller-manager's --node-monitor-grace-period default (1.32+): a Lease older than this is a silent kubelet. */
const NODE_MONITOR_GRACE_SECONDS = 50;

interface Lease extends KubeObject {
  readonly spec?: { readonly renewTime?: string | null; readonly holderIdentity?: string };
}

/**
 * How far a node's Lease trails: behind the newest node Lease when there are others (their renewals come
 * from kubelet clocks, and a watch that stalled stalls them all alike), else behind the operator's clock.
 */
function leaseLag(inv: Investigation, renewed: string | undefined): number | undefined {
  if (renewed === undefined) return undefined;
  const renewals = (inv.list<Lease>('Lease', 'node.lease', NODE_LEASE_NAMESPACE) ?? []).map((l) => Date.parse(l.spec?.renewTime ?? '')).filter((t) => !Number.isNaN(t));
  const at = Date.parse(renewed);
  if (Number.isNaN(at)) return undefined;
  return renewals.length >= 2 ? Math.max(0, Math.max(...renewals) - at) / 1000 : inv.ageSeconds(renewed);
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

/**
 * Proves why a node is NotReady, under pressure, without a pod network, cordoned, or reported broken by
 * node-problem-detector. Other custom conditions are benign.
 */
export const nodeHealth: Check = {
  name: 'node.health',
  subject: 'Node',
  codes: ['NodeNotReady', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable', 'NodeCordoned', 'NodeProblemDetected'],
  evidence: ['node'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const node = subject as Node;
    const ref = refOf('Node', node);
    const name = ref.name;
    inv.note('node');
    const conditions = (node.status?.conditions ?? []) as readonly NodeCondition[];
    const taints = node.spec?.taints ?? [];
    const describe: NextAction = { description: `Show node ${name}'s conditions, taints and the pods on it`, command: `kubectl describe node ${name}`, safety: 'ReadOnly' };
    const podsOnNode: NextAction = { description: `List the pods on ${name}`, command: `kubectl get pods -A -o wide --field-selector spec.nodeName=${name}`, safety: 'ReadOnly' };

    const ready = conditions.find((c) => c.type === 'Ready');
    // The node's heartbeat is its Lease (renewed every 10 s), not the Ready condition's lastHeartbeatTime
    // (status is posted on change or every 5 min). A node still Ready whose Lease went stale has a
    // stopped or cut-off kubelet that the node lifecycle controller has not marked Unknown yet.
    const lease = ready === undefined ? undefined : inv.get<Lease>('Lease', 'node.lease', name, NODE_LEASE_NAMESPACE);
    const renewed = lease?.state === 'Found' ? (lease.object.spec?.renewTime ?? undefined) : undefined;
    const silentFor = leaseLag(inv, renewed);
    if (ready?.status === 'True' && lease?.state === 'Found' && silentFor !== undefined && silentFor > NODE_MONITOR_GRACE_SECONDS) {
      inv.report({
        code: 'NodeNotReady', severity: 'Critical', object: ref, confidence: 0.8,
        message: `Node ${name} still reports Ready, but its kubelet has not renewed its Lease since ${renewed ?? '?'} (more than ${NODE_MONITOR_GRACE_SECONDS}s): the kubelet stopped or lost the apiserver, and the node lifecycle controller will mark it Unknown`,
        anchors: [inv.anchorField('Lease', lease.object, 'spec.renewTime'), inv.anchorField('Node', node, 'status.conditions[type=Ready].status')],
        chain: [...chain, ref],
        nextActions: [
          { description: `Check whether ${name} is reachable and its kubelet runs (on the node: systemctl status kubelet; journalctl -u kubelet)`, command: `kubectl get lease ${name} -n ${NODE_LEASE_NAMESPACE} -o yaml`, safety: 'ReadOnly' },
          describe,
        ],
      });
    }
    if (ready !== undefined && ready.status !== 'True') {
      const lifecycle = taints.filter((t) => NOT_READY_TAINTS.has(t.key));
      const pods = (inv.byIndex<Pod>('Pod', 'node.pods', INDEX.node, name) ?? []).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
      const unknown = ready.status === 'Unknown';
      // One entry per taint key: the controller adds NoSchedule and NoExecute under the same key.
      const taintKeys = [...new Set(lifecycle.map((t) => t.key))].map((key) => `${key}:${lifecycle.filter((t) => t.key === key).map((t) => t.effect).join('+')}`);
      const evicting = lifecycle.some((t) => t.effect === 'NoExecute');
      const parts = [
        `Node ${name} is NotReady (Ready=${ready.status ?? '?'}: ${ready.message?.trim() || ready.reason || 'no reason given'})${since(ready.lastTransitionTime)}`,
        ...(unknown && ready.lastHeartbeatTime !== undefined ? [`last status at ${ready.lastHeartbeatTime}`] : []),
        ...(unknown && renewed !== undefined ? [`Lease last renewed at ${renewed}`] : []),
        `${pods.length} pod(s) bound to it${evicting ? ' are evicted once their tolerations expire' : ''}`,
        ...(taintKeys.length === 0 ? [] : [`tainted ${taintKeys.join(', ')}`]),
      ];
      inv.report({
        code: 'NodeNotReady', severity: 'Critical', object: ref, confidence: 1,
        message: parts.join('; '),
        anchors: [
          inv.anchorField('Node', node, 'status.conditions[type=Ready].message'),
          ...(unknown && ready.lastHeartbeatTime !== undefined ? [inv.anchorField('Node', node, 'status.conditions[type=Ready].lastHeartbeatTime')] : []),
          ...(lifecycle.length === 0 ? [] : [inv.anchorField('Node', node, 'spec.taints')]),
        ],
        chain: [...chain, ref],
        nextActions: [
          describe,
          unknown
            ? { description: `Check whether ${name} is reachable and its kubelet runs (on the node: systemctl status kubelet; journalctl -u kubelet)`, command: `kubectl get node ${name} -o wide`, safety: 'ReadOnly' }
            : podsOnNode,
        ],
      });
    }

    for (const condition of conditions) {
      const type = condition.type ?? '';
      const severity = Object.hasOwn(PROBLEM_DETECTOR, type) ? PROBLEM_DETECTOR[type] : undefined;
      if (severity === undefined || condition.status !== 'True') continue;
      inv.report({
        code: 'NodeProblemDetected', severity, object: ref, confidence: 0.9, ...(severity === 'Info' ? { benign: true } : {}),
        message: `Node ${name} has node-problem-detector condition ${condition.type}=True${said(condition) === '' ? '' : ` (${said(condition)})`}${since(condition.lastTransitionTime)}`,
        anchors: [inv.anchorField('Node', node, `status.conditions[type=${condition.type}].message`)],
        chain: [...chain, ref],
        nextActions: [describe, podsOnNode],
      });
    }

    for (const pressure of PRESSURE) {
      const condition = conditionOf(conditions, pressure.type);
      // Unknown (a node whose kubelet stopped reporting) is the NotReady finding's to explain.
      if (condition?.status !== 'True') continue;
      const tainted = taints.some((t) => t.key === pressure.taint);
      inv.report({
        code: pressure.type, severity: pressure.severity, object: ref, confidence: 1,
        message: `Node ${name} ${pressure.what} (${pressure.type}=True${said(condition) === '' ? '' : `, ${said(condition)}`})${since(condition.lastTransitionTime)}`,
        anchors: [
          inv.anchorField('Node', node, `status.conditions[type=${pressure.type}].status`),
          inv.anchorField('Node', node, `status.conditions[type=${pressure.type}].message`),
          ...(tainted ? [inv.anchorField('Node', node, 'spec.taints')] : []),
        ],
        chain: [...chain, ref],
        nextActions: [
          describe,
          pressure.type === 'NetworkUnavailable'
            ? { description: `List the network plugin's pods on ${name} (kube-system)`, command: `kubectl get pods -n kube-system -o wide --field-selector spec.nodeName=${name}`, safety: 'ReadOnly' }
            : podsOnNode,
        ],
      });
    }

    if (node.spec?.unschedulable === true) {
      inv.report({
        code: 'NodeCordoned', severity: 'Warning', object: ref, confidence: 1,
        message: `Node ${name} is cordoned (spec.unschedulable): no new pods are scheduled there; this is often deliberate maintenance`,
        anchors: [inv.anchorField('Node', node, 'spec.unschedulable'), ...(taints.some((t) => t.key === 'node.kubernetes.io/unschedulable') ? [inv.anchorField('Node', node, 'spec.taints')] : [])],
        chain: [...chain, ref],
        nextActions: [
          podsOnNode,
          { description: `Uncordon ${name} if its maintenance is over (new pods may be scheduled there again)`, command: `kubectl uncordon ${name}`, safety: 'Mutating' },
        ],
      });
    }
  },
};
