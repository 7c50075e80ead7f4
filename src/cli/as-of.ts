import { KINDS } from '../triage/kinds';
import type { ClusterSnapshot } from '../triage/snapshot';

/** Fields that carry a moment as RFC 3339 text (metadata, conditions, Events, container states). */
const TIME_KEY = /(Timestamp|Time|At)$|^time$/;
/** Only what the apiserver writes: an RFC 3339 time (Date.parse alone takes "99999" as a year). */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
/** Keys whose values are not the object's own state: user-chosen maps, and a deletion scheduled in the future by design. */
const SKIPPED: ReadonlySet<string> = new Set(['annotations', 'labels', 'managedFields', 'deletionTimestamp']);
/** Objects are nested a few levels (status.containerStatuses[].state.terminated.finishedAt): deeper is data, not state. */
const MAX_DEPTH = 8;
/** Values visited at most per dump: YAML aliases share subtrees, so depth alone does not bound the walk. */
const MAX_VISITS = 2_000_000;

interface Walk {
  latest: number;
  visits: number;
  readonly seen: WeakSet<object>;
}

function visit(value: unknown, depth: number, walk: Walk): void {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null || walk.seen.has(value) || walk.visits > MAX_VISITS) return;
  walk.seen.add(value);
  for (const [key, inner] of Object.entries(value)) {
    walk.visits += 1;
    if (SKIPPED.has(key)) continue;
    if (typeof inner === 'string' && TIME_KEY.test(key) && RFC3339.test(inner)) walk.latest = Math.max(walk.latest, Date.parse(inner));
    else if (typeof inner === 'object') visit(inner, depth + 1, walk);
  }
}

/**
 * When a dump was taken, as far as it says: its newest timestamp. An offline diagnosis runs "as of"
 * then, so ages and grace periods read as they did on the cluster, not as days later.
 */
export function dumpTakenAt(snapshot: ClusterSnapshot): Date | undefined {
  const walk: Walk = { latest: Number.NEGATIVE_INFINITY, visits: 0, seen: new WeakSet() };
  for (const { key } of KINDS) for (const object of snapshot.list(key)) visit(object, 0, walk);
  return Number.isFinite(walk.latest) ? new Date(walk.latest) : undefined;
}
