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

/** Which Continuous requests read what: watch key → request keys, from each request's last run. */
export class WatchIndex {
  private readonly requestsByKey = new Map<string, Set<string>>();
  private readonly keysByRequest = new Map<string, readonly string[]>();

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
