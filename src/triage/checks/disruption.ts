import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { selectorMatches, type LabelSelectorSpec } from '../label-selector';
import type { Node, Pod } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import type { Check } from './check';

// Drains blocked by PodDisruptionBudgets: `kubectl drain` evicts through the Eviction API, which
// refuses while a budget covering the pod allows no disruption (status.disruptionsAllowed 0, as the
// disruption controller computes it). A cordoned node with such pods never empties.

interface PodDisruptionBudget extends KubeObject {
  readonly spec?: { readonly selector?: LabelSelectorSpec; readonly minAvailable?: number | string; readonly maxUnavailable?: number | string };
  readonly status?: {
    readonly disruptionsAllowed?: number;
    readonly currentHealthy?: number;
    readonly desiredHealthy?: number;
    readonly expectedPods?: number;
  };
}

/** Pods a drain evicts: not finished, not owned by a DaemonSet (drain skips them), not static mirror pods. */
function evictable(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  return !(pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');
}

function blockingBudgets(inv: Investigation, pods: readonly Pod[]): Map<string, { pdb: PodDisruptionBudget; pods: Pod[] }> {
  const blocking = new Map<string, { pdb: PodDisruptionBudget; pods: Pod[] }>();
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    for (const pdb of inv.list<PodDisruptionBudget>('PodDisruptionBudget', 'drain.budgets', ns) ?? []) {
      // A budget without a selector selects nothing (policy/v1); one allowing a disruption does not block.
      if (pdb.spec?.selector === undefined || (pdb.status?.disruptionsAllowed ?? 0) > 0) continue;
      if (!selectorMatches(pdb.spec.selector, pod.metadata?.labels ?? {})) continue;
      const key = `${ns}/${pdb.metadata?.name ?? ''}`;
      const entry = blocking.get(key) ?? { pdb, pods: [] };
      entry.pods.push(pod);
      blocking.set(key, entry);
    }
  }
  return blocking;
}

function report(inv: Investigation, node: Node, pdb: PodDisruptionBudget, pods: readonly Pod[], chain: readonly ObjectRef[]): void {
  const nodeRef = refOf('Node', node);
  const ref = refOf('PodDisruptionBudget', pdb);
  const ns = ref.namespace ?? '';
  const names = pods.map((p) => p.metadata?.name ?? '').sort();
  const status = pdb.status ?? {};
  const actions: NextAction[] = [
    {
      description: `Show budget ${ref.name}: how many pods it wants healthy and how many are`,
      command: `kubectl get pdb ${ref.name} -n ${ns} -o wide`,
      safety: 'ReadOnly',
    },
    {
      description: `List the pods on ${nodeRef.name}`,
      command: `kubectl get pods -A -o wide --field-selector spec.nodeName=${nodeRef.name}`,
      safety: 'ReadOnly',
    },
  ];
  inv.report({
    code: 'DisruptionBudgetBlocking',
    severity: 'Critical',
    object: ref,
    confidence: 0.9,
    message: `Node ${nodeRef.name} is cordoned but cannot be drained: PodDisruptionBudget ${ns}/${ref.name} allows 0 disruptions (${status.currentHealthy ?? '?'} healthy, ${status.desiredHealthy ?? '?'} required) and protects pod(s) ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''} on it`,
    anchors: [inv.anchorField('PodDisruptionBudget', pdb, 'status.disruptionsAllowed'), inv.anchorField('Node', node, 'spec.unschedulable')],
    chain: [...chain, nodeRef, ref],
    nextActions: actions,
  });
}

/** Proves why a cordoned node does not empty: budgets that allow no disruption protect pods on it. */
export const nodeDrain: Check = {
  name: 'node.drain',
  subject: 'Node',
  codes: ['DisruptionBudgetBlocking'],
  evidence: ['drain.pods', 'drain.budgets'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const node = subject as Node;
    if (node.spec?.unschedulable !== true) return;
    const pods = (inv.byIndex<Pod>('Pod', 'drain.pods', INDEX.node, node.metadata?.name ?? '') ?? []).filter(evictable);
    for (const { pdb, pods: protectedPods } of blockingBudgets(inv, pods).values()) report(inv, node, pdb, protectedPods, chain);
  },
};

/** A namespace's budgets that block the drain of a cordoned node: the budget, the node and the pods. */
export const budgetBlocking: Check = {
  name: 'pdb.blocking',
  subject: 'PodDisruptionBudget',
  codes: ['DisruptionBudgetBlocking'],
  evidence: ['drain.pods', 'drain.nodes'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const pdb = subject as PodDisruptionBudget;
    if (pdb.spec?.selector === undefined || (pdb.status?.disruptionsAllowed ?? 0) > 0) return;
    const selector = pdb.spec.selector;
    const pods = (inv.list<Pod>('Pod', 'drain.pods', pdb.metadata?.namespace) ?? []).filter(
      (p) => evictable(p) && selectorMatches(selector, p.metadata?.labels ?? {}),
    );
    const byNode = new Map<string, Pod[]>();
    for (const pod of pods) {
      const nodeName = pod.spec?.nodeName ?? '';
      if (nodeName !== '') byNode.set(nodeName, [...(byNode.get(nodeName) ?? []), pod]);
    }
    for (const [nodeName, onNode] of [...byNode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const lookup = inv.get<Node>('Node', 'drain.nodes', nodeName);
      if (lookup.state === 'Found' && lookup.object.spec?.unschedulable === true) report(inv, lookup.object, pdb, onNode, chain);
    }
  },
};
