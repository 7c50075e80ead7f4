/**
 * `make bench`: latency, throughput, API load and memory of the operator with informer caches,
 * against the listing baseline (--snapshot-source=list) in the same run, at two cluster sizes.
 * Server-side numbers come from the apiserver's audit log (microsecond stage timestamps, the
 * operator's own requests told apart by its ServiceAccount identity). Prints progress throughout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CoordinationV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import { KubeClient } from '../../src/kube/client';

const repoRoot = path.resolve(__dirname, '../../..');
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const kubeconfigPath = args.get('kubeconfig') ?? '';
const operatorKubeconfig = args.get('operator-kubeconfig') ?? '';
const auditLog = args.get('audit-log') ?? '';
const sizes = (args.get('sizes') ?? '1000,10000').split(',').map(Number);
const burst = Number(args.get('burst') ?? '1000');
const steady = Number(args.get('steady') ?? '200');
const steadyRate = Number(args.get('rate') ?? '50');
/** Pods in the cluster for the cluster-health sweep phase (0 skips it); the largest main size is its baseline. */
const sweepSize = Number(args.get('sweep') ?? '0');
const SWEEP_RUNS = 5;
/** Runs continue until this long has passed too: the leader renews every 2 s, so the window sees a dozen renewals. */
const SWEEP_WINDOW_MS = 30_000;
const WARMUP = 30;
const NAMESPACES = 50;
const OPERATOR_USER = 'system:serviceaccount:triage-system:triage-operator';

const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const client = new KubeClient(kc);
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

// ---- population -----------------------------------------------------------------------------------

const ns = (i: number) => `bench-${String(i).padStart(2, '0')}`;

async function createAll(bodies: { path: string; body: unknown }[], label: string): Promise<void> {
  const queue = new PQueue({ concurrency: 32 });
  let done = 0;
  for (const { path: p, body } of bodies) {
    void queue.add(async () => {
      try {
        await client.create(p, body);
      } catch (error: unknown) {
        if (!String(error).includes('409')) throw error;
      }
      done += 1;
      if (done % 1000 === 0) log(`${label}: ${done}/${bodies.length}`);
    });
  }
  await queue.onIdle();
}

/** Pods (10% asking for more cpu than any node has), PVCs for 20% of pods (5% of those naming a missing class), Services, Ingresses. */
async function populate(from: number, to: number): Promise<void> {
  const bodies: { path: string; body: unknown }[] = [];
  for (let i = from; i < to; i++) {
    const namespace = ns(i % NAMESPACES);
    const name = `p-${i}`;
    const group = `g-${Math.floor(i / 10)}`;
    const claim = i % 5 === 0 ? `c-${i}` : undefined;
    if (claim !== undefined) {
      bodies.push({
        path: `/api/v1/namespaces/${namespace}/persistentvolumeclaims`,
        body: {
          metadata: { name: claim },
          spec: { storageClassName: i % 100 === 0 ? 'missing-class' : '', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      });
    }
    bodies.push({
      path: `/api/v1/namespaces/${namespace}/pods`,
      body: {
        metadata: { name, labels: { app: group } },
        spec: {
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: i % 10 === 0 ? '1000' : '10m' } } }],
          ...(claim === undefined || i % 100 !== 0 ? {} : { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] }),
        },
      },
    });
    if (i % 10 === 0) {
      bodies.push({
        path: `/api/v1/namespaces/${namespace}/services`,
        body: { metadata: { name: group }, spec: { selector: { app: group }, ports: [{ port: 80, targetPort: 8080 }] } },
      });
    }
    if (i % 50 === 0) {
      bodies.push({
        path: `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses`,
        body: { metadata: { name: `i-${i}` }, spec: { ingressClassName: 'bench', defaultBackend: { service: { name: group, port: { number: 80 } } } } },
      });
    }
  }
  await createAll(bodies, `populate ${from}..${to}`);
}

/**
 * Waits until the control plane has finished with the new objects (the Running pod count is the same
 * on three checks 5 s apart): measuring while it still schedules and starts thousands of pods would
 * measure its backlog, not the operator.
 */
async function settle(size: number): Promise<void> {
  let last = -1;
  let stable = 0;
  const started = Date.now();
  while (stable < 2) {
    await new Promise((r) => setTimeout(r, 5_000));
    // remainingItemCount is not served with a field selector: count the pages.
    const running = (await client.listAll<unknown>('/api/v1/pods?fieldSelector=status.phase%3DRunning', 2000)).items.length;
    stable = running === last ? stable + 1 : 0;
    last = running;
    log(`settling: ${running} of ${size} pods Running (${Math.round((Date.now() - started) / 1000)} s)`);
  }
}

// ---- operator -----------------------------------------------------------------------------------

interface Operator {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly logFile: string;
}

async function startOperator(mode: 'cache' | 'list', tag: string, extraArgs: readonly string[] = []): Promise<Operator> {
  const metricsPort = 19000 + Math.floor(Math.random() * 500);
  const logFile = path.join(repoRoot, '.test-results', `bench-operator-${tag}.log`);
  const out = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'dist/main.js'),
      `--kubeconfig=${operatorKubeconfig}`,
      `--snapshot-source=${mode}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${metricsPort + 500}`,
      '--concurrency=16',
      '--log-level=warn',
      '--identity=bench-operator',
      ...extraArgs,
    ],
    { stdio: ['ignore', out, out], env: { ...process.env, KUBECONFIG: '' } },
  );
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${metricsPort + 500}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, metricsPort, logFile };
}

async function operatorMetric(operator: Operator, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function stopOperator(operator: Operator): Promise<void> {
  operator.child.kill('SIGTERM');
  await new Promise((r) => operator.child.once('exit', r));
}

// ---- load -----------------------------------------------------------------------------------------

function requestSpec(i: number): { namespace: string; spec: unknown } {
  const namespace = ns(i % NAMESPACES);
  const kind = i % 3;
  const n = (i * 7) % Math.max(1, currentSize);
  if (kind === 0) return { namespace: ns(n % NAMESPACES), spec: { intent: 'scheduling-failures', target: { kind: 'Pod', name: `p-${n}` } } };
  if (kind === 1) return { namespace, spec: { intent: 'pvc-binding' } };
  return { namespace, spec: { intent: 'ingress-pending' } };
}

let currentSize = 0;
/** The intent of each request created, by namespace/name, so latencies can be split by intent. */
const intentByRequest = new Map<string, string>();
/** The engine's own time (envelope timing.durationMs) of each triaged request, by namespace/name. */
const engineMsByRequest = new Map<string, number>();

async function createRequests(prefix: string, count: number, perSecond: number | undefined): Promise<string[]> {
  const names: string[] = [];
  const queue = new PQueue({ concurrency: 32 });
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    if (perSecond !== undefined) {
      const due = start + (i * 1000) / perSecond;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const { namespace, spec } = requestSpec(i);
    const name = `${prefix}-${i}`;
    names.push(`${namespace}/${name}`);
    intentByRequest.set(`${namespace}/${name}`, (spec as { intent: string }).intent);
    void queue.add(() =>
      client.create(`/apis/triage.dev/v1alpha1/namespaces/${namespace}/triagerequests`, {
        apiVersion: 'triage.dev/v1alpha1',
        kind: 'TriageRequest',
        metadata: { name },
        spec,
      }),
    );
  }
  await queue.onIdle();
  return names;
}

async function waitTriaged(names: readonly string[]): Promise<void> {
  const pending = new Set(names);
  while (pending.size > 0) {
    for (let i = 0; i < NAMESPACES; i++) {
      const list = await client.get<{
        items: {
          metadata: { name: string; namespace: string; generation: number };
          status?: { observedGeneration?: number; envelope?: { timing?: { durationMs?: number } } };
        }[];
      }>(`/apis/triage.dev/v1alpha1/namespaces/${ns(i)}/triagerequests`);
      for (const item of list.items) {
        if (item.status?.observedGeneration !== item.metadata.generation) continue;
        const key = `${item.metadata.namespace}/${item.metadata.name}`;
        pending.delete(key);
        const engineMs = item.status.envelope?.timing?.durationMs;
        if (engineMs !== undefined) engineMsByRequest.set(key, engineMs);
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
}

async function deleteRequests(): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  await Promise.all(
    Array.from({ length: NAMESPACES }, (_, i) =>
      custom.deleteCollectionNamespacedCustomObject({ group: 'triage.dev', version: 'v1alpha1', namespace: ns(i), plural: 'triagerequests' }),
    ),
  );
}

// ---- audit ----------------------------------------------------------------------------------------

interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  stageTimestamp: string;
  requestReceivedTimestamp: string;
}

function readAudit(fromByte: number): { events: AuditEvent[]; end: number } {
  const text = fs.readFileSync(auditLog, 'utf8');
  const events = text
    .slice(fromByte)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete');
  return { events, end: Buffer.byteLength(text) };
}

const micros = (t: string) => {
  const match = /\.(\d+)Z$/.exec(t);
  return Date.parse(t) * 1000 + (match === null ? 0 : Number(match[1]?.padEnd(6, '0').slice(3, 6)));
};

interface Phase {
  latencies: number[];
  spanMs: number;
  triages: number;
  byVerb: Record<string, number>;
  /** Create → status latency and the engine's own time, per intent, each sorted. */
  byIntent: Record<string, { latencies: number[]; engineMs: number[] }>;
}

/** Garbage-collection pauses of the operator, by kind (prom-client's nodejs_gc_duration_seconds). */
type GcStats = Record<string, { pauses: number; totalMs: number; over10ms: number; over100ms: number }>;

async function gcStats(operator: Operator): Promise<GcStats> {
  const text = await (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
  const stats: GcStats = {};
  for (const line of text.split('\n')) {
    const match = /^nodejs_gc_duration_seconds_(count|sum|bucket)\{([^}]*)\} (\S+)$/.exec(line);
    if (match === null) continue;
    const [, series, labels = '', value = '0'] = match;
    const kind = /kind="([^"]+)"/.exec(labels)?.[1] ?? '?';
    const entry = (stats[kind] ??= { pauses: 0, totalMs: 0, over10ms: 0, over100ms: 0 });
    const le = /le="([^"]+)"/.exec(labels)?.[1];
    if (series === 'count') entry.pauses = Number(value);
    if (series === 'sum') entry.totalMs = Number(value) * 1000;
    // Buckets count pauses at or under le: over = all - under.
    if (series === 'bucket' && le === '0.01') entry.over10ms = -Number(value);
    if (series === 'bucket' && le === '0.1') entry.over100ms = -Number(value);
  }
  for (const entry of Object.values(stats)) {
    entry.over10ms += entry.pauses;
    entry.over100ms += entry.pauses;
  }
  return stats;
}

function gcDelta(before: GcStats, after: GcStats): GcStats {
  const delta: GcStats = {};
  for (const [kind, a] of Object.entries(after)) {
    const b = before[kind] ?? { pauses: 0, totalMs: 0, over10ms: 0, over100ms: 0 };
    delta[kind] = { pauses: a.pauses - b.pauses, totalMs: a.totalMs - b.totalMs, over10ms: a.over10ms - b.over10ms, over100ms: a.over100ms - b.over100ms };
  }
  return delta;
}

function analyse(events: AuditEvent[], names: readonly string[]): Phase {
  const wanted = new Set(names);
  const created = new Map<string, number>();
  const written = new Map<string, number>();
  const byVerb: Record<string, number> = {};
  for (const e of events) {
    const key = `${e.objectRef?.namespace ?? ''}/${e.objectRef?.name ?? ''}`;
    if (e.objectRef?.resource === 'triagerequests' && e.verb === 'create' && wanted.has(key)) created.set(key, micros(e.stageTimestamp));
    if (e.user.username === OPERATOR_USER) {
      const verb = e.verb.toUpperCase();
      byVerb[verb] = (byVerb[verb] ?? 0) + 1;
      if (e.objectRef?.subresource === 'status' && e.verb === 'patch' && wanted.has(key) && !written.has(key)) written.set(key, micros(e.stageTimestamp));
    }
  }
  const latencies: number[] = [];
  const byIntent: Phase['byIntent'] = {};
  for (const [key, at] of created) {
    const done = written.get(key);
    if (done === undefined) continue;
    latencies.push((done - at) / 1000);
    const intent = (byIntent[intentByRequest.get(key) ?? '?'] ??= { latencies: [], engineMs: [] });
    intent.latencies.push((done - at) / 1000);
    const engineMs = engineMsByRequest.get(key);
    if (engineMs !== undefined) intent.engineMs.push(engineMs);
  }
  for (const intent of Object.values(byIntent)) {
    intent.latencies.sort((a, b) => a - b);
    intent.engineMs.sort((a, b) => a - b);
  }
  const first = Math.min(...created.values());
  const last = Math.max(...written.values());
  return { latencies: latencies.sort((a, b) => a - b), spanMs: (last - first) / 1000, triages: written.size, byVerb, byIntent };
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

// ---- run ------------------------------------------------------------------------------------------

interface Row {
  size: number;
  mode: 'cache' | 'list';
  syncMs: number;
  rssMb: number;
  heapMb: number;
  /** The first requests after the operator started, before the steady phase. */
  warmup: Phase;
  steady: Phase;
  /** The operator's GC pauses during the steady phase. */
  steadyGc: GcStats;
  burst: Phase;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (let i = 0; i < NAMESPACES; i++) await client.create('/api/v1/namespaces', { metadata: { name: ns(i) } }).catch(() => undefined);
  await client
    .create('/apis/networking.k8s.io/v1/ingressclasses', { metadata: { name: 'bench' }, spec: { controller: 'example.com/none' } })
    .catch(() => undefined);
  let populated = 0;
  for (const size of sizes) {
    log(`populating to ${size} pods`);
    await populate(populated, size);
    populated = size;
    currentSize = size;
    await settle(size);
    for (const mode of ['cache', 'list'] as const) {
      log(`size ${size}, mode ${mode}: starting the operator`);
      const startedAt = Date.now();
      const operator = await startOperator(mode, `${size}-${mode}`);
      const syncMs = Date.now() - startedAt;
      const rssMb = (await operatorMetric(operator, 'process_resident_memory_bytes')) / 2 ** 20;
      const heapMb = (await operatorMetric(operator, 'nodejs_heap_size_used_bytes')) / 2 ** 20;
      log(`  ready after ${syncMs} ms, RSS ${rssMb.toFixed(0)} MiB, heap ${heapMb.toFixed(0)} MiB`);

      // The first triage of each intent after start runs cold (JIT, per-pod request parsing): measured apart, as warm-up.
      let mark = readAudit(0).end;
      log(`  warm-up: ${WARMUP} requests at ${steadyRate}/s`);
      const warmupNames = await createRequests(`w${size}${mode}`, WARMUP, steadyRate);
      await waitTriaged(warmupNames);
      let audit = readAudit(mark);
      const warmupPhase = analyse(audit.events, warmupNames);
      mark = audit.end;
      log(`  steady: ${steady} requests at ${steadyRate}/s`);
      const gcBefore = await gcStats(operator);
      const steadyNames = await createRequests(`s${size}${mode}`, steady, steadyRate);
      await waitTriaged(steadyNames);
      const steadyGc = gcDelta(gcBefore, await gcStats(operator));
      audit = readAudit(mark);
      const steadyPhase = analyse(audit.events, steadyNames);
      mark = audit.end;

      log(`  burst: ${burst} requests at once`);
      const burstNames = await createRequests(`b${size}${mode}`, burst, undefined);
      await waitTriaged(burstNames);
      audit = readAudit(mark);
      const burstPhase = analyse(audit.events, burstNames);
      log(
        `  burst done: p50 ${pct(burstPhase.latencies, 0.5).toFixed(1)} ms, p99 ${pct(burstPhase.latencies, 0.99).toFixed(1)} ms, ${(burstPhase.triages / (burstPhase.spanMs / 1000)).toFixed(0)} triages/s`,
      );
      rows.push({ size, mode, syncMs, rssMb, heapMb, warmup: warmupPhase, steady: steadyPhase, steadyGc, burst: burstPhase });
      await stopOperator(operator);
      await deleteRequests();
    }
  }
  fs.writeFileSync(path.join(repoRoot, '.test-results', 'bench.json'), JSON.stringify(rows, null, 2));
  log('results in .test-results/bench.json');
  if (sweepSize > 0) {
    const sweeps = [await sweepAt(populated)];
    log(`populating to ${sweepSize} pods for the cluster-health sweep`);
    await populate(populated, sweepSize);
    currentSize = sweepSize;
    await settle(sweepSize);
    sweeps.push(await sweepAt(sweepSize));
    fs.writeFileSync(path.join(repoRoot, '.test-results', 'bench-sweep.json'), JSON.stringify(sweeps, null, 2));
    log('results in .test-results/bench-sweep.json');
  }
}

// ---- cluster-health sweep: the engine on the thread that keeps the Lease -------------------------------

export interface SweepRow {
  size: number;
  runs: { engineMs: number; verdict: string; findings: number; truncated: boolean; leftOut: string[] }[];
  /** The operator's event-loop delay over the runs (prom-client's monitorEventLoopDelay, reset at each scrape). */
  lagMaxMs: number;
  lagP99Ms: number;
  /** The same, over as long a window with the operator idle. */
  idleLagMaxMs: number;
  /** Longest time between two renewals the leader wrote into its Lease (renewTime) during the runs. */
  maxRenewGapMs: number;
  renewals: number;
  holderKept: boolean;
  transitions: number;
  rssMb: number;
}

interface LeaseView {
  spec?: { holderIdentity?: string; renewTime?: string; leaseTransitions?: number };
}

const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/triage-system/leases/triage-operator';

/** Samples the Lease every 250 ms until stopped: the renewTimes the leader wrote, and whether anyone else took it. */
function watchLease(): { stop: () => Promise<{ renewTimes: number[]; holders: Set<string>; transitions: Set<number> }> } {
  const renewTimes: number[] = [];
  const holders = new Set<string>();
  const transitions = new Set<number>();
  const sampling = { on: true };
  const loop = (async () => {
    while (sampling.on) {
      const lease = await client.get<LeaseView>(LEASE_PATH).catch(() => undefined);
      const renewed = lease?.spec?.renewTime === undefined ? NaN : micros(lease.spec.renewTime) / 1000;
      if (!Number.isNaN(renewed) && renewTimes.at(-1) !== renewed) renewTimes.push(renewed);
      if (lease?.spec?.holderIdentity !== undefined) holders.add(lease.spec.holderIdentity);
      if (lease?.spec?.leaseTransitions !== undefined) transitions.add(lease.spec.leaseTransitions);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    stop: async () => {
      sampling.on = false;
      await loop;
      return { renewTimes, holders, transitions };
    },
  };
}

async function lagMs(operator: Operator): Promise<{ max: number; p99: number }> {
  // Each scrape reads and resets the operator's delay histogram: one scrape, so the window is since the previous one.
  const text = await (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
  const value = (name: string) => Number(/^\S+ (\S+)$/.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[1] ?? NaN) * 1000;
  return { max: value('nodejs_eventloop_lag_max_seconds'), p99: value('nodejs_eventloop_lag_p99_seconds') };
}

interface SweepStatus {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    verdict?: string;
    envelope?: { timing?: { durationMs?: number }; findings?: { code: string; message: string }[]; bounds?: { truncated?: boolean } };
  };
}

/** Runs cluster-health at least SWEEP_RUNS times and for SWEEP_WINDOW_MS, one after another, on a leader-elected operator, at the cluster's current size. */
async function sweepAt(size: number): Promise<SweepRow> {
  log(`sweep at ${size} pods: starting a leader-elected operator`);
  await client.create('/api/v1/namespaces', { metadata: { name: 'triage-system' } }).catch(() => undefined);
  const operator = await startOperator('cache', `sweep-${size}`, [
    '--leader-elect',
    '--leader-election-namespace=triage-system',
    '--trusted-namespaces=triage-system',
  ]);
  while ((await client.get<LeaseView>(LEASE_PATH).catch(() => undefined))?.spec?.holderIdentity !== 'bench-operator')
    await new Promise((r) => setTimeout(r, 200));
  const rssMb = (await operatorMetric(operator, 'process_resident_memory_bytes')) / 2 ** 20;
  await lagMs(operator);
  const lease = watchLease();
  const started = Date.now();
  const runs: SweepRow['runs'] = [];
  for (let i = 0; i < SWEEP_RUNS || Date.now() - started < SWEEP_WINDOW_MS; i++) {
    const name = `sweep-${size}-${i}`;
    await client.create('/apis/triage.dev/v1alpha1/namespaces/triage-system/triagerequests', {
      apiVersion: 'triage.dev/v1alpha1',
      kind: 'TriageRequest',
      metadata: { name },
      spec: { intent: 'cluster-health', bounds: { timeoutSeconds: 60 } },
    });
    for (;;) {
      const request = await client.get<SweepStatus>(`/apis/triage.dev/v1alpha1/namespaces/triage-system/triagerequests/${name}`);
      const envelope = request.status?.envelope;
      if (request.status?.observedGeneration === request.metadata.generation && envelope !== undefined) {
        runs.push({
          engineMs: envelope.timing?.durationMs ?? NaN,
          verdict: request.status.verdict ?? '',
          findings: envelope.findings?.length ?? 0,
          truncated: envelope.bounds?.truncated ?? false,
          leftOut: (envelope.findings ?? []).filter((f) => f.code === 'BreadthLimitReached').map((f) => f.message),
        });
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    log(`  run ${i + 1}: engine ${runs.at(-1)?.engineMs ?? NaN} ms`);
  }
  const busy = await lagMs(operator);
  const windowMs = Date.now() - started;
  const observed = await lease.stop();
  // The same window again with nothing to do: the lag an idle operator shows on this machine.
  await new Promise((r) => setTimeout(r, windowMs));
  const idle = await lagMs(operator);
  const gaps = observed.renewTimes.slice(1).map((t, i) => t - (observed.renewTimes[i] ?? t));
  await stopOperator(operator);
  await kc
    .makeApiClient(CoordinationV1Api)
    .deleteNamespacedLease({ namespace: 'triage-system', name: 'triage-operator' })
    .catch(() => undefined);
  await kc
    .makeApiClient(CustomObjectsApi)
    .deleteCollectionNamespacedCustomObject({ group: 'triage.dev', version: 'v1alpha1', namespace: 'triage-system', plural: 'triagerequests' });
  return {
    size,
    runs,
    lagMaxMs: busy.max,
    lagP99Ms: busy.p99,
    idleLagMaxMs: idle.max,
    maxRenewGapMs: Math.max(0, ...gaps),
    renewals: observed.renewTimes.length,
    holderKept: observed.holders.size === 1 && observed.holders.has('bench-operator'),
    transitions: observed.transitions.size,
    rssMb,
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
