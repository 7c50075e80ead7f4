import { Registry } from 'prom-client';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../logger';
import { ApiError } from '../kube/errors';
import type { KubeObject } from '../triage/snapshot';
import { MappingTable } from './mapping';
import { authorized, startAlertReceiver, TokenBucket, type AlertReceiver } from './receiver';
import { FINGERPRINT_LABEL, RESOLVED_ANNOTATION, type AlertRequestCache, type AlertRequestClient } from './requests';

// The receiver's HTTP side and its request bookkeeping over an in-memory cluster; the real apiserver
// and a real Alertmanager are in test/e2e/alertmanager.e2e.test.ts.

const TOKEN = 'receiver-secret-token';

/** An in-memory apiserver + cache: objects by kind/namespace/name, calls recorded. */
class MemoryCluster implements AlertRequestClient, AlertRequestCache {
  readonly objects = new Map<string, KubeObject>();
  readonly calls: string[] = [];

  private static key(kind: string, name: string, namespace = '') {
    return `${kind}/${namespace}/${name}`;
  }
  private static parse(path: string) {
    const [, namespace = '', name = ''] = /namespaces\/([^/]+)\/triagerequests(?:\/(.+))?$/.exec(path) ?? [];
    return { namespace, name };
  }
  get(kind: string, name: string, namespace?: string) {
    return this.objects.get(MemoryCluster.key(kind, name, namespace));
  }
  list(kind: string) {
    return [...this.objects.entries()].filter(([key]) => key.startsWith(`${kind}/`)).map(([, value]) => value);
  }
  create(path: string, body: unknown): Promise<unknown> {
    const object = body as KubeObject;
    const { namespace } = MemoryCluster.parse(path);
    const key = MemoryCluster.key('TriageRequest', object.metadata?.name ?? '', namespace);
    this.calls.push(`create ${namespace}/${object.metadata?.name ?? ''}`);
    if (namespace === 'gone') return Promise.reject(new ApiError(404, 'NotFound', 'namespaces "gone" not found', 'POST', path));
    if (namespace === 'flaky') return Promise.reject(new ApiError(503, 'ServiceUnavailable', 'etcd', 'POST', path));
    if (this.objects.has(key)) return Promise.reject(new ApiError(409, 'AlreadyExists', 'exists', 'POST', path));
    this.objects.set(key, { ...object, metadata: { ...object.metadata, namespace } });
    return Promise.resolve(object);
  }
  delete(path: string): Promise<void> {
    const { namespace, name } = MemoryCluster.parse(path);
    this.calls.push(`delete ${namespace}/${name}`);
    if (!this.objects.delete(MemoryCluster.key('TriageRequest', name, namespace))) return Promise.reject(new ApiError(404, 'NotFound', 'gone', 'DELETE', path));
    return Promise.resolve();
  }
  mergePatch(path: string, patch: unknown): Promise<unknown> {
    const { namespace, name } = MemoryCluster.parse(path);
    this.calls.push(`patch ${namespace}/${name}`);
    const key = MemoryCluster.key('TriageRequest', name, namespace);
    const current = this.objects.get(key);
    const change = (patch as { metadata: { annotations: Record<string, string | null> } }).metadata.annotations;
    const merged = Object.entries({ ...current?.metadata?.annotations, ...change }).filter((entry): entry is [string, string] => entry[1] !== null);
    this.objects.set(key, { ...current, metadata: { ...current?.metadata, annotations: Object.fromEntries(merged) } });
    return Promise.resolve(undefined);
  }
}

const alert = (status: 'firing' | 'resolved', fingerprint: string, labels: Record<string, string>) => ({ status, labels, annotations: {}, fingerprint });
const body = (alerts: object[]) => JSON.stringify({ version: '4', status: 'firing', receiver: 'triage', alerts, groupLabels: {}, commonLabels: {} });
const crashing = alert('firing', 'f00d', { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-0' });

describe('the Alertmanager receiver', () => {
  let cluster: MemoryCluster;
  let receiver: AlertReceiver;
  let url: string;
  let now: number;
  let ready: boolean;
  const post = (text: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: text });

  beforeEach(async () => {
    cluster = new MemoryCluster();
    now = Date.parse('2026-12-01T00:00:00Z');
    ready = true;
    receiver = await startAlertReceiver({
      bindAddress: '127.0.0.1:0',
      token: TOKEN,
      table: MappingTable.withDefaults(),
      client: cluster,
      cache: cluster,
      ready: () => ready,
      clusterNamespace: 'triage-system',
      resolvedDelayMs: 60_000,
      logger: createLogger('error', { silent: true }),
      registry: new Registry(),
      now: () => new Date(now),
      maxBodyBytes: 4096,
      rateBurst: 5,
      ratePerSecond: 0.001,
    });
    url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/alerts`;
  });
  afterEach(() => receiver.close());

  test('a firing alert becomes one request named, labelled and annotated from it; a re-post creates nothing', async () => {
    const first = await post(body([crashing]));
    expect([first.status, await first.json()]).toEqual([200, { created: 1, firing: 1, refused: 0, resolved: 0, ignored: 0 }]);
    const request = cluster.get('TriageRequest', 'alert-f00d', 'shop');
    expect(request).toMatchObject({
      metadata: { labels: { [FINGERPRINT_LABEL]: 'f00d' }, annotations: { 'triage.dev/alert-name': 'KubePodCrashLooping' } },
      spec: { intent: 'crashloop', target: { kind: 'Pod', name: 'web-0', namespace: 'shop' } },
    });
    expect((await post(body([crashing]))).status).toBe(200);
    expect(cluster.calls).toEqual(['create shop/alert-f00d']);
  });

  test('KubePodNotReady picks the intent from the pod; a Node alert goes to the cluster namespace', async () => {
    cluster.objects.set('Pod/shop/web-1', { metadata: { name: 'web-1', namespace: 'shop' }, spec: {}, status: { phase: 'Pending' } } as KubeObject);
    await post(
      body([
        alert('firing', 'a1', { alertname: 'KubePodNotReady', namespace: 'shop', pod: 'web-1' }),
        alert('firing', 'a2', { alertname: 'KubeNodeNotReady', node: 'n1' }),
      ]),
    );
    expect(cluster.get('TriageRequest', 'alert-a1', 'shop')).toMatchObject({ spec: { intent: 'scheduling-failures' } });
    expect(cluster.get('TriageRequest', 'alert-a2', 'triage-system')).toMatchObject({
      spec: { intent: 'node-pressure', target: { kind: 'Node', name: 'n1' } },
    });
  });

  test('a resolved alert marks its request and removes it after the delay; firing again in between keeps it', async () => {
    await post(body([crashing]));
    await post(body([{ ...crashing, status: 'resolved' }]));
    expect(cluster.get('TriageRequest', 'alert-f00d', 'shop')?.metadata?.annotations?.[RESOLVED_ANNOTATION]).toBe('2026-12-01T00:00:00.000Z');
    now += 59_000;
    await receiver.requests.deleteDue();
    expect(cluster.get('TriageRequest', 'alert-f00d', 'shop')).toBeDefined();
    now += 2_000;
    await receiver.requests.deleteDue();
    expect(cluster.get('TriageRequest', 'alert-f00d', 'shop')).toBeUndefined();

    await post(body([crashing]));
    await post(body([{ ...crashing, status: 'resolved' }]));
    await post(body([crashing]));
    expect(cluster.get('TriageRequest', 'alert-f00d', 'shop')?.metadata?.annotations?.[RESOLVED_ANNOTATION]).toBeUndefined();
    now += 120_000;
    await receiver.requests.deleteDue();
    await receiver.requests.sweep();
    expect(cluster.get('TriageRequest', 'alert-f00d', 'shop')).toBeDefined();
  });

  test('an alert the apiserver refuses for good is skipped and the others go on; a transient failure asks Alertmanager to retry (503)', async () => {
    const gone = alert('firing', 'dead', { alertname: 'KubePodCrashLooping', namespace: 'gone', pod: 'p' });
    const response = await post(body([gone, crashing]));
    expect([response.status, await response.json()]).toEqual([200, { created: 1, firing: 2, refused: 1, resolved: 0, ignored: 0 }]);
    const flaky = await post(body([alert('firing', 'f1', { alertname: 'KubePodCrashLooping', namespace: 'flaky', pod: 'p' })]));
    expect([flaky.status, flaky.headers.get('retry-after')]).toEqual([503, '5']);
  });

  test('the sweep removes requests resolved long ago that no pending deletion remembers (a restart)', async () => {
    cluster.objects.set('TriageRequest/shop/alert-old', {
      metadata: {
        name: 'alert-old',
        namespace: 'shop',
        labels: { [FINGERPRINT_LABEL]: 'old' },
        annotations: { [RESOLVED_ANNOTATION]: '2026-11-30T00:00:00Z' },
      },
    });
    cluster.objects.set('TriageRequest/shop/mine', {
      metadata: { name: 'mine', namespace: 'shop', annotations: { [RESOLVED_ANNOTATION]: '2026-11-30T00:00:00Z' } },
    });
    await receiver.requests.sweep();
    expect(cluster.calls).toEqual(['delete shop/alert-old']);
  });

  test('refused: no or a wrong token (401), bad payloads (400 with the reason), too large (413), not synced (503), too many (429); nothing changes', async () => {
    const statuses: [number, string][] = [];
    const record = async (response: Response) => statuses.push([response.status, ((await response.json()) as { error?: string }).error ?? '']);
    await record(await post(body([crashing]), {}));
    await record(await post(body([crashing]), { Authorization: 'Bearer wrong' }));
    await record(await post('{not json'));
    await record(await post('[]'));
    await record(await post(JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: {}, fingerprint: '../x' }] })));
    await record(await post(body([{ ...crashing, labels: { alertname: 'A'.repeat(5000) } }])));
    ready = false;
    await record(await post(body([crashing])));
    expect(statuses).toEqual([
      [401, expect.stringMatching(/^unauthorized/) as string],
      [401, expect.stringMatching(/^unauthorized/) as string],
      [400, 'the body is not JSON'],
      [400, expect.stringMatching(/^not an Alertmanager webhook payload: \(payload\): /) as string],
      [400, expect.stringMatching(/^not an Alertmanager webhook payload: alerts\.0\.fingerprint: must be 1 to 32 lowercase hex digits/) as string],
      [413, 'request body over 4096 bytes'],
      [503, 'caches not synced yet: retry shortly'],
    ]);
    // The burst of 5 was spent by the five authenticated posts above.
    ready = true;
    expect((await post(body([crashing]))).status).toBe(429);
    expect(cluster.calls).toEqual([]);
    expect((await fetch(url.replace('/alerts', '/other'), { method: 'POST' })).status).toBe(404);
  });

  test('the token check and the bucket', () => {
    expect([authorized(`Bearer ${TOKEN}`, TOKEN), authorized(`bearer ${TOKEN} `, TOKEN), authorized(TOKEN, TOKEN), authorized(undefined, TOKEN)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    let t = 0;
    const bucket = new TokenBucket(1, 2, () => t);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    t = 1000;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  });
});
