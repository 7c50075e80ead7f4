// Kubernetes selector semantics, shared by label selectors (claims, request targets) and node selectors.

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface LabelSelectorSpec {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly SelectorRequirement[];
}

/** One requirement against a label's value (undefined: no such label). Gt/Lt exist only in node selectors. */
export function requirementHolds(requirement: SelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // Both sides must be integers, as the apiserver validates; anything else matches nothing.
      const [bound] = values;
      if (value === undefined || bound === undefined || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(bound)) return false;
      return requirement.operator === 'Gt' ? BigInt(value) > BigInt(bound) : BigInt(value) < BigInt(bound);
    }
    default:
      // A controller rejects a selector it cannot parse: it matches nothing.
      return false;
  }
}

/** Whether labels satisfy every matchLabels entry and every matchExpressions requirement. */
export function selectorMatches(selector: LabelSelectorSpec, labels: Readonly<Record<string, string>>): boolean {
  return (
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every((requirement) => requirementHolds(requirement, labels[requirement.key]))
  );
}

/** A selector in one phrase, e.g. `tier=gold, zone In (a,b)`. */
export function describeSelector(selector: LabelSelectorSpec): string {
  return [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(selector.matchExpressions ?? []).map((r) => `${r.key} ${r.operator}${(r.values ?? []).length === 0 ? '' : ` (${(r.values ?? []).join(',')})`}`),
  ].join(', ');
}
