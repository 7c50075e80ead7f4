import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { INDEX, type CacheAvailability, type ClusterSnapshot, type KubeObject } from '../triage/snapshot';
import type { KubeClient } from './client';
import { Informer, type IndexFunction } from './informer';
import { WATCHED_KINDS, type WatchedKey, type WatchedKind } from './kinds';

/** Raw JSON shape of the fields the index functions read. */
interface Indexed {
  metadata?: { namespace?: string; ownerReferences?: { uid?: string }[] };
  involvedObject?: { kind?: string; uid?: string };
  regarding?: { kind?: string; uid?: string };
  spec?: {
    nodeName?: string;
    volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
    defaultBackend?: { service?: { name?: string } };
    rules?: { http?: { paths?: { backend?: { service?: { name?: string } } }[] } }[];
  };
}

const asIndexed = (object: KubernetesObject): Indexed => object;
const namespaced = (object: Indexed, name: string | undefined): string[] =>
  name === undefined || name === '' ? [] : [`${object.metadata?.namespace ?? ''}/${name}`];

const ownerIndex: IndexFunction<KubernetesObject> = (object) =>
  (asIndexed(object).metadata?.ownerReferences ?? []).flatMap((ref) => (ref.uid === undefined ? [] : [ref.uid]));

/** Index functions per cache key, beyond the namespace and owner indexes every kind has. */
const EXTRA_INDEXES: Partial<Record<WatchedKey, Record<string, IndexFunction<KubernetesObject>>>> = {
  Pod: {
    [INDEX.claim]: (object) => {
      const pod = asIndexed(object);
      return (pod.spec?.volumes ?? []).flatMap((v) => namespaced(pod, v.persistentVolumeClaim?.claimName));
    },
    [INDEX.node]: (object) => {
      const nodeName = asIndexed(object).spec?.nodeName;
      return nodeName === undefined || nodeName === '' ? [] : [nodeName];
    },
  },
  Event: {
    [INDEX.subject]: (object) => {
      const subject = asIndexed(object).involvedObject;
      return subject?.uid === undefined ? [] : [`${subject.kind ?? ''}/${subject.uid}`];
    },
  },
  'Event.events.k8s.io': {
    [INDEX.subject]: (object) => {
      const subject = asIndexed(object).regarding;
      return subject?.uid === undefined ? [] : [`${subject.kind ?? ''}/${subject.uid}`];
    },
  },
  Ingress: {
    [INDEX.backendService]: (object) => {
      const ingress = asIndexed(object);
      const names = [
        ingress.spec?.defaultBackend?.service?.name,
        ...(ingress.spec?.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).map((path) => path.backend?.service?.name)),
      ];
      return [...new Set(names.flatMap((name) => namespaced(ingress, name)))];
    },
  },
  EndpointSlice: {
    [INDEX.service]: (object) => {
      const slice = asIndexed(object) as Indexed & { metadata?: { labels?: Record<string, string> } };
      return namespaced(slice, slice.metadata?.labels?.['kubernetes.io/service-name']);
    },
  },
};

export interface ClusterCacheOptions {
  readonly config: KubeConfig;
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default every kind in WATCHED_KINDS */
  readonly kinds?: readonly WatchedKind[];
}

/**
 * The informer caches of every watched kind. Started before any work, synced before any triage;
 * after that, triage reads only from here: zero LIST calls per triage once warm.
 */
export class ClusterCache implements ClusterSnapshot {
  private readonly informers = new Map<string, Informer<KubernetesObject>>();

  constructor(private readonly options: ClusterCacheOptions) {
    for (const kind of options.kinds ?? WATCHED_KINDS) {
      this.informers.set(
        kind.key,
        new Informer<KubernetesObject>({
          kind,
          config: options.config,
          client: options.client,
          logger: options.logger,
          metrics: options.metrics,
          indexes: { [INDEX.owner]: ownerIndex, ...EXTRA_INDEXES[kind.key as WatchedKey] },
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

  synced(): boolean {
    return [...this.informers.values()].every((informer) => informer.cacheState() !== 'Syncing');
  }

  informer(key: WatchedKey): Informer<KubernetesObject> {
    const informer = this.informers.get(key);
    if (informer === undefined) throw new Error(`no informer for ${key}`);
    return informer;
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
