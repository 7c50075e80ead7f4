import { KINDS } from '../triage/kinds';
import type { ClusterSnapshot } from '../triage/snapshot';

/** Fields that carry a moment as RFC 3339 text (metadata, conditions, Events, container states). */
const TIME_KEY = /(Timestamp|Time|At)$|^time$/;
/** Objects are nested a few levels (status.containerStatuses[].state.terminated.finishedAt): deeper is data, not state. */
const MAX_DEPTH = 8;

function latestIn(value: unknown, depth: number, latest: number): number {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return latest;
  let result = latest;
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'string' && TIME_KEY.test(key)) {
      const at = Date.parse(inner);
      if (Number.isFinite(at) && at > result) result = at;
    } else if (typeof inner === 'object' && key !== 'managedFields') result = latestIn(inner, depth + 1, result);
  }
  return result;
}

/**
 * When a dump was taken, as far as it says: its newest timestamp. An offline diagnosis runs "as of"
 * then, so ages and grace periods read as they did on the cluster, not as days later.
 */
export function dumpTakenAt(snapshot: ClusterSnapshot): Date | undefined {
  let latest = Number.NEGATIVE_INFINITY;
  for (const { key } of KINDS) for (const object of snapshot.list(key)) latest = latestIn(object, 0, latest);
  return Number.isFinite(latest) ? new Date(latest) : undefined;
}
