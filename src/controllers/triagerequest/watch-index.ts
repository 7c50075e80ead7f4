import { indexesFor } from '../../triage/indexes';
import { indexKey, listKey, nameKey, subjectKey, uidKey } from '../../triage/investigation';
import type { KubeObject } from '../../triage/snapshot';

interface EventSubjects {
  readonly involvedObject?: { readonly uid?: string };
  readonly regarding?: { readonly uid?: string };
}

/** The watch keys a change to `object` (in the cache named `cacheKey`) touches. */
export function changedKeys(cacheKey: string, object: KubeObject): string[] {
  const metadata = object.metadata ?? {};
  const namespace = metadata.namespace ?? '';
  const keys = [nameKey(cacheKey, namespace, metadata.name ?? ''), listKey(cacheKey, namespace), listKey(cacheKey, '')];
  if (metadata.uid !== undefined) keys.push(uidKey(metadata.uid));
  for (const [index, values] of Object.entries(indexesFor(cacheKey))) {
    for (const value of values(object)) keys.push(indexKey(cacheKey, index, value));
  }
  const event = object as EventSubjects;
  for (const uid of [event.involvedObject?.uid, event.regarding?.uid]) if (uid !== undefined) keys.push(subjectKey(uid));
  return keys;
}

/** Changed keys kept for one run in flight; past this many the run is simply run again. */
const MAX_KEYS_SEEN_IN_FLIGHT = 10_000;

/**
 * Which Continuous requests read what: watch key → request keys, from each request's last run. A run
 * yields to the event loop, so changes land while it runs, before its keys are known: changes seen
 * during a run are kept (begin/observe/finish) and one that touched what the run read runs it again.
 */
export class WatchIndex {
  private readonly requestsByKey = new Map<string, Set<string>>();
  private readonly keysByRequest = new Map<string, readonly string[]>();
  private readonly inFlight = new Map<string, Set<string> | 'Overflow'>();

  /** A run of `request` starts: changes observed until `finish` are kept for it. */
  begin(request: string): void {
    this.inFlight.set(request, new Set());
  }

  /** Keys an object change touched, for the runs in flight. */
  observe(keys: readonly string[]): void {
    for (const [request, seen] of this.inFlight) {
      if (seen === 'Overflow') continue;
      for (const key of keys) seen.add(key);
      if (seen.size > MAX_KEYS_SEEN_IN_FLIGHT) this.inFlight.set(request, 'Overflow');
    }
  }

  /** The run ended having read `keys` (none when it did not finish): true when one of them changed while it ran. */
  finish(request: string, keys: readonly string[] | undefined): boolean {
    const seen = this.inFlight.get(request);
    this.inFlight.delete(request);
    if (seen === undefined || keys === undefined) return false;
    return seen === 'Overflow' || keys.some((key) => seen.has(key));
  }

  /** Whether any change matters now: a request has keys, or a run is in flight. */
  watching(): boolean {
    return this.keysByRequest.size > 0 || this.inFlight.size > 0;
  }

  set(request: string, keys: readonly string[]): void {
    this.remove(request);
    this.keysByRequest.set(request, keys);
    for (const key of keys) {
      const requests = this.requestsByKey.get(key) ?? new Set<string>();
      requests.add(request);
      this.requestsByKey.set(key, requests);
    }
  }

  remove(request: string): void {
    for (const key of this.keysByRequest.get(request) ?? []) {
      const requests = this.requestsByKey.get(key);
      requests?.delete(request);
      if (requests?.size === 0) this.requestsByKey.delete(key);
    }
    this.keysByRequest.delete(request);
  }

  /** The requests that read any of these keys. */
  requestsFor(keys: readonly string[]): Set<string> {
    const found = new Set<string>();
    for (const key of keys) for (const request of this.requestsByKey.get(key) ?? []) found.add(request);
    return found;
  }

  size(): number {
    return this.keysByRequest.size;
  }
}
