import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { KubeClient } from './client';
import { ApiError } from './errors';
import { project, type Projection, type StringInterner } from '../triage/projection';
import { collectionPath, PARTIAL_METADATA, PARTIAL_METADATA_LIST, type WatchedKind } from './kinds';

interface HeaderList {
  forEach(callback: (value: string, name: string) => void): void;
}

/** Request headers as a plain object with `accept` replaced; a node-fetch Headers has no own keys, so spreading it loses them all. */
export function withAccept(headers: unknown, accept: string): Record<string, string> {
  const plain: Record<string, string> = {};
  if (typeof (headers as Partial<HeaderList> | undefined)?.forEach === 'function') {
    (headers as HeaderList).forEach((value, name) => {
      plain[name.toLowerCase()] = value;
    });
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') plain[name.toLowerCase()] = value;
  }
  plain.accept = accept;
  return plain;
}

/** The kubeconfig, but asking for PartialObjectMetadata on every watch it authenticates. */
export function metadataOnlyConfig(config: KubeConfig): KubeConfig {
  const view = Object.create(config) as KubeConfig;
  view.applyToFetchOptions = async (options) => {
    const init = await config.applyToFetchOptions(options);
    return { ...init, headers: withAccept(init.headers, PARTIAL_METADATA) };
  };
  return view;
}

/** Values an object is filed under in one index (e.g. the uids of its owners). */
export type IndexFunction<T> = (object: T) => readonly string[];
export type ChangeType = 'add' | 'update' | 'delete';
export type ChangeListener<T> = (type: ChangeType, object: T) => void;

/**
 * Readiness of one cache; none of the states but Synced may be read as "the object does not exist".
 * Forbidden: refused before it ever synced. Stale: a list or watch failed after it had synced, so it
 * may be missing changes until a relist lands. NotInstalled: an optional kind's API is not served
 * (its CRDs are absent); retried slowly, so installing them later is picked up.
 */
export type CacheState = 'Syncing' | 'Synced' | 'Forbidden' | 'Stale' | 'NotInstalled';

export interface InformerOptions<T> {
  readonly kind: WatchedKind;
  readonly config: KubeConfig;
  readonly client: KubeClient;
  readonly indexes?: Readonly<Record<string, IndexFunction<T>>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default Math.random */
  readonly random?: () => number;
  /** How often an optional kind's missing API is looked for again. @default 30 s */
  readonly notInstalledRetryMs?: number;
  /** The fields kept of each object (src/triage/cache-projections.ts). @default the whole object */
  readonly projection?: Projection;
  /** Shares repeated strings between the objects of every cache. */
  readonly interner?: StringInterner;
}

const BACKOFF_BASE_MS = 500;
// Seconds, 403s included: right after an apiserver restart its RBAC cache is cold and refuses for a moment.
const BACKOFF_MAX_MS = 5_000;
// An API that is not installed stays so for hours or forever: one list a half-minute notices its CRDs arriving.
const NOT_INSTALLED_RETRY_MS = 30_000;
// A watch the server ended this fast was refused, not expired: pause before the next one.
const MIN_WATCH_LIFETIME_MS = 1_000;

export function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/**
 * Drops what must not be cached: managedFields (most of an object's bytes, read by no check); for a
 * metadata-only kind, annotations (kubectl's last-applied-configuration holds a Secret's stringData in
 * clear) and everything but metadata, should a server or proxy ignore the PartialObjectMetadata Accept.
 */
export function sanitize(object: unknown, metadataOnly: boolean): void {
  if (typeof object !== 'object' || object === null) return;
  const { metadata } = object as { metadata?: { managedFields?: unknown; annotations?: unknown } };
  if (metadata !== undefined) delete metadata.managedFields;
  if (!metadataOnly) return;
  if (metadata !== undefined) delete metadata.annotations;
  for (const key of Object.keys(object)) if (!METADATA_ONLY_KEYS.has(key)) Reflect.deleteProperty(object, key);
}

const METADATA_ONLY_KEYS: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'metadata']);

/** Multi-valued indexes over the cache, kept in step with every add, update and delete. */
class Indexer<T> {
  private readonly byValue = new Map<string, Map<string, Set<string>>>();
  private readonly valuesOf = new Map<string, Map<string, readonly string[]>>();

  constructor(private readonly functions: Readonly<Record<string, IndexFunction<T>>>) {
    for (const name of Object.keys(functions)) this.byValue.set(name, new Map());
  }

  upsert(key: string, object: T): void {
    this.remove(key);
    const filed = new Map<string, readonly string[]>();
    for (const [name, indexFunction] of Object.entries(this.functions)) {
      const values = indexFunction(object);
      filed.set(name, values);
      const index = this.byValue.get(name);
      if (index === undefined) continue;
      for (const value of values) {
        const keys = index.get(value) ?? new Set<string>();
        keys.add(key);
        index.set(value, keys);
      }
    }
    this.valuesOf.set(key, filed);
  }

  remove(key: string): void {
    const filed = this.valuesOf.get(key);
    if (filed === undefined) return;
    for (const [name, values] of filed) {
      const index = this.byValue.get(name);
      for (const value of values) {
        const keys = index?.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index?.delete(value);
      }
    }
    this.valuesOf.delete(key);
  }

  keys(name: string, value: string): ReadonlySet<string> {
    const index = this.byValue.get(name);
    if (index === undefined) throw new Error(`unknown index ${name}`);
    return index.get(value) ?? new Set();
  }
}

/** 410 Gone: the resourceVersion a watch resumes from has been compacted away; ListWatch relists. */
function isGone(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { statusCode, code } = value as { statusCode?: unknown; code?: unknown };
  return statusCode === 410 || code === 410;
}

/** What a TunedWatch reports to, and asks of, its informer. */
interface WatchHooks {
  stopped(): boolean;
  /** True when the next watch must relist instead (consumes the request). */
  takeRelist(): boolean;
  requested(): void;
  /** The server accepted the watch (status 200): events flow from here. */
  established(): void;
  expired(): void;
  /** The object to cache in place of what the server sent. */
  keep(object: unknown): unknown;
}

/**
 * A watch that asks for bookmarks, expires on a jittered timeout (so half-open connections are
 * noticed), sanitizes objects, pauses when the server ends watches at once (client-node 1.4 would
 * otherwise reconnect in a tight loop), and turns itself into a relist when its informer asks.
 */
class TunedWatch extends Watch {
  private lastStart = 0;
  private quickEnds = 0;

  constructor(
    config: KubeConfig,
    private readonly random: () => number,
    private readonly hooks: WatchHooks,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObject: unknown, watchObject?: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    if (this.hooks.takeRelist()) {
      // ListWatch relists only after a 410: hand it one, so a failed cache is rebuilt whole rather than resumed.
      done(Object.assign(new Error('relist after a failed list or watch'), { statusCode: 410 }));
      return new AbortController();
    }
    if (Date.now() - this.lastStart < MIN_WATCH_LIFETIME_MS) {
      this.quickEnds += 1;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(this.quickEnds, this.random)));
    } else {
      this.quickEnds = 0;
    }
    // ListWatch opens the watch even when stopped during its list: do not.
    if (this.hooks.stopped()) return new AbortController();
    this.lastStart = Date.now();
    this.hooks.requested();
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(this.random() * 300) };
    // An object, not a boolean: TypeScript would narrow a local `let` the callback sets to `false`.
    const request = { ended: false };
    try {
      const controller = await super.watch(
        path,
        params,
        (phase, apiObject: unknown, watchObject: unknown) => {
          if (phase === 'ERROR' && isGone(apiObject)) this.hooks.expired();
          callback(phase, phase === 'ERROR' ? apiObject : this.hooks.keep(apiObject), watchObject);
        },
        (error: unknown) => {
          request.ended = true;
          if (isGone(error)) this.hooks.expired();
          done(error);
        },
      );
      // Watch.watch reports a refused request through `done` before it returns.
      if (!request.ended) this.hooks.established();
      return controller;
    } catch (error: unknown) {
      // Credentials are applied before the request (an exec plugin can fail there); ListWatch drops this
      // promise on reconnects, so a rejection would be unhandled: report it as a failed watch instead.
      done(error);
      return new AbortController();
    }
  }
}

/** Jittered exponential backoff: attempt 1 waits 250-500 ms, doubling to at most 2.5-5 s. */
export function backoffMs(attempt: number, random: () => number): number {
  const exponential = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}

/**
 * One kind's cache: client-node's ListWatch (list, then watch from the list's resourceVersion,
 * relist on 410) made to survive errors. ListWatch stops itself on any other error; this marks the
 * cache Stale (never Synced while it may be missing changes) and restarts it with a relist, after a
 * jittered backoff of seconds. One warning per failure streak, one info line when it recovers.
 */
export class Informer<T extends KubernetesObject> {
  readonly kind: WatchedKind;
  private readonly listWatch: ListWatch<T>;
  private readonly indexer: Indexer<T>;
  private readonly listeners = new Set<ChangeListener<T>>();
  private readonly random: () => number;
  private state: CacheState = 'Syncing';
  private stopped = false;
  /** Consecutive failed attempts since the cache was last synced. */
  private failures = 0;
  private failingSince = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private count = 0;
  private listedOnce = false;
  /** Objects received by the list in progress (its pages so far), for readiness progress. */
  private listing = 0;
  /** Estimated bytes of each cached object, by key, and their sum. */
  private readonly bytesByKey = new Map<string, number>();
  private bytes = 0;
  /** A list landed since the last failure: the watch that follows it makes the cache Synced. */
  private freshList = false;
  private needsRelist = false;
  private relistReason: 'Expired' | 'Recovering' = 'Expired';
  private readonly syncWaiters: (() => void)[] = [];
  private readonly stateListeners = new Set<(previous: CacheState, next: CacheState) => void>();

  constructor(private readonly options: InformerOptions<T>) {
    this.kind = options.kind;
    this.random = options.random ?? Math.random;
    this.indexer = new Indexer(options.indexes ?? {});
    const path = collectionPath(options.kind);
    const metadataOnly = options.kind.metadataOnly === true;
    const watchConfig = metadataOnly ? metadataOnlyConfig(options.config) : options.config;
    const watch = new TunedWatch(watchConfig, this.random, {
      stopped: () => this.stopped,
      takeRelist: () => {
        const relist = this.needsRelist;
        this.needsRelist = false;
        return relist;
      },
      requested: () => {
        options.metrics.apiRequests.inc({ verb: 'WATCH', resource: options.kind.plural, code: 'started' });
      },
      established: () => {
        this.onWatchEstablished();
      },
      expired: () => {
        this.relistReason = 'Expired';
        // Events since the resourceVersion are lost: the cache is behind until the relist lands.
        if (this.state === 'Synced') this.setState('Stale');
      },
      keep: (object) => this.keep(object),
    });
    this.listWatch = new ListWatch<T>(path, watch, () => this.list_(path), false);
    this.listWatch.on('add', (object) => {
      this.apply('add', object);
    });
    this.listWatch.on('update', (object) => {
      this.apply('update', object);
    });
    this.listWatch.on('delete', (object) => {
      this.apply('delete', object);
    });
    this.listWatch.on('error', (error: unknown) => {
      this.onError(error);
    });
  }

  /** Starts list+watch; resolves once the first list landed in the cache and its watch opened, or the list is Forbidden. */
  start(): Promise<void> {
    this.stopped = false;
    const ready = new Promise<void>((resolve) => {
      if (this.state !== 'Syncing') resolve();
      else this.syncWaiters.push(resolve);
    });
    this.run();
    return ready;
  }

  // ListWatch.start() resolves once a watch was requested, whatever became of it, or after a failed
  // list: the watch hooks, not this promise, say when the cache is synced.
  private run(): void {
    this.listWatch.start().catch((error: unknown) => {
      this.onError(error);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    await this.listWatch.stop();
  }

  cacheState(): CacheState {
    return this.state;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.state === 'NotInstalled' ? undefined : this.listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.state === 'NotInstalled' ? [] : this.listWatch.list(namespace);
  }

  byIndex(index: string, value: string): T[] {
    const found: T[] = [];
    if (this.state === 'NotInstalled') return found;
    for (const key of this.indexer.keys(index, value)) {
      const slash = key.indexOf('/');
      const object = this.listWatch.get(key.slice(slash + 1), key.slice(0, slash) || undefined);
      if (object !== undefined) found.push(object);
    }
    return found;
  }

  size(): number {
    return this.count;
  }

  onChange(listener: ChangeListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ListWatch calls this for the first list and again on every relist (after a 410, or one we asked for).
  private async list_(path: string) {
    this.needsRelist = false;
    if (this.listedOnce) {
      this.options.logger.log(this.failures <= 1 ? 'info' : 'debug', 'Informer relisting', { kind: this.kind.key, reason: this.relistReason });
    }
    const metadataOnly = this.kind.metadataOnly === true;
    this.listing = 0;
    // Each page is trimmed as it lands: the whole list is never held untrimmed.
    const result = await this.options.client.listAll<T>(path, 500, metadataOnly ? PARTIAL_METADATA_LIST : 'application/json', (items) => {
      for (let i = 0; i < items.length; i++) items[i] = this.keep(items[i]) as T;
      this.listing += items.length;
    });
    this.listedOnce = true;
    this.freshList = true;
    // A kind with no objects gets its series too (apply never runs for it).
    if (this.count === 0) {
      this.options.metrics.informerObjects.set({ kind: this.kind.key }, 0);
      this.options.metrics.informerCacheBytes.set({ kind: this.kind.key }, 0);
    }
    return result;
  }

  /** What the cache holds of an object: sanitized, then projected; its estimated size noted for the metrics. */
  private keep(object: unknown): unknown {
    sanitize(object, this.kind.metadataOnly === true);
    if (typeof object !== 'object' || object === null) return object;
    const { value, bytes } = project(object, this.options.projection ?? true, this.options.interner);
    this.pendingBytes.set(value, bytes);
    return value;
  }

  /** Sizes of objects kept but not yet applied (a list's items before ListWatch hands them over). */
  private readonly pendingBytes = new WeakMap<object, number>();

  /** Objects held, objects received so far by a list in progress, and their estimated bytes. */
  progress(): { readonly state: CacheState; readonly objects: number; readonly listed: number; readonly bytes: number } {
    return { state: this.state, objects: this.count, listed: this.listing, bytes: this.bytes };
  }

  private apply(type: ChangeType, object: T): void {
    const key = objectKey(object);
    this.bytes -= this.bytesByKey.get(key) ?? 0;
    if (type === 'delete') {
      this.indexer.remove(key);
      this.bytesByKey.delete(key);
      this.count -= 1;
    } else {
      this.indexer.upsert(key, object);
      const bytes = this.pendingBytes.get(object) ?? 0;
      this.bytesByKey.set(key, bytes);
      this.bytes += bytes;
      if (type === 'add') this.count += 1;
    }
    this.options.metrics.informerObjects.set({ kind: this.kind.key }, this.count);
    this.options.metrics.informerCacheBytes.set({ kind: this.kind.key }, this.bytes);
    for (const listener of this.listeners) listener(type, object);
  }

  private onWatchEstablished(): void {
    // A watch resumed without a list since the last failure cannot happen (failures force a relist), and a
    // plain re-watch after a server timeout keeps whatever state the cache had.
    if (!this.freshList || this.stopped) return;
    this.freshList = false;
    this.relistReason = 'Expired';
    if (this.failures > 0) {
      this.options.logger.info('Informer recovered', { kind: this.kind.key, failures: this.failures, downMs: Date.now() - this.failingSince });
      this.failures = 0;
    }
    this.setState('Synced');
  }

  private setState(state: CacheState): void {
    if (this.state === state) return;
    const previous = this.state;
    this.state = state;
    this.options.metrics.informerSynced.set({ kind: this.kind.key }, state === 'Synced' ? 1 : 0);
    this.options.metrics.informerApiInstalled.set({ kind: this.kind.key }, state === 'NotInstalled' ? 0 : 1);
    if (state !== 'Syncing') for (const resolve of this.syncWaiters.splice(0)) resolve();
    for (const listener of this.stateListeners) listener(previous, state);
  }

  /** Called on every state change: an API appearing or going away changes answers without any object event. */
  onStateChange(listener: (previous: CacheState, next: CacheState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private onError(error: unknown): void {
    // ListWatch reports its own aborts (on stop, and on restart) as errors: they are not failures.
    if (this.stopped || (error instanceof Error && error.name === 'AbortError')) return;
    this.freshList = false;
    if (this.listedOnce) {
      // Resuming from the last resourceVersion would declare the cache whole before the missed events arrive.
      this.needsRelist = true;
      this.relistReason = 'Recovering';
    }
    this.failures += 1;
    if (this.failures === 1) this.failingSince = Date.now();
    const notFound = error instanceof ApiError ? error.isNotFound : hasStatusCode(error, 404);
    // A synced cache that meets a 404 goes Stale first: an apiserver still loading its CRDs answers 404 for a moment.
    if (this.kind.optional === true && notFound && this.state !== 'Synced') {
      void this.checkInstalled(error);
      return;
    }
    this.fail(error, error instanceof ApiError ? error.isForbidden : hasStatusCode(error, 403));
  }

  /**
   * A 404 on an optional kind: NotInstalled only when discovery agrees that its group/version does not
   * serve the resource (a group can serve some of its kinds: one CRD installed without the others).
   */
  private async checkInstalled(error: unknown): Promise<void> {
    const served = await this.options.client.get<{ resources?: readonly { name?: string }[] }>(`/apis/${this.kind.group}/${this.kind.version}`).then(
      (list) => (list.resources ?? []).some((resource) => resource.name === this.kind.plural),
      // Discovery failing otherwise says nothing either way: treat the 404 as a failure and retry.
      (probe: unknown) => !(probe instanceof ApiError && probe.isNotFound),
    );
    if (this.stopped) return;
    if (served) {
      this.fail(error, false);
      return;
    }
    this.setState('NotInstalled');
    // Normal on most clusters: one info line, no restart counted (alerts watch that counter).
    const retryMs = this.options.notInstalledRetryMs ?? NOT_INSTALLED_RETRY_MS;
    if (this.failures === 1)
      this.options.logger.info('API not installed; checking again periodically', {
        kind: this.kind.key,
        api: `${this.kind.group}/${this.kind.version}`,
        retryMs,
      });
    this.retryIn(retryMs);
  }

  private fail(error: unknown, forbidden: boolean): void {
    if (this.state === 'Synced') this.setState('Stale');
    else if (this.state === 'Syncing' && forbidden) this.setState('Forbidden');
    // It was not installed; now the answer is another error: unknown, not "not installed".
    else if (this.state === 'NotInstalled') this.setState(forbidden ? 'Forbidden' : 'Stale');
    const delay = backoffMs(this.failures, this.random);
    this.options.metrics.informerRestarts.inc({ kind: this.kind.key });
    // One warning per failure streak: an outage of a minute must not print hundreds of lines.
    this.options.logger.log(this.failures === 1 ? 'warn' : 'debug', 'Informer restarting', {
      kind: this.kind.key,
      state: this.state,
      attempt: this.failures,
      delayMs: delay,
      error: error instanceof Error ? error.message : String(error),
    });
    this.retryIn(delay);
  }

  private retryIn(delay: number): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.run();
    }, delay);
  }
}

function hasStatusCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === code;
}
