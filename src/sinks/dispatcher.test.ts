import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Transition } from '../controllers/triagerequest/transitions';
import type { TriageSinkStatus } from '../crds/triage-sink';
import { backoffMs, SinkDispatcher, type SecretRead, type SinkCluster, type SinkObject } from './dispatcher';

interface Received {
  readonly key: string;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}

const open: (() => Promise<void>)[] = [];
// A failed expectation must not leave a server listening (jest would wait on it).
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/** A real receiving end on loopback: answers each request with the next status of `script` (then 200), or holds it. */
async function receiver(script: number[] = []): Promise<{ url: string; received: Received[]; hold: { on: boolean } }> {
  const received: Received[] = [];
  const hold = { on: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      chunks.push(c);
    });
    req.on('end', () => {
      received.push({
        key: String(req.headers['idempotency-key']),
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      if (hold.on) return;
      const code = script.shift() ?? 200;
      res.writeHead(code, code === 302 ? { location: 'http://127.0.0.1:1/elsewhere' } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  open.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    hold,
  };
}

function transition(uid: string, number: number, verdict: 'Healthy' | 'RootCauseFound' = 'RootCauseFound', namespace = 'shop'): Transition {
  return { request: { namespace, name: 'why', uid }, status: { verdict, answer: [verdict] }, number };
}

class FakeCluster implements SinkCluster {
  readonly statuses: { name: string; status: TriageSinkStatus }[] = [];
  secretsRead = 0;
  constructor(
    public sinkList: SinkObject[],
    private readonly secret: SecretRead = { kind: 'Value', value: 's3cr3t-token\n' },
  ) {}
  sinks(): readonly SinkObject[] {
    return this.sinkList;
  }
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return namespace === 'shop' ? { team: 'shop' } : { team: 'other' };
  }
  readSecret(): Promise<SecretRead> {
    this.secretsRead += 1;
    return Promise.resolve(this.secret);
  }
  writeStatus(name: string, status: TriageSinkStatus): Promise<void> {
    this.statuses.push({ name, status });
    return Promise.resolve();
  }
}

const sink = (name: string, spec: Record<string, unknown>): SinkObject => ({ metadata: { name, generation: 1 }, spec });
const fast = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };

function dispatcher(cluster: SinkCluster, options: Record<string, number> = {}) {
  const registry = new Registry();
  const logs: string[] = [];
  const d = new SinkDispatcher(cluster, {
    registry,
    log: (_level, message, fields) => logs.push(`${message} ${JSON.stringify(fields)}`),
    now: () => new Date(),
    options: { ...fast, ...options },
  });
  return { d, registry, logs };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (found as { values?: { value: number; labels: Record<string, string> }[] } | undefined)?.values ?? [];
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

test('a failed delivery is retried with the same idempotency key and the bearer token from the Secret; notify returns at once', async () => {
  const r = await receiver([500]);
  const cluster = new FakeCluster([sink('ops', { url: r.url, secretRef: { name: 'hook', key: 'token' } })]);
  const { d, registry, logs } = dispatcher(cluster);
  const started = Date.now();
  d.notify(transition('u1', 1));
  d.notify(transition('u1', 2, 'Healthy'));
  expect(Date.now() - started).toBeLessThan(50);
  await d.idle();
  expect(r.received.map((x) => x.key)).toEqual(['u1/1', 'u1/1', 'u1/2']);
  expect(r.received.every((x) => x.authorization === 'Bearer s3cr3t-token')).toBe(true);
  expect(r.received[2]?.body).toMatchObject({ kind: 'TriageTransition', verdict: 'Healthy', previousVerdict: 'RootCauseFound', transition: 2 });
  expect(JSON.stringify(r.received.map((x) => x.body))).not.toContain('s3cr3t');
  expect(logs.join('\n')).not.toContain('s3cr3t');
  expect(cluster.secretsRead).toBe(1);
  expect(await metric(registry, 'triage_sink_deliveries_total', { sink: 'ops', result: 'Delivered' })).toBe(2);
  expect(await metric(registry, 'triage_sink_retries_total', { sink: 'ops' })).toBe(1);
  expect(cluster.statuses.at(-1)?.status).toMatchObject({ consecutiveFailures: 0, lastDelivery: { result: 'Delivered', idempotencyKey: 'u1/2', attempts: 1 } });
  expect(cluster.statuses.at(-1)?.status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Delivered' })]);
  await d.stop();
});

test('verdict and namespace filters select transitions (into or out of a listed verdict)', async () => {
  const r = await receiver();
  const cluster = new FakeCluster([sink('shop-only', { url: r.url, namespaceSelector: { matchLabels: { team: 'shop' } }, verdicts: ['RootCauseFound'] })]);
  const { d } = dispatcher(cluster);
  d.notify(transition('u1', 1, 'RootCauseFound', 'other'));
  d.notify(transition('u2', 1, 'Healthy'));
  d.notify(transition('u3', 1, 'RootCauseFound'));
  d.notify(transition('u3', 2, 'Healthy'));
  await d.idle();
  expect(r.received.map((x) => x.key)).toEqual(['u3/1', 'u3/2']);
  await d.stop();
});

test('a 4xx is not retried, a redirect is not followed, attempts are capped; each failure is on the sink', async () => {
  const r = await receiver([400, 302, 503, 503, 503]);
  const cluster = new FakeCluster([sink('ops', { url: r.url })]);
  const { d, registry } = dispatcher(cluster, { maxAttempts: 3 });
  d.notify(transition('u1', 1));
  d.notify(transition('u1', 2));
  d.notify(transition('u1', 3));
  await d.idle();
  expect(r.received.map((x) => x.key)).toEqual(['u1/1', 'u1/2', 'u1/3', 'u1/3', 'u1/3']);
  expect(await metric(registry, 'triage_sink_deliveries_total', { sink: 'ops', result: 'Failed' })).toBe(3);
  const last = cluster.statuses.at(-1)?.status;
  expect(last).toMatchObject({ consecutiveFailures: 3, lastDelivery: { result: 'Failed', attempts: 3, message: 'HTTP 503' } });
  expect(last?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'DeliveryFailed' });
  await d.stop();
});

test('a missing Secret becomes the Ready condition, not a crash; a Secret URL must pass the URL rule', async () => {
  const missing = new FakeCluster([sink('ops', { url: 'https://hooks.example.com/x', secretRef: { name: 'gone', key: 'token' } })], { kind: 'SecretNotFound' });
  const a = dispatcher(missing, { maxAttempts: 2 });
  a.d.notify(transition('u1', 1));
  await a.d.idle();
  expect(missing.statuses.at(-1)?.status.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
  await a.d.stop();

  const badUrl = new FakeCluster([sink('slack', { format: 'Slack', secretRef: { name: 'hook', key: 'url', use: 'URL' } })], {
    kind: 'Value',
    value: 'http://hooks.example.com/T000/B000/secret-path',
  });
  const b = dispatcher(badUrl);
  b.d.notify(transition('u1', 1));
  await b.d.idle();
  const status = badUrl.statuses.at(-1)?.status;
  expect(status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InvalidURL' });
  expect(JSON.stringify(status)).not.toContain('secret-path');
  expect(b.logs.join('\n')).not.toContain('secret-path');
  await b.d.stop();
});

test('Slack format POSTs a {text, blocks} message to the URL from the Secret', async () => {
  const r = await receiver();
  const cluster = new FakeCluster([sink('slack', { format: 'Slack', secretRef: { name: 'hook', key: 'url', use: 'URL' } })], { kind: 'Value', value: r.url });
  const { d } = dispatcher(cluster);
  d.notify(transition('u1', 1));
  await d.idle();
  expect(r.received).toHaveLength(1);
  expect(r.received[0]?.body).toEqual({ text: 'shop/why: RootCauseFound', blocks: [expect.objectContaining({ type: 'section' })] });
  expect(r.received[0]?.authorization).toBeUndefined();
  await d.stop();
});

test('the queue is bounded: the oldest waiting payload is dropped and counted; stop aborts what is in flight', async () => {
  const r = await receiver();
  r.hold.on = true;
  const cluster = new FakeCluster([sink('ops', { url: r.url })]);
  const { d, registry } = dispatcher(cluster, { queueLimit: 3, timeoutMs: 60_000 });
  for (let n = 1; n <= 10; n += 1) d.notify(transition('u1', n));
  expect(await metric(registry, 'triage_sink_deliveries_total', { sink: 'ops', result: 'Dropped' })).toBe(7);
  expect(await metric(registry, 'triage_sink_queue_length', { sink: 'ops' })).toBe(3);
  while (r.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await d.stop();
  expect(await metric(registry, 'triage_sink_queue_length', { sink: 'ops' })).toBe(0);
  expect(r.received.map((x) => x.key)).toEqual(['u1/1']);
});

test('backoff grows exponentially with jitter and is capped', () => {
  const options = { baseDelayMs: 1000, maxDelayMs: 30_000 };
  expect(backoffMs(1, options, () => 0)).toBe(500);
  expect(backoffMs(1, options, () => 1)).toBe(1000);
  expect(backoffMs(3, options, () => 1)).toBe(4000);
  expect(backoffMs(20, options, () => 1)).toBe(30_000);
});
