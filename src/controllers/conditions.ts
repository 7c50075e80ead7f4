import type { Condition } from '../crds/triage-request';

/**
 * Sets a metav1.Condition the way apimachinery's meta.SetStatusCondition does: lastTransitionTime
 * changes only when the status flips; observedGeneration is always set. Returns a new list.
 */
export function setCondition(conditions: readonly Condition[], next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    existing !== undefined && existing.status === next.status ? existing.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const updated: Condition = { ...next, lastTransitionTime };
  return existing === undefined ? [...conditions, updated] : conditions.map((c) => (c.type === next.type ? updated : c));
}
