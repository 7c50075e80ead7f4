import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { KubeClient } from './client';
import { ApiError } from './errors';
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

/** Readiness of one cache: Forbidden is not "not synced yet", and never means "empty". */
export type CacheState = 'Syncing' | 'Synced' | 'Forbidden';

export interface InformerOptions<T> {
  readonly kind: WatchedKind;
  readonly config: KubeConfig;
  readonly client: KubeClient;
  readonly indexes?: Readonly<Record<string, IndexFunction<T>>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default Math.random */
  readonly random?: () => number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const FORBIDDEN_RETRY_MS = 60_000;
// A watch the server ended this fast was refused, not expired: pause before the next one.
const MIN_WATCH_LIFETIME_MS = 1_000;

export function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/** Drops managedFields: they are most of an object's bytes and no check reads them. */
function stripManagedFields(object: unknown): void {
  if (typeof object === 'object' && object !== null && 'metadata' in object) {
    const metadata = (object as { metadata?: { managedFields?: unknown } }).metadata;
    if (metadata !== undefined) delete metadata.managedFields;
  }
}

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

/**
 * A watch that asks for bookmarks, expires on a jittered timeout (so half-open connections are
 * noticed), strips managedFields, and pauses when the server ends watches at once (client-node
 * 1.4 would otherwise reconnect in a tight loop).
 */
class TunedWatch extends Watch {
  private lastStart = 0;
  private quickEnds = 0;

  constructor(
    config: KubeConfig,
    private readonly random: () => number,
    private readonly onRequest: () => void,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObject: unknown, watchObject?: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    if (Date.now() - this.lastStart < MIN_WATCH_LIFETIME_MS) {
      this.quickEnds += 1;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(this.quickEnds, this.random)));
    } else {
      this.quickEnds = 0;
    }
    this.lastStart = Date.now();
    this.onRequest();
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(this.random() * 300) };
    try {
      return await super.watch(
        path,
        params,
        (phase, apiObject: unknown, watchObject: unknown) => {
          stripManagedFields(apiObject);
          callback(phase, apiObject, watchObject);
        },
        done,
      );
    } catch (error: unknown) {
      // Credentials are applied before the request (an exec plugin can fail there); ListWatch drops this
      // promise on reconnects, so a rejection would be unhandled: report it as a failed watch instead.
      done(error);
      return new AbortController();
    }
  }
}

export function backoffMs(attempt: number, random: () => number): number {
  const exponential = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}

/**
 * One kind's cache: client-node's ListWatch (list, then watch from the list's resourceVersion,
 * relist on 410) made to survive errors. ListWatch stops itself on any other error; this restarts it
 * with jittered exponential backoff, from its last resourceVersion.
 */
export class Informer<T extends KubernetesObject> {
  readonly kind: WatchedKind;
  private readonly listWatch: ListWatch<T>;
  private readonly indexer: Indexer<T>;
  private readonly listeners = new Set<ChangeListener<T>>();
  private readonly random: () => number;
  private state: CacheState = 'Syncing';
  private stopped = false;
  private attempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private count = 0;
  private listed = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(private readonly options: InformerOptions<T>) {
    this.kind = options.kind;
    this.random = options.random ?? Math.random;
    this.indexer = new Indexer(options.indexes ?? {});
    const path = collectionPath(options.kind);
    const watchConfig = options.kind.metadataOnly === true ? metadataOnlyConfig(options.config) : options.config;
    const watch = new TunedWatch(watchConfig, this.random, () => {
      options.metrics.apiRequests.inc({ verb: 'WATCH', resource: options.kind.plural, code: 'started' });
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

  /** Starts list+watch; resolves once the first list landed in the cache, or the list is Forbidden. */
  start(): Promise<void> {
    this.stopped = false;
    const ready = new Promise<void>((resolve) => {
      if (this.state !== 'Syncing') resolve();
      else this.syncWaiters.push(resolve);
    });
    this.run();
    return ready;
  }

  // ListWatch.start() resolves after it filed the list's items and opened the watch, or after a
  // failed list (reported through 'error'): only the first case makes the cache synced.
  private run(): void {
    this.listWatch.start().then(
      () => {
        if (this.listed && !this.stopped) this.markSynced('Synced');
      },
      (error: unknown) => {
        this.onError(error);
      },
    );
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
    return this.listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.listWatch.list(namespace);
  }

  byIndex(index: string, value: string): T[] {
    const found: T[] = [];
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

  private async list_(path: string) {
    const result = await this.options.client.listAll<T>(path, 500, this.kind.metadataOnly === true ? PARTIAL_METADATA_LIST : 'application/json');
    for (const item of result.items) stripManagedFields(item);
    this.listed = true;
    return result;
  }

  private apply(type: ChangeType, object: T): void {
    const key = objectKey(object);
    if (type === 'delete') {
      this.indexer.remove(key);
      this.count -= 1;
    } else {
      this.indexer.upsert(key, object);
      if (type === 'add') this.count += 1;
    }
    this.options.metrics.informerObjects.set({ kind: this.kind.key }, this.count);
    this.attempt = 0;
    for (const listener of this.listeners) listener(type, object);
  }

  private markSynced(state: 'Synced' | 'Forbidden'): void {
    if (this.state === state) return;
    this.state = state;
    this.options.metrics.informerSynced.set({ kind: this.kind.key }, state === 'Synced' ? 1 : 0);
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private onError(error: unknown): void {
    // ListWatch reports its own aborts (on stop, and on restart) as errors: they are not failures.
    if (this.stopped || (error instanceof Error && error.name === 'AbortError')) return;
    const forbidden = error instanceof ApiError ? error.isForbidden : hasStatusCode(error, 403);
    if (forbidden && this.state === 'Syncing') this.markSynced('Forbidden');
    this.attempt += 1;
    const delay = forbidden ? FORBIDDEN_RETRY_MS : backoffMs(this.attempt, this.random);
    this.options.metrics.informerRestarts.inc({ kind: this.kind.key });
    this.options.logger.warn('Informer restarting', {
      kind: this.kind.key,
      attempt: this.attempt,
      delayMs: delay,
      error: error instanceof Error ? error.message : String(error),
    });
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
