import { indexesFor } from '../triage/indexes';
import type { CacheAvailability, ClusterSnapshot, KubeObject } from '../triage/snapshot';
import type { KubeClient } from './client';
import { ApiError } from './errors';
import { collectionPath, type WatchedKind } from './kinds';

/**
 * The benchmark's baseline (`--snapshot-source=list`): what the older tool did, every triage listing
 * what it needs from the apiserver. It feeds the same engine and templates as the informer cache, so a
 * comparison measures the data path only.
 */
export class ListingSnapshot implements ClusterSnapshot {
  private constructor(
    private readonly objects: ReadonlyMap<string, readonly KubeObject[]>,
    private readonly states: ReadonlyMap<string, CacheAvailability>,
  ) {}

  /** Lists every kind: namespaced kinds in `namespace` (all namespaces when undefined), cluster-scoped kinds whole. */
  static async fetch(client: KubeClient, kinds: readonly WatchedKind[], namespace: string | undefined): Promise<ListingSnapshot> {
    const objects = new Map<string, KubeObject[]>();
    const states = new Map<string, CacheAvailability>();
    await Promise.all(
      kinds.map(async (kind) => {
        const path =
          kind.namespaced && kind.namespace === undefined && namespace !== undefined
            ? collectionPath(kind).replace(/\/([^/]+)$/, `/namespaces/${namespace}/$1`)
            : collectionPath(kind);
        try {
          objects.set(kind.key, (await client.listAll<KubeObject>(path)).items);
          states.set(kind.key, 'Synced');
        } catch (error: unknown) {
          const notInstalled = kind.optional === true && error instanceof ApiError && error.isNotFound;
          states.set(kind.key, error instanceof ApiError && error.isForbidden ? 'Forbidden' : notInstalled ? 'NotInstalled' : 'Syncing');
        }
      }),
    );
    return new ListingSnapshot(objects, states);
  }

  availability(kind: string): CacheAvailability {
    return this.states.get(kind) ?? 'Forbidden';
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.list(kind).find((o) => o.metadata?.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    const all = this.objects.get(kind) ?? [];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  byIndex(kind: string, index: string, value: string): readonly KubeObject[] {
    const indexFunction = indexesFor(kind)[index];
    return indexFunction === undefined ? [] : this.list(kind).filter((o) => indexFunction(o).includes(value));
  }
}
