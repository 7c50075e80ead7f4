import { indexesFor } from '../../src/triage/indexes';
import type { CacheAvailability, ClusterSnapshot, KubeObject } from '../../src/triage/snapshot';

/** Cache key of an object, as src/kube/kinds.ts names the caches (events.k8s.io Events separately). */
function cacheKey(object: KubeObject): string {
  return object.kind === 'Event' && object.apiVersion === 'events.k8s.io/v1' ? 'Event.events.k8s.io' : (object.kind ?? '');
}

/**
 * The objects of one golden case as a ClusterSnapshot, indexed by the same functions as the informer
 * cache. Kinds listed as forbidden behave as a cache the operator may not read.
 */
export class MemorySnapshot implements ClusterSnapshot {
  private readonly byKind = new Map<string, KubeObject[]>();

  constructor(
    objects: readonly KubeObject[],
    private readonly forbidden: ReadonlySet<string> = new Set(),
    private readonly secretMetadata = false,
    private readonly notInstalled: ReadonlySet<string> = new Set(),
  ) {
    for (const object of objects) {
      const key = cacheKey(object);
      this.byKind.set(key, [...(this.byKind.get(key) ?? []), object]);
    }
  }

  availability(kind: string): CacheAvailability {
    // Secrets are cached only when a case opts in (the operator's --watch-secret-metadata).
    if (this.forbidden.has(kind) || (kind === 'Secret' && !this.secretMetadata)) return 'Forbidden';
    if (this.notInstalled.has(kind)) return 'NotInstalled';
    return 'Synced';
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.list(kind).find((o) => o.metadata?.name === name && (o.metadata.namespace ?? undefined) === namespace);
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    if (this.availability(kind) !== 'Synced') return [];
    const all = this.byKind.get(kind) ?? [];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  byIndex(kind: string, index: string, value: string): readonly KubeObject[] {
    const indexFunction = indexesFor(kind)[index];
    if (indexFunction === undefined) throw new Error(`no index ${index} for ${kind}`);
    return this.list(kind).filter((o) => indexFunction(o).includes(value));
  }
}
