import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { indexesFor } from '../triage/indexes';
import { projectionOf } from '../triage/kinds';
import { StringInterner } from '../triage/projection';
import type { CacheAvailability, ClusterSnapshot, KubeObject } from '../triage/snapshot';
import type { KubeClient } from './client';
import { Informer, type IndexFunction } from './informer';
import { WATCHED_KINDS, type WatchedKey, type WatchedKind } from './kinds';

export interface ClusterCacheOptions {
  readonly config: KubeConfig;
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default every kind in WATCHED_KINDS */
  readonly kinds?: readonly WatchedKind[];
  /** Keep only each kind's projection (src/triage/cache-projections.ts). @default true */
  readonly trim?: boolean;
}

/** One kind's line in the readiness report. */
export interface CacheProgress {
  readonly kind: string;
  readonly state: string;
  readonly objects: number;
  /** Received so far by the list in progress (paged), while the cache is Syncing. */
  readonly listed: number;
}

/**
 * The informer caches of every watched kind. Started before any work, synced before any triage;
 * after that, triage reads only from here: zero LIST calls per triage once warm.
 */
export class ClusterCache implements ClusterSnapshot {
  private readonly informers = new Map<string, Informer<KubernetesObject>>();

  constructor(private readonly options: ClusterCacheOptions) {
    const trim = options.trim ?? true;
    // One table for every cache: a namespace or node name repeats across kinds too.
    const interner = trim ? new StringInterner() : undefined;
    for (const kind of options.kinds ?? WATCHED_KINDS) {
      this.informers.set(
        kind.key,
        new Informer<KubernetesObject>({
          kind,
          config: options.config,
          client: options.client,
          logger: options.logger,
          metrics: options.metrics,
          // Cached objects are raw apiserver JSON (what KubeObject describes), whatever client-node's types say.
          indexes: indexesFor(kind.key) as Record<string, IndexFunction<KubernetesObject>>,
          ...(trim ? { projection: projectionOf(kind.key) } : {}),
          ...(interner === undefined ? {} : { interner }),
        }),
      );
    }
  }

  /** Starts every informer and resolves when all have synced (or are Forbidden), logging progress. */
  async start(): Promise<void> {
    const started = Date.now();
    let done = 0;
    await Promise.all(
      [...this.informers.values()].map(async (informer) => {
        await informer.start();
        done += 1;
        this.options.logger.info('Cache synced', {
          kind: informer.kind.key,
          state: informer.cacheState(),
          objects: informer.size(),
          progress: `${done}/${this.informers.size}`,
        });
      }),
    );
    this.options.logger.info('All caches synced', { kinds: this.informers.size, durationMs: Date.now() - started });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.stop()));
  }

  /**
   * Readiness: every cache finished its first sync (or is Forbidden), and the TriageRequest cache is
   * Synced now: while it is Stale this replica cannot see the requests it should answer.
   */
  synced(): boolean {
    const requests = this.informers.get('TriageRequest');
    if (requests !== undefined && requests.cacheState() !== 'Synced') return false;
    return [...this.informers.values()].every((informer) => informer.cacheState() !== 'Syncing');
  }

  /** Each cache's state and object count, for /readyz: which kinds a slow start is still waiting for. */
  progress(): CacheProgress[] {
    return [...this.informers.values()].map((informer) => {
      const { state, objects, listed } = informer.progress();
      return { kind: informer.kind.key, state, objects, listed };
    });
  }

  informer(key: WatchedKey): Informer<KubernetesObject> {
    const informer = this.informers.get(key);
    if (informer === undefined) throw new Error(`no informer for ${key}`);
    return informer;
  }

  /** Informers of the kinds triage reads (everything but the operator's own resources). */
  inputInformers(): Informer<KubernetesObject>[] {
    return [...this.informers.values()].filter((informer) => informer.kind.group !== 'triage.dev');
  }

  availability(kind: string): CacheAvailability {
    return this.informers.get(kind)?.cacheState() ?? 'Forbidden';
  }

  // Cached objects are raw apiserver JSON, which is what KubeObject describes.
  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.informers.get(kind)?.get(name, namespace) as KubeObject | undefined;
  }

  list(kind: string, namespace?: string): readonly KubeObject[] {
    return (this.informers.get(kind)?.list(namespace) ?? []) as readonly KubeObject[];
  }

  byIndex(kind: string, index: string, value: string): readonly KubeObject[] {
    return (this.informers.get(kind)?.byIndex(index, value) ?? []) as readonly KubeObject[];
  }
}
