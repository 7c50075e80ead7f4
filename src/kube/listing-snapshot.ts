import { MemorySnapshot } from '../triage/memory-snapshot';
import type { ClusterSnapshot, KubeObject } from '../triage/snapshot';
import type { KubeClient } from './client';
import { ApiError } from './errors';
import { collectionPath, type WatchedKind } from './kinds';

/**
 * A one-time LIST of every kind, as a snapshot: the benchmark's baseline (`--snapshot-source=list`, what
 * the older tool did on every triage) and `kubectl triage --local`. Namespaced kinds are listed in
 * `namespace` (all namespaces when undefined), cluster-scoped kinds whole; what could not be listed
 * is Forbidden, NotInstalled or NotSynced, never empty. It feeds the same engine as the informer cache.
 */
export const ListingSnapshot = {
  async fetch(client: KubeClient, kinds: readonly WatchedKind[], namespace: string | undefined): Promise<ClusterSnapshot> {
    const objects = new Map<string, readonly KubeObject[]>();
    const forbidden = new Set<string>();
    const notInstalled = new Set<string>();
    const failed = new Set<string>();
    await Promise.all(
      kinds.map(async (kind) => {
        const path =
          kind.namespaced && kind.namespace === undefined && namespace !== undefined
            ? collectionPath(kind).replace(/\/([^/]+)$/, `/namespaces/${encodeURIComponent(namespace)}/$1`)
            : collectionPath(kind);
        try {
          objects.set(kind.key, (await client.listAll<KubeObject>(path)).items);
        } catch (error: unknown) {
          if (error instanceof ApiError && error.isForbidden) forbidden.add(kind.key);
          else if (kind.optional === true && error instanceof ApiError && error.isNotFound) notInstalled.add(kind.key);
          else failed.add(kind.key);
        }
      }),
    );
    // Kinds not asked for read as Forbidden, as an operator without the permission would see them.
    const asked = new Set(kinds.map((kind) => kind.key));
    return new KindsListed(objects, asked, { forbidden, notInstalled, failed });
  },
};

/** A MemorySnapshot that also reports kinds outside the listing as Forbidden. */
class KindsListed implements ClusterSnapshot {
  private readonly memory: MemorySnapshot;

  constructor(
    objects: ReadonlyMap<string, readonly KubeObject[]>,
    private readonly asked: ReadonlySet<string>,
    options: { forbidden: ReadonlySet<string>; notInstalled: ReadonlySet<string>; failed: ReadonlySet<string> },
  ) {
    this.memory = MemorySnapshot.ofKinds(objects, { ...options, secretMetadata: asked.has('Secret') });
  }

  availability(kind: string) {
    return this.asked.has(kind) ? this.memory.availability(kind) : 'Forbidden';
  }

  get(kind: string, name: string, namespace?: string) {
    return this.asked.has(kind) ? this.memory.get(kind, name, namespace) : undefined;
  }

  list(kind: string, namespace?: string) {
    return this.asked.has(kind) ? this.memory.list(kind, namespace) : [];
  }

  byIndex(kind: string, index: string, value: string) {
    return this.asked.has(kind) ? this.memory.byIndex(kind, index, value) : [];
  }
}
