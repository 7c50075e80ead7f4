import { requirementHolds } from './label-selector';
import { compareStrings, type Node, type NodeSelectorRequirement, type Pod } from './objects';

// The scheduler's NodeAffinity filter: nodeSelector AND any one required term; a term ANDs its requirements.

/** Whether the node satisfies the pod's nodeSelector and required node affinity (preferred terms never exclude). */
export function podWantsNode(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  if (!Object.entries(pod.spec?.nodeSelector ?? {}).every(([key, value]) => labels[key] === value)) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) return true;
  // Only metadata.name is a valid field key; a term with no requirement matches no node.
  return (required.nodeSelectorTerms ?? []).some((term) => {
    const expressions = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (expressions.length === 0 && fields.length === 0) return false;
    return (
      expressions.every((r) => requirementHolds(r, labels[r.key])) &&
      fields.every((r) => requirementHolds(r, r.key === 'metadata.name' ? node.metadata?.name : undefined))
    );
  });
}

/**
 * The node names the pod's required affinity confines it to, when every term names them (a DaemonSet's
 * pods: matchFields metadata.name In [node]); undefined when some term may match any node.
 */
export function nodeNamesRequired(pod: Pod): readonly string[] | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined) return undefined;
  const names = new Set<string>();
  for (const term of terms) {
    // A term with no requirement matches no node, so it adds no name.
    if ((term.matchExpressions ?? []).length === 0 && (term.matchFields ?? []).length === 0) continue;
    const byName = (term.matchFields ?? []).find((r) => r.key === 'metadata.name' && r.operator === 'In');
    if (byName === undefined) return undefined;
    for (const name of byName.values ?? []) names.add(name);
  }
  return [...names];
}

/**
 * The nodes the pod's nodeSelector and required affinity allow, by name (the order lists come in). A pod
 * pinned by name is checked against those nodes only, found with nodeNamed: a DaemonSet pod pending on 5,000 nodes need not test the other 4,999.
 */
export function nodesPodWants(pod: Pod, nodes: readonly Node[], nodeNamed: (name: string) => Node | undefined): Node[] {
  const names = nodeNamesRequired(pod);
  if (names === undefined) return nodes.filter((node) => podWantsNode(pod, node));
  return [...names]
    .sort(compareStrings)
    .map(nodeNamed)
    .filter((node): node is Node => node !== undefined && podWantsNode(pod, node));
}

function describeRequirement(requirement: NodeSelectorRequirement): string {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'Exists':
      return `${requirement.key} exists`;
    case 'DoesNotExist':
      return `${requirement.key} does not exist`;
    case 'Gt':
      return `${requirement.key} > ${values[0] ?? '?'}`;
    case 'Lt':
      return `${requirement.key} < ${values[0] ?? '?'}`;
    default:
      return `${requirement.key} ${requirement.operator.toLowerCase()} (${values.join(',')})`;
  }
}

/** The pod's node constraints in one phrase, e.g. `nodeSelector disk=ssd; affinity topology.kubernetes.io/zone in (eu-west-1c)`. */
export function describeNodeConstraints(pod: Pod): string {
  const parts: string[] = [];
  const selector = Object.entries(pod.spec?.nodeSelector ?? {});
  if (selector.length > 0) parts.push(`nodeSelector ${selector.map(([k, v]) => `${k}=${v}`).join(',')}`);
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const described = terms.map((term) => [...(term.matchExpressions ?? []), ...(term.matchFields ?? [])].map(describeRequirement).join(' and '));
  if (described.length > 0) parts.push(`required affinity ${described.join(' or ')}`);
  return parts.join('; ');
}

/** The node label keys the pod's constraints read, for `kubectl get nodes -L`. */
export function constraintLabelKeys(pod: Pod): string[] {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return [...new Set([...Object.keys(pod.spec?.nodeSelector ?? {}), ...terms.flatMap((term) => (term.matchExpressions ?? []).map((r) => r.key))])];
}
