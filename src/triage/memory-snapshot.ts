import { indexesFor } from './indexes';
import type { CacheAvailability, ClusterSnapshot, KubeObject } from './snapshot';

/** Cache key of an object, as src/triage/kinds.ts names the caches: its kind (Events of both APIs share one). */
export function cacheKeyOf(object: KubeObject): string {
  return object.kind ?? '';
}

export interface MemorySnapshotOptions {
  /** Caches the operator may not read. */
  readonly forbidden?: ReadonlySet<string>;
  /** Kinds whose API (CRDs) the cluster does not serve. */
  readonly notInstalled?: ReadonlySet<string>;
  /** Secrets are cached (metadata only), as with the operator's --watch-secret-metadata; otherwise Secret is Forbidden. */
  readonly secretMetadata?: boolean;
  /** Only these kinds were collected (an offline dump); every other kind reads as NotCollected, never as empty. */
  readonly collected?: ReadonlySet<string>;
  /** Kinds whose read failed (a LIST that errored): NotSynced, never empty. */
  readonly failed?: ReadonlySet<string>;
}

/**
 * Objects held in memory as a ClusterSnapshot, indexed by the same functions as the informer cache:
 * the golden tests' clusters and the plugin's offline dumps. Pure: no client, no file system.
 */
export class MemorySnapshot implements ClusterSnapshot {
  private readonly byKind = new Map<string, KubeObject[]>();
  // Built on first use: a dump may hold tens of thousands of objects and the engine reads by index often.
  private readonly indexed = new Map<string, ReadonlyMap<string, readonly KubeObject[]>>();
  private readonly byName = new Map<string, ReadonlyMap<string, KubeObject>>();

  constructor(
    objects: readonly KubeObject[],
    private readonly options: MemorySnapshotOptions = {},
  ) {
    for (const object of objects) {
      const key = cacheKeyOf(object);
      const kept = this.byKind.get(key);
      if (kept === undefined) this.byKind.set(key, [object]);
      else kept.push(object);
    }
  }

  /** Objects already filed by cache key, e.g. LIST responses, whose items carry no kind of their own. */
  static ofKinds(byKind: ReadonlyMap<string, readonly KubeObject[]>, options: MemorySnapshotOptions = {}): MemorySnapshot {
    const snapshot = new MemorySnapshot([], options);
    for (const [key, objects] of byKind) snapshot.byKind.set(key, [...objects]);
    return snapshot;
  }

  availability(kind: string): CacheAvailability {
    // Secrets are cached only when opted in (the operator's --watch-secret-metadata).
    if (this.options.forbidden?.has(kind) === true || (kind === 'Secret' && this.options.secretMetadata !== true)) return 'Forbidden';
    if (this.options.notInstalled?.has(kind) === true) return 'NotInstalled';
    if (this.options.failed?.has(kind) === true) return 'Syncing';
    if (this.options.collected !== undefined && !this.options.collected.has(kind)) return 'NotCollected';
    return 'Synced';
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    if (this.availability(kind) !== 'Synced') return undefined;
    let names = this.byName.get(kind);
    if (names === undefined) {
      const built = new Map<string, KubeObject>();
      for (const o of this.byKind.get(kind) ?? []) {
        const key = nameOf(o.metadata?.namespace, o.metadata?.name);
        // The first of two objects with one name wins, as a scan in order would find it.
        if (!built.has(key)) built.set(key, o);
      }
      names = built;
      this.byName.set(kind, names);
    }
    return names.get(nameOf(namespace, name));
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    if (this.availability(kind) !== 'Synced') return [];
    const all = this.byKind.get(kind) ?? [];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  byIndex(kind: string, index: string, value: string): readonly KubeObject[] {
    const indexFunction = indexesFor(kind)[index];
    if (indexFunction === undefined) throw new Error(`no index ${index} for ${kind}`);
    if (this.availability(kind) !== 'Synced') return [];
    let values = this.indexed.get(`${kind}/${index}`);
    if (values === undefined) {
      const built = new Map<string, KubeObject[]>();
      for (const o of this.byKind.get(kind) ?? []) {
        for (const v of new Set(indexFunction(o))) {
          const filed = built.get(v);
          if (filed === undefined) built.set(v, [o]);
          else filed.push(o);
        }
      }
      values = built;
      this.indexed.set(`${kind}/${index}`, values);
    }
    return values.get(value) ?? [];
  }
}

const nameOf = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;
