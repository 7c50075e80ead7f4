import http from 'node:http';
import { Writable } from 'node:stream';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import winston from 'winston';
import { Metrics } from '../metrics';
import { KubeClient } from './client';
import { Informer, metadataOnlyConfig } from './informer';
import { PARTIAL_METADATA, PARTIAL_METADATA_LIST, SECRET_METADATA_KIND, WATCHED_KINDS, type WatchedKind } from './kinds';

// In a pod the operator authenticates with a bearer token header (not a client certificate):
// the metadata-only watch must keep it while it changes Accept.
test('a metadata-only watch keeps the Authorization header and asks for PartialObjectMetadata', async () => {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'token-value' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const init = await metadataOnlyConfig(config).applyToFetchOptions({ headers: { 'User-Agent': 'triage-operator' } });
  const headers = init.headers as Record<string, string>;
  expect(headers.authorization).toBe('Bearer token-value');
  expect(headers.accept).toBe(PARTIAL_METADATA);
  expect(headers['user-agent']).toBe('triage-operator');
});

interface FakeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: unknown[];
  };
  data?: Record<string, string>;
}

/** Just enough of an apiserver for one collection: paged-less lists and long-lived watches it can refuse or end. */
class FakeApiserver {
  objects: FakeObject[] = [];
  refuse: number | undefined;
  /** Status of the discovery document of the collection's group/version. */
  discovery = 200;
  /** What the group/version's discovery document lists. */
  discoveryResources = ['ingresses'];
  lists = 0;
  readonly accepts: string[] = [];
  private readonly watches = new Set<http.ServerResponse>();
  private readonly server = http.createServer((request, response) => {
    if (request.url === '/apis/networking.k8s.io/v1') {
      response.writeHead(this.discovery, { 'Content-Type': 'application/json' });
      const resources = this.discoveryResources.map((name) => ({ name, namespaced: true, kind: 'Ingress', verbs: ['list', 'watch'] }));
      response.end(
        JSON.stringify(
          this.discovery === 200
            ? { kind: 'APIResourceList', groupVersion: 'networking.k8s.io/v1', resources }
            : { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: this.discovery },
        ),
      );
      return;
    }
    this.accepts.push(`${request.url?.includes('watch=true') === true ? 'watch' : 'list'} ${request.headers.accept ?? ''}`);
    if (this.refuse !== undefined) {
      response.writeHead(this.refuse, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', message: 'forbidden', code: this.refuse }));
      return;
    }
    if (request.url?.includes('watch=true') === true) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('\n');
      this.watches.add(response);
      response.on('close', () => this.watches.delete(response));
      return;
    }
    this.lists += 1;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.objects.length + 100) }, items: this.objects }));
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return `http://127.0.0.1:${String(address.port)}`;
  }

  openWatches(): number {
    return this.watches.size;
  }

  /** Sends one event to every open watch. */
  send(type: string, object: unknown): void {
    for (const watch of this.watches) watch.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** Ends every open watch the way a restarting apiserver does. */
  endWatches(): void {
    for (const watch of this.watches) watch.end();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
    this.server.closeAllConnections();
    await closed;
  }
}

function ingress(name: string, resourceVersion: string): FakeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'shop', resourceVersion, uid: `uid-${name}`, managedFields: [{}] },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not met in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface LogLine {
  level: string;
  message: string;
  kind?: string;
  reason?: string;
  failures?: number;
}

function setUp(server: FakeApiserver, url: string, kind: WatchedKind = INGRESS, notInstalledRetryMs?: number) {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      callback();
    },
  });
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  const config = new KubeConfig();
  config.loadFromOptions({
    // Plain HTTP is refused unless TLS verification is off.
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const metrics = new Metrics({ collectProcessMetrics: false });
  const informer = new Informer<KubernetesObject>({
    kind,
    config,
    client: new KubeClient(config),
    logger,
    metrics,
    random: () => 0,
    ...(notInstalledRetryMs === undefined ? {} : { notInstalledRetryMs }),
  });
  return { informer, lines, metrics };
}

const INGRESS = WATCHED_KINDS.find((kind) => kind.key === 'Ingress') as WatchedKind;

describe('Informer', () => {
  let server: FakeApiserver;
  let url: string;
  let stop: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    server = new FakeApiserver();
    url = await server.listen();
  });

  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await server.close();
  });

  describe('an optional kind (CRDs a cluster may not have)', () => {
    const OPTIONAL: WatchedKind = { ...INGRESS, optional: true };

    test('is NotInstalled when its list and its group/version are both 404, with no warning or restart, and Synced once served', async () => {
      server.refuse = 404;
      server.discovery = 404;
      const { informer, lines, metrics } = setUp(server, url, OPTIONAL, 20);
      stop = () => informer.stop();
      const states: string[] = [];
      informer.onStateChange((previous, next) => states.push(`${previous}->${next}`));
      await informer.start();
      expect(informer.cacheState()).toBe('NotInstalled');
      expect(informer.list()).toEqual([]);
      expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
      expect(lines.filter((line) => line.message === 'API not installed; checking again periodically')).toHaveLength(1);
      expect(await metrics.registry.getSingleMetricAsString('informer_restarts_total')).not.toMatch(/kind="Ingress"/);

      server.objects = [ingress('a', '1')];
      server.discovery = 200;
      server.refuse = undefined;
      await until(() => informer.cacheState() === 'Synced', 'Synced once served');
      expect(informer.get('a', 'shop')?.metadata?.uid).toBe('uid-a');
      expect(states).toEqual(['Syncing->NotInstalled', 'NotInstalled->Synced']);
    });

    test('a 404 while discovery still lists the resource is a failure, not NotInstalled', async () => {
      server.refuse = 404;
      const { informer } = setUp(server, url, OPTIONAL, 20);
      stop = () => informer.stop();
      void informer.start();
      await until(() => server.accepts.length >= 2, 'a retry');
      expect(informer.cacheState()).toBe('Syncing');
    });

    test('a group/version served without this resource (one CRD of a group installed) is NotInstalled too', async () => {
      server.refuse = 404;
      server.discoveryResources = ['ingressclasses'];
      const { informer } = setUp(server, url, OPTIONAL, 20);
      stop = () => informer.stop();
      await informer.start();
      expect(informer.cacheState()).toBe('NotInstalled');
    });

    test('NotInstalled, then another error: unknown (Stale), never still "not installed"', async () => {
      server.refuse = 404;
      server.discovery = 404;
      const { informer } = setUp(server, url, OPTIONAL, 20);
      stop = () => informer.stop();
      await informer.start();
      expect(informer.cacheState()).toBe('NotInstalled');
      server.refuse = 500;
      await until(() => informer.cacheState() === 'Stale', 'Stale after a 500');
    });

    test('a synced cache meeting a 404 goes Stale first and keeps its objects', async () => {
      server.objects = [ingress('a', '1')];
      const { informer } = setUp(server, url, OPTIONAL, 20);
      stop = () => informer.stop();
      await informer.start();
      await until(() => server.openWatches() === 1, 'watch open');
      server.refuse = 404;
      server.discovery = 404;
      server.endWatches();
      await until(() => informer.cacheState() !== 'Synced', 'left Synced');
      expect(informer.cacheState()).toBe('Stale');
      // The next 404 with discovery agreeing: now it is not installed, and nothing of it is listed.
      await until(() => informer.cacheState() === 'NotInstalled', 'NotInstalled on the relist');
      expect(informer.list()).toEqual([]);
    });
  });

  test('a watch refused after sync leaves the cache Stale, never Synced-but-behind, until a relist lands', async () => {
    server.objects = [ingress('old', '1')];
    const { informer, lines } = setUp(server, url);
    stop = () => informer.stop();
    await informer.start();
    expect(informer.cacheState()).toBe('Synced');
    await until(() => server.openWatches() === 1, 'watch open');

    // The apiserver restarts with a cold RBAC cache: the re-watch and the retries are refused.
    server.refuse = 403;
    server.objects = [ingress('old', '1'), ingress('created-meanwhile', '2')];
    server.endWatches();
    await until(() => informer.cacheState() === 'Stale', 'Stale');
    const refusedAt = server.accepts.length;
    await until(() => server.accepts.length >= refusedAt + 2, 'retries');
    expect(informer.cacheState()).toBe('Stale');
    expect(informer.get('created-meanwhile', 'shop')).toBeUndefined();

    server.refuse = undefined;
    await until(() => informer.cacheState() === 'Synced', 'Synced again');
    // Synced again only with the relist's content in the cache.
    expect(informer.get('created-meanwhile', 'shop')?.metadata?.managedFields).toBeUndefined();
    expect(informer.get('created-meanwhile', 'shop')?.metadata?.uid).toBe('uid-created-meanwhile');
    expect(server.lists).toBe(2);
    const restarts = lines.filter((line) => line.message === 'Informer restarting');
    expect(restarts.length).toBeGreaterThanOrEqual(3);
    expect(restarts.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(lines.filter((line) => line.message === 'Informer relisting' && line.level === 'info')).toEqual([
      expect.objectContaining({ kind: 'Ingress', reason: 'Recovering' }),
    ]);
    expect(lines.filter((line) => line.message === 'Informer recovered')).toEqual([
      expect.objectContaining({ level: 'info', kind: 'Ingress', failures: restarts.length }),
    ]);
  });

  test('a 410 from the watch relists, logs it once, and removes what vanished', async () => {
    server.objects = [ingress('a', '1'), ingress('b', '2')];
    const { informer, lines } = setUp(server, url);
    stop = () => informer.stop();
    await informer.start();
    await until(() => server.openWatches() === 1, 'watch open');
    server.objects = [ingress('b', '2')];
    server.send('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    server.endWatches();
    await until(() => server.lists === 2 && informer.cacheState() === 'Synced', 'relisted');
    expect(informer.get('a', 'shop')).toBeUndefined();
    expect(informer.size()).toBe(1);
    expect(lines.filter((line) => line.message === 'Informer relisting')).toEqual([
      expect.objectContaining({ level: 'info', kind: 'Ingress', reason: 'Expired' }),
    ]);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  test('a list Forbidden at start-up reports Forbidden, keeps retrying, and syncs once allowed', async () => {
    server.refuse = 403;
    const { informer } = setUp(server, url);
    stop = () => informer.stop();
    await informer.start();
    expect(informer.cacheState()).toBe('Forbidden');
    server.refuse = undefined;
    server.objects = [ingress('a', '1')];
    await until(() => informer.cacheState() === 'Synced', 'Synced once allowed');
    expect(informer.size()).toBe(1);
  });

  test('a metadata-only cache asks for PartialObjectMetadata on list and watch, and keeps neither data nor annotations', async () => {
    const secret: FakeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'tls',
        namespace: 'shop',
        resourceVersion: '1',
        uid: 'uid-tls',
        labels: { app: 'shop' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"tls.key":"SECRET"}}' },
      },
      data: { 'tls.key': 'U0VDUkVU' },
    };
    server.objects = [secret];
    const { informer } = setUp(server, url, SECRET_METADATA_KIND);
    stop = () => informer.stop();
    await informer.start();
    await until(() => server.openWatches() === 1, 'watch open');
    server.send('ADDED', { ...secret, metadata: { ...secret.metadata, name: 'tls-2', uid: 'uid-tls-2', resourceVersion: '2' } });
    await until(() => informer.size() === 2, 'watched Secret cached');
    for (const name of ['tls', 'tls-2']) {
      expect(JSON.stringify(informer.get(name, 'shop'))).not.toContain('SECRET');
      expect(JSON.stringify(informer.get(name, 'shop'))).not.toContain('U0VDUkVU');
      expect(informer.get(name, 'shop')?.metadata?.labels).toEqual({ app: 'shop' });
    }
    expect(server.accepts).toEqual([`list ${PARTIAL_METADATA_LIST}`, `watch ${PARTIAL_METADATA}`]);
  });
});
