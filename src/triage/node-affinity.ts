import { requirementHolds } from './label-selector';
import type { Node, NodeSelectorRequirement, Pod } from './objects';

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
