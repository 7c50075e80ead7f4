/**
 * `make bench`: latency, throughput, API load, CPU and memory of the operator with informer caches,
 * against the listing baseline (--snapshot-source=list) in the same run, at sizes up to the upstream
 * limits (5,000 nodes, 150,000 pods). Server-side numbers come from the apiserver's audit log
 * (microsecond stage timestamps, the operator's own requests told apart by its ServiceAccount
 * identity). A size the machine cannot reach is recorded with the reason, not fatal. Progress on stderr.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
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
const clusterDir = args.get('cluster-dir') ?? '';
const sizes = (args.get('sizes') ?? '1000,10000,50000,150000').split(',').map(Number);
const burst = Number(args.get('burst') ?? '1000');
const steady = Number(args.get('steady') ?? '200');
const steadyRate = Number(args.get('rate') ?? '10');
/** The cluster-health sweep runs at every size reached from this one on (0 skips it). */
const sweepFrom = Number(args.get('sweep') ?? '10000');
/** The size at which the cache-mode operator also runs with --trim-caches=false (0 skips it). */
const trimAt = Number(args.get('trim-at') ?? '10000');
/** From this size on the cluster has largeNodes nodes (grown before populating it). */
const largeFrom = Number(args.get('large-from') ?? '50000');
const largeNodes = Number(args.get('large-nodes') ?? '5000');
const smallNodes = Number(args.get('small-nodes') ?? '20');
/** Population plus settling of one size must finish within this, or the size is reported as not reached. */
const populateBudgetMs = Number(args.get('populate-budget-minutes') ?? '90') * 60_000;
/** The whole run's budget: a size still growing when it runs out is reported as not reached, and the run writes what it measured. */
const runDeadline = Date.now() + Number(args.get('run-budget-minutes') ?? 'Infinity') * 60_000;
/** One phase (warm-up, steady, burst) must finish within this, or it is reported with what was triaged. */
const phaseBudgetMs = Number(args.get('phase-budget-minutes') ?? '15') * 60_000;
/** At largeFrom and above the baseline runs this fraction of the requests, so the run stays within time. */
const LIST_LARGE_FRACTION = 0.1;
const SWEEP_RUNS = 5;
/** Runs continue until this long has passed too: the leader renews every 2 s, so the window sees a dozen renewals. */
const SWEEP_WINDOW_MS = 30_000;
const WARMUP = 30;
const NAMESPACES = 50;
const OPERATOR_USER = 'system:serviceaccount:triage-system:triage-operator';
const RESULTS = path.join(repoRoot, '.test-results', 'bench.json');

const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const client = new KubeClient(kc);
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 300) ?? '';

// ---- CPU of processes ------------------------------------------------------------------------------

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU time of a process in ms (utime, stime: fields 14 and 15 of /proc/<pid>/stat), NaN when gone. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted after its closing parenthesis (field 3 is first).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function componentPid(name: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(clusterDir, 'pids', `${name}.pid`), 'utf8').trim());
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The first control-plane component that has died, or undefined: a dead etcd or apiserver ends the growth. */
function deadComponent(): string | undefined {
  return ['etcd', 'kube-apiserver', 'kube-scheduler', 'kwok'].find((c) => !alive(componentPid(c)));
}

// ---- population -----------------------------------------------------------------------------------

const ns = (i: number) => `bench-${String(i).padStart(2, '0')}`;

class BudgetExceeded extends Error {}

/** The population in flight, for a run stopped by a signal: where it got to. */
let populationProgress = '';

/** Creates everything, retrying transient failures; stops at the deadline with BudgetExceeded. */
async function createAll(bodies: { path: string; body: unknown }[], label: string, deadline: number): Promise<void> {
  const queue = new PQueue({ concurrency: 32 });
  let done = 0;
  let failure: string | undefined;
  const started = Date.now();
  for (const { path: p, body } of bodies) {
    if (failure !== undefined || Date.now() > deadline) break;
    // Bounded queue: past the deadline no more work is queued, and memory stays flat.
    if (queue.size > 256) await queue.onSizeLessThan(64);
    void queue.add(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.create(p, body);
          break;
        } catch (error: unknown) {
          if (String(error).includes('409')) break;
          // A busy apiserver answers 429/5xx or times out: retry a few times before calling the size unreachable.
          if (attempt >= 5) {
            failure ??= message(error);
            return;
          }
          await sleep(1000 * 2 ** attempt);
        }
      }
      done += 1;
      populationProgress = `${label}: ${done} of ${bodies.length} objects created (${(done / ((Date.now() - started) / 1000)).toFixed(0)} objects/s)`;
      if (done % 1000 === 0) log(populationProgress);
    });
  }
  await queue.onIdle();
  if (failure !== undefined) throw new Error(`creating objects failed: ${failure} (${done} of ${bodies.length} created)`);
  if (done < bodies.length) throw new BudgetExceeded(`population not finished within the budget: ${done} of ${bodies.length} objects created`);
}

/** Required node affinity on the node's name: the scheduler's PreFilter narrows the search to that node. */
function pinnedTo(node: string): unknown {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] },
    },
  };
}

/**
 * Pods (10% asking for more cpu than any node has), PVCs for 20% of pods (5% of those naming a missing class), Services, Ingresses.
 * Pods that fit are created bound to one of the `nodes` nodes (spec.nodeName, as a DaemonSet's are): the
 * scheduler's binding and its Scheduled Event were half the writes per pod, and a real cluster's Scheduled
 * Events expire within the hour (--event-ttl), not pile up one per pod. The pods that do not fit still go
 * through the scheduler, which writes their FailedScheduling. Most of those are pinned to one node, as a
 * DaemonSet's pods are (required node affinity on metadata.name): the scheduler re-tries every unschedulable
 * pod at least every 5 min and checks every node for one that fits nowhere, and at 5,000 nodes that loop
 * alone held a third of a core of this 2-core machine at 50,000 pods (a backlog of 1,600 pods it never
 * cleared). One pod in a hundred (i % 100 === 10) still fits nowhere, so the engine meets that case at scale.
 */
function populationBodies(from: number, to: number, nodes: number): { path: string; body: unknown }[] {
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
    const fits = i % 10 !== 0;
    // kwok-node-1..N: the names hack/cluster-up.sh and growNodes give.
    const node = `kwok-node-${1 + (i % nodes)}`;
    bodies.push({
      path: `/api/v1/namespaces/${namespace}/pods`,
      body: {
        metadata: { name, labels: { app: group } },
        spec: {
          ...(fits ? { nodeName: node } : {}),
          ...(fits || i % 100 === 10 ? {} : { affinity: pinnedTo(node) }),
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: fits ? '10m' : '1000' } } }],
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
  return bodies;
}

const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

interface NodeView {
  metadata: { name: string };
  spec?: { taints?: { key: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Adds kwok nodes up to `count` (kwok takes over any node with its annotation) and waits until all are Ready and untainted. */
async function growNodes(count: number, podsPerNode: number, deadline: number): Promise<void> {
  const existing = (await client.listAll<{ metadata: { name: string } }>('/api/v1/nodes?labelSelector=type%3Dkwok', 1000, PARTIAL_METADATA)).items.length;
  if (existing >= count) return;
  log(`growing the cluster from ${existing} to ${count} kwok nodes (pods=${podsPerNode} each)`);
  const zones = ['zone-a', 'zone-b', 'zone-c'];
  const capacity = { cpu: '64', memory: '256Gi', pods: String(podsPerNode), 'ephemeral-storage': '100Gi' };
  const bodies = Array.from({ length: count - existing }, (_, k) => {
    const name = `kwok-node-${existing + k + 1}`;
    return {
      path: '/api/v1/nodes',
      body: {
        metadata: {
          name,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: {
            type: 'kwok',
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'topology.kubernetes.io/zone': zones[(existing + k) % 3],
          },
        },
        status: { capacity, allocatable: capacity },
      },
    };
  });
  await createAll(bodies, 'nodes', deadline);
  const started = Date.now();
  for (;;) {
    const nodes = (await client.listAll<NodeView>('/api/v1/nodes?labelSelector=type%3Dkwok', 1000)).items;
    const ready = nodes.filter(
      (n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
        !(n.spec?.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/not-ready')),
    ).length;
    log(`nodes: ${ready} of ${count} Ready and schedulable (${Math.round((Date.now() - started) / 1000)} s)`);
    if (ready >= count) return;
    if (Date.now() > deadline) throw new BudgetExceeded(`nodes not Ready within the budget: ${ready} of ${count}`);
    const dead = deadComponent();
    if (dead !== undefined) throw new Error(`${dead} exited while nodes were added`);
    // Each check lists every node in full: spaced wider with more nodes.
    await sleep(Math.max(5_000, count * 3));
  }
}

/**
 * Waits until the control plane has finished with the new objects (the Running pod count is the same
 * on three checks): measuring while it still schedules and starts thousands of pods would measure its
 * backlog, not the operator. Checks are metadata-only lists, spaced wider at large sizes (each costs the apiserver a list).
 */
async function settle(size: number, deadline: number): Promise<number> {
  let last = -1;
  let stable = 0;
  const started = Date.now();
  const interval = Math.max(5_000, size / 10);
  while (stable < 2) {
    await sleep(interval);
    // remainingItemCount is not served with a field selector: count the pages.
    const running = (await client.listAll<unknown>('/api/v1/pods?fieldSelector=status.phase%3DRunning', 5000, PARTIAL_METADATA)).items.length;
    stable = running === last ? stable + 1 : 0;
    last = running;
    log(`settling: ${running} of ${size} pods Running (${Math.round((Date.now() - started) / 1000)} s)`);
    if (stable < 2 && Date.now() > deadline) throw new BudgetExceeded(`settling not finished within the budget: ${running} of ${size} pods Running`);
    const dead = deadComponent();
    if (dead !== undefined) throw new Error(`${dead} exited while the cluster settled`);
  }
  return last;
}

// ---- operator -----------------------------------------------------------------------------------

type Mode = 'cache' | 'cache-untrimmed' | 'list';

interface Operator {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly logFile: string;
  exited?: string;
}

class OperatorExited extends Error {}

/** Operators started and not yet exited: a signal stops them with the run. */
const liveOperators = new Set<ChildProcess>();

/** Starts the operator and waits for /readyz; fails with OperatorExited when the process ends first (an unknown flag, a crash). */
async function startOperator(mode: Mode, tag: string, extraArgs: readonly string[] = []): Promise<Operator> {
  const metricsPort = 19000 + Math.floor(Math.random() * 500);
  const logFile = path.join(repoRoot, '.test-results', `bench-operator-${tag}.log`);
  const out = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'dist/main.js'),
      `--kubeconfig=${operatorKubeconfig}`,
      `--snapshot-source=${mode === 'list' ? 'list' : 'cache'}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${metricsPort + 500}`,
      '--concurrency=16',
      // info: the "All caches synced" line carries the operator's own sync time; one line per triage besides.
      '--log-level=info',
      '--identity=bench-operator',
      '--trusted-namespaces=triage-system',
      ...(mode === 'cache-untrimmed' ? ['--trim-caches=false'] : []),
      ...extraArgs,
    ],
    { stdio: ['ignore', out, out], env: { ...process.env, KUBECONFIG: '' } },
  );
  liveOperators.add(child);
  child.once('exit', () => liveOperators.delete(child));
  fs.closeSync(out);
  const operator: Operator = { child, metricsPort, logFile };
  child.once('exit', (code, signal) => {
    operator.exited = `exited (${signal ?? `code ${code ?? '?'}`})`;
  });
  const deadline = Date.now() + phaseBudgetMs;
  for (;;) {
    if (operator.exited !== undefined) {
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' ').slice(0, 300);
      throw new OperatorExited(`the operator ${operator.exited} before /readyz: ${tail}`);
    }
    if (Date.now() > deadline) {
      await stopOperator(operator);
      throw new OperatorExited(`the operator was not ready within ${phaseBudgetMs / 60_000} min`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${metricsPort + 500}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return operator;
}

async function metricsText(operator: Operator): Promise<string> {
  return (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A per-kind gauge (informer_objects, informer_cache_bytes) as kind → value; empty when the operator has no such gauge. */
function perKind(text: string, name: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}\\{[^}]*kind="([^"]+)"[^}]*\\} (\\S+)$`).exec(line);
    if (match?.[1] !== undefined) values[match[1]] = Number(match[2]);
  }
  return values;
}

/** durationMs of the operator's "All caches synced" log line (JSON at info), if it wrote one. */
function cachesSyncedMs(operator: Operator): number | undefined {
  for (const line of fs.readFileSync(operator.logFile, 'utf8').split('\n')) {
    if (!line.includes('All caches synced')) continue;
    try {
      const entry = JSON.parse(line) as { durationMs?: unknown };
      if (typeof entry.durationMs === 'number') return entry.durationMs;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

async function stopOperator(operator: Operator): Promise<void> {
  if (operator.exited !== undefined) return;
  const exited = new Promise((r) => operator.child.once('exit', r));
  operator.child.kill('SIGTERM');
  await exited;
}

// ---- load -----------------------------------------------------------------------------------------

function requestSpec(i: number): { namespace: string; spec: { intent: string; target?: unknown } } {
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

async function createRequests(prefix: string, count: number, perSecond: number | undefined): Promise<string[]> {
  const names: string[] = [];
  const queue = new PQueue({ concurrency: 32 });
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    if (perSecond !== undefined) {
      const due = start + (i * 1000) / perSecond;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const { namespace, spec } = requestSpec(i);
    const name = `${prefix}-${i}`;
    names.push(`${namespace}/${name}`);
    intentByRequest.set(`${namespace}/${name}`, spec.intent);
    void queue.add(() =>
      client
        .create(`/apis/triage.dev/v1alpha1/namespaces/${namespace}/triagerequests`, {
          apiVersion: 'triage.dev/v1alpha1',
          kind: 'TriageRequest',
          metadata: { name },
          spec,
        })
        .catch((error: unknown) => log(`  create ${namespace}/${name} failed: ${message(error)}`)),
    );
  }
  await queue.onIdle();
  return names;
}

/**
 * Waits until the operator has written a status for every request, watching the audit log (not the
 * apiserver: polling lists of large statuses would load the apiserver being measured). Returns the
 * audit events seen; stops at the phase budget or when the operator exits.
 */
async function waitTriaged(operator: Operator, names: readonly string[], audit: AuditReader): Promise<AuditEvent[]> {
  const pending = new Set(names);
  const events: AuditEvent[] = [];
  const deadline = Date.now() + phaseBudgetMs;
  let lastLog = Date.now();
  while (pending.size > 0) {
    for (const e of audit.next()) {
      events.push(e);
      if (e.user.username === OPERATOR_USER && e.verb === 'patch' && e.objectRef?.subresource === 'status') {
        pending.delete(`${e.objectRef.namespace ?? ''}/${e.objectRef.name ?? ''}`);
      }
    }
    if (pending.size === 0) break;
    if (operator.exited !== undefined) throw new OperatorExited(`the operator ${operator.exited} with ${pending.size} requests untriaged`);
    if (Date.now() > deadline) {
      log(`  phase budget spent: ${pending.size} of ${names.length} requests untriaged; measuring what was triaged`);
      break;
    }
    if (Date.now() - lastLog > 10_000) {
      log(`  ${names.length - pending.size} of ${names.length} triaged`);
      lastLog = Date.now();
    }
    await sleep(250);
  }
  return events;
}

/** The engine's own time (envelope timing.durationMs) of each named request, read once after the phase. */
async function engineTimes(names: readonly string[]): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  const wanted = new Set(names);
  const namespaces = new Set(names.map((n) => n.split('/')[0] ?? ''));
  for (const namespace of namespaces) {
    const list = await client.listAll<{ metadata: { name: string; namespace: string }; status?: { envelope?: { timing?: { durationMs?: number } } } }>(
      `/apis/triage.dev/v1alpha1/namespaces/${namespace}/triagerequests`,
      500,
    );
    for (const item of list.items) {
      const key = `${item.metadata.namespace}/${item.metadata.name}`;
      const engineMs = item.status?.envelope?.timing?.durationMs;
      if (wanted.has(key) && engineMs !== undefined) times.set(key, engineMs);
    }
  }
  return times;
}

async function deleteRequests(): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  await Promise.all(
    [...Array.from({ length: NAMESPACES }, (_, i) => ns(i)), 'triage-system'].map((namespace) =>
      custom.deleteCollectionNamespacedCustomObject({ group: 'triage.dev', version: 'v1alpha1', namespace, plural: 'triagerequests' }).catch(() => undefined),
    ),
  );
}

interface HealthStatus {
  metadata: { generation: number };
  status?: { observedGeneration?: number; verdict?: string; envelope?: { timing?: { durationMs?: number } } };
}

/** Engine time of one request (namespace-health, cluster-health) on an idle operator. */
async function oneRequest(operator: Operator, namespace: string, name: string, spec: unknown): Promise<{ engineMs: number; verdict: string } | undefined> {
  const base = `/apis/triage.dev/v1alpha1/namespaces/${namespace}/triagerequests`;
  await client.create(base, { apiVersion: 'triage.dev/v1alpha1', kind: 'TriageRequest', metadata: { name }, spec });
  const deadline = Date.now() + phaseBudgetMs;
  while (Date.now() < deadline && operator.exited === undefined) {
    const request = await client.get<HealthStatus>(`${base}/${name}`);
    if (request.status?.observedGeneration === request.metadata.generation && request.status.envelope !== undefined) {
      return { engineMs: request.status.envelope.timing?.durationMs ?? NaN, verdict: request.status.verdict ?? '' };
    }
    await sleep(200);
  }
  return undefined;
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

/** Reads the audit log incrementally from a byte offset, whole lines only (the apiserver may be mid-line). */
class AuditReader {
  private offset: number;
  constructor() {
    this.offset = fs.existsSync(auditLog) ? fs.statSync(auditLog).size : 0;
  }
  next(): AuditEvent[] {
    const size = fs.statSync(auditLog).size;
    if (size <= this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    const fd = fs.openSync(auditLog, 'r');
    try {
      fs.readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      fs.closeSync(fd);
    }
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return [];
    this.offset += end + 1;
    return buffer
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.stage === 'ResponseComplete');
  }
}

const micros = (t: string) => {
  const match = /\.(\d+)Z$/.exec(t);
  return Date.parse(t) * 1000 + (match === null ? 0 : Number(match[1]?.padEnd(6, '0').slice(3, 6)));
};

export interface Phase {
  requests: number;
  latencies: number[];
  spanMs: number;
  triages: number;
  byVerb: Record<string, number>;
  /** Create → status latency and the engine's own time, per intent, each sorted. */
  byIntent: Record<string, { latencies: number[]; engineMs: number[] }>;
  /** Event-loop delay of the operator over the phase (monitorEventLoopDelay, reset at each scrape). */
  lagP99Ms?: number;
  lagMaxMs?: number;
}

/** Garbage-collection pauses of the operator, by kind (prom-client's nodejs_gc_duration_seconds). */
export type GcStats = Record<string, { pauses: number; totalMs: number; over10ms: number; over100ms: number }>;

function gcStats(text: string): GcStats {
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

function analyse(events: AuditEvent[], names: readonly string[], engineMs: ReadonlyMap<string, number>): Phase {
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
    const engine = engineMs.get(key);
    if (engine !== undefined) intent.engineMs.push(engine);
  }
  for (const intent of Object.values(byIntent)) {
    intent.latencies.sort((a, b) => a - b);
    intent.engineMs.sort((a, b) => a - b);
  }
  const first = Math.min(...created.values());
  const last = Math.max(...written.values());
  return { requests: names.length, latencies: latencies.sort((a, b) => a - b), spanMs: (last - first) / 1000, triages: written.size, byVerb, byIntent };
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

async function lagMs(operator: Operator): Promise<{ max: number; p99: number }> {
  // Each scrape reads and resets the operator's delay histogram: one scrape, so the window is since the previous one.
  const text = await metricsText(operator);
  return { max: metricValue(text, 'nodejs_eventloop_lag_max_seconds') * 1000, p99: metricValue(text, 'nodejs_eventloop_lag_p99_seconds') * 1000 };
}

// ---- run ------------------------------------------------------------------------------------------

/** CPU time spent during the burst, by process, and the triages it bought. */
export interface BurstCpu {
  apiserverMs: number;
  etcdMs: number;
  operatorMs: number;
  /** Everything else on the machine that the benchmark started: scheduler, controller-manager, kwok. */
  otherControlPlaneMs: number;
  seconds: number;
  triages: number;
}

export interface Row {
  size: number;
  nodes: number;
  mode: Mode;
  /** Why this operator was not measured (it exited before /readyz, a phase failed). */
  error?: string;
  /** Process start to /readyz 200. */
  syncMs?: number;
  /** The operator's own "All caches synced" durationMs. */
  cachesSyncedMs?: number;
  rssMb?: number;
  heapMb?: number;
  /** informer_objects and informer_cache_bytes by kind, right after the caches synced. */
  kindObjects?: Record<string, number>;
  kindBytes?: Record<string, number>;
  rate?: number;
  /** The first requests after the operator started, before the steady phase. */
  warmup?: Phase;
  steady?: Phase;
  /** The operator's GC pauses during the steady phase. */
  steadyGc?: GcStats;
  burst?: Phase;
  burstCpu?: BurstCpu;
  namespaceHealth?: { engineMs: number; verdict: string };
  clusterHealth?: { engineMs: number; verdict: string };
}

export interface SizeRecord {
  size: number;
  nodes: number;
  reached: boolean;
  reason?: string;
  objects: number;
  populateSeconds: number;
  settleSeconds: number;
  /** Time to add nodes and see them Ready and untainted (0 when none were added). */
  nodesSeconds?: number;
  running: number;
}

export interface Results {
  config: {
    sizes: number[];
    burst: number;
    steady: number;
    rate: number;
    trimAt: number;
    largeFrom: number;
    largeNodes: number;
    smallNodes: number;
    listLargeFraction: number;
    populateBudgetMinutes: number;
    nodeLeaseSeconds: number;
  };
  sizes: SizeRecord[];
  rows: Row[];
  sweeps: SweepRow[];
  /** RSS and heap of a bare Node process and of one that only loaded the Kubernetes client: the floor under every operator row. */
  processFloor?: { bare: ProcessMemory; kubernetesClient: ProcessMemory };
  /** Set when the benchmark itself stopped early: what is here is what was measured before. */
  fatal?: string;
}

const results: Results = {
  config: {
    sizes,
    burst,
    steady,
    rate: steadyRate,
    trimAt,
    largeFrom,
    largeNodes,
    smallNodes,
    listLargeFraction: LIST_LARGE_FRACTION,
    populateBudgetMinutes: populateBudgetMs / 60_000,
    nodeLeaseSeconds: Number(args.get('node-lease-seconds') ?? '40'),
  },
  sizes: [],
  rows: [],
  sweeps: [],
};
export interface ProcessMemory {
  rssMb: number;
  heapMb: number;
}

/** Memory of a fresh Node process after running `script` and idling half a second (lazy compilation settled). */
function processMemory(script: string): ProcessMemory {
  const report = `setTimeout(() => { const m = process.memoryUsage(); console.log(JSON.stringify({ rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 })); }, 500);`;
  const out = execFileSync(process.execPath, ['-e', `${script}\n${report}`], { cwd: repoRoot, encoding: 'utf8' });
  return JSON.parse(out) as ProcessMemory;
}

const save = () => {
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2));
};

async function measure(size: number, nodes: number, mode: Mode): Promise<Row> {
  const row: Row = { size, nodes, mode, rate: steadyRate };
  const fewer = mode === 'list' && size >= largeFrom;
  const steadyCount = fewer ? Math.max(20, Math.round(steady * LIST_LARGE_FRACTION)) : steady;
  const burstCount = fewer ? Math.max(20, Math.round(burst * LIST_LARGE_FRACTION)) : burst;
  log(`size ${size}, mode ${mode}: starting the operator`);
  const startedAt = Date.now();
  let operator: Operator;
  try {
    operator = await startOperator(mode, `${size}-${mode}`);
  } catch (error: unknown) {
    if (!(error instanceof OperatorExited)) throw error;
    log(`  ${error.message}`);
    return { ...row, error: error.message };
  }
  try {
    row.syncMs = Date.now() - startedAt;
    row.cachesSyncedMs = cachesSyncedMs(operator);
    const text = await metricsText(operator);
    row.rssMb = metricValue(text, 'process_resident_memory_bytes') / 2 ** 20;
    row.heapMb = metricValue(text, 'nodejs_heap_size_used_bytes') / 2 ** 20;
    row.kindObjects = perKind(text, 'informer_objects');
    row.kindBytes = perKind(text, 'informer_cache_bytes');
    log(
      `  ready after ${row.syncMs} ms (caches synced in ${row.cachesSyncedMs ?? '?'} ms), RSS ${row.rssMb.toFixed(0)} MiB, heap ${row.heapMb.toFixed(0)} MiB`,
    );

    // The first triage of each intent after start runs cold (JIT, per-pod request parsing): measured apart, as warm-up.
    let audit = new AuditReader();
    log(`  warm-up: ${WARMUP} requests at ${steadyRate}/s`);
    const warmupNames = await createRequests(`w${size}${mode}`, WARMUP, steadyRate);
    row.warmup = analyse(await waitTriaged(operator, warmupNames, audit), warmupNames, await engineTimes(warmupNames));

    audit = new AuditReader();
    log(`  steady: ${steadyCount} requests at ${steadyRate}/s`);
    const gcBefore = gcStats(await metricsText(operator));
    await lagMs(operator);
    const steadyNames = await createRequests(`s${size}${mode}`, steadyCount, steadyRate);
    const steadyEvents = await waitTriaged(operator, steadyNames, audit);
    const steadyLag = await lagMs(operator);
    row.steadyGc = gcDelta(gcBefore, gcStats(await metricsText(operator)));
    row.steady = { ...analyse(steadyEvents, steadyNames, await engineTimes(steadyNames)), lagP99Ms: steadyLag.p99, lagMaxMs: steadyLag.max };
    log(`  steady done: p50 ${pct(row.steady.latencies, 0.5).toFixed(1)} ms, p99 ${pct(row.steady.latencies, 0.99).toFixed(1)} ms`);

    audit = new AuditReader();
    log(`  burst: ${burstCount} requests at once`);
    await lagMs(operator);
    const pids = { apiserver: componentPid('kube-apiserver'), etcd: componentPid('etcd'), operator: operator.child.pid };
    const others = ['kube-controller-manager', 'kube-scheduler', 'kwok'].map(componentPid);
    const cpuBefore = { apiserver: cpuMs(pids.apiserver), etcd: cpuMs(pids.etcd), operator: cpuMs(pids.operator), others: others.map(cpuMs) };
    const burstStarted = Date.now();
    const burstNames = await createRequests(`b${size}${mode}`, burstCount, undefined);
    const burstEvents = await waitTriaged(operator, burstNames, audit);
    // CPU read before anything else touches the apiserver: the engine-time list below is the benchmark's, not the triages'.
    const cpuAfter = { apiserver: cpuMs(pids.apiserver), etcd: cpuMs(pids.etcd), operator: cpuMs(pids.operator), others: others.map(cpuMs) };
    const burstSeconds = (Date.now() - burstStarted) / 1000;
    const burstLag = await lagMs(operator);
    row.burst = { ...analyse(burstEvents, burstNames, await engineTimes(burstNames)), lagP99Ms: burstLag.p99, lagMaxMs: burstLag.max };
    row.burstCpu = {
      apiserverMs: cpuAfter.apiserver - cpuBefore.apiserver,
      etcdMs: cpuAfter.etcd - cpuBefore.etcd,
      operatorMs: cpuAfter.operator - cpuBefore.operator,
      otherControlPlaneMs: cpuAfter.others.reduce((sum, v, i) => sum + v - (cpuBefore.others[i] ?? 0), 0),
      seconds: burstSeconds,
      triages: row.burst.triages,
    };
    const perTriage = (v: number) => (v / Math.max(1, row.burst?.triages ?? 1)).toFixed(1);
    log(
      `  burst done: p50 ${pct(row.burst.latencies, 0.5).toFixed(1)} ms, p99 ${pct(row.burst.latencies, 0.99).toFixed(1)} ms, ${(row.burst.triages / (row.burst.spanMs / 1000)).toFixed(0)} triages/s; CPU ms per triage: apiserver ${perTriage(row.burstCpu.apiserverMs)}, etcd ${perTriage(row.burstCpu.etcdMs)}, operator ${perTriage(row.burstCpu.operatorMs)}`,
    );

    if (mode === 'cache') {
      row.namespaceHealth = await oneRequest(operator, ns(0), `nh-${size}`, { intent: 'namespace-health' });
      row.clusterHealth = await oneRequest(operator, 'triage-system', `ch-${size}`, { intent: 'cluster-health', bounds: { timeoutSeconds: 60 } });
      log(`  namespace-health engine ${row.namespaceHealth?.engineMs ?? '?'} ms, cluster-health engine ${row.clusterHealth?.engineMs ?? '?'} ms`);
    }
  } catch (error: unknown) {
    if (!(error instanceof OperatorExited)) throw error;
    log(`  ${error.message}`);
    row.error = error.message;
  } finally {
    await stopOperator(operator);
    await deleteRequests();
  }
  return row;
}

/** The size being grown to, until reach() returns it: a signal records it as not reached, with how far it got. */
let growing: SizeRecord | undefined;

/** Grows the cluster to `size` pods (and the node count it needs); returns the record, reached or not. */
async function reach(size: number, from: number, nodes: number): Promise<SizeRecord> {
  const record: SizeRecord = { size, nodes, reached: false, objects: 0, populateSeconds: 0, settleSeconds: 0, running: 0 };
  growing = record;
  populationProgress = '';
  try {
    // Growing the nodes gets a budget of its own: the node lifecycle controller lifts the not-ready taints a few a second.
    const nodesStarted = Date.now();
    if (nodes > smallNodes)
      await growNodes(nodes, Math.max(110, Math.ceil((Math.max(...sizes) * 0.9 * 1.5) / nodes)), Math.min(runDeadline, nodesStarted + populateBudgetMs));
    record.nodesSeconds = (Date.now() - nodesStarted) / 1000;
    const deadline = Math.min(runDeadline, Date.now() + populateBudgetMs);
    const bodies = populationBodies(from, size, nodes);
    record.objects = bodies.length;
    log(`populating to ${size} pods: ${bodies.length} objects`);
    const populateStarted = Date.now();
    await createAll(bodies, `populate ${from}..${size}`, deadline);
    record.populateSeconds = (Date.now() - populateStarted) / 1000;
    log(`populated in ${record.populateSeconds.toFixed(0)} s (${(bodies.length / record.populateSeconds).toFixed(0)} objects/s); settling`);
    const settleStarted = Date.now();
    record.running = await settle(size, deadline);
    record.settleSeconds = (Date.now() - settleStarted) / 1000;
    record.reached = true;
  } catch (error: unknown) {
    const dead = deadComponent();
    record.reason = dead === undefined ? message(error) : `${dead} exited (${message(error)})`;
    log(`size ${size} not reached: ${record.reason}`);
  }
  return record;
}

async function main(): Promise<void> {
  results.processFloor = { bare: processMemory(''), kubernetesClient: processMemory("require('@kubernetes/client-node');") };
  for (let i = 0; i < NAMESPACES; i++) await client.create('/api/v1/namespaces', { metadata: { name: ns(i) } }).catch(() => undefined);
  await client.create('/api/v1/namespaces', { metadata: { name: 'triage-system' } }).catch(() => undefined);
  await client
    .create('/apis/networking.k8s.io/v1/ingressclasses', { metadata: { name: 'bench' }, spec: { controller: 'example.com/none' } })
    .catch(() => undefined);
  let populated = 0;
  for (const size of sizes) {
    const nodes = size >= largeFrom ? largeNodes : smallNodes;
    const record = await reach(size, populated, nodes);
    growing = undefined;
    results.sizes.push(record);
    save();
    // A size not reached ends the growth: the larger ones cannot be reached either.
    if (!record.reached) break;
    populated = size;
    currentSize = size;
    const modes: Mode[] = size === trimAt ? ['cache', 'cache-untrimmed', 'list'] : ['cache', 'list'];
    for (const mode of modes) {
      results.rows.push(await measure(size, nodes, mode));
      save();
    }
    if (sweepFrom > 0 && size >= sweepFrom) {
      results.sweeps.push(await sweepAt(size));
      save();
    }
  }
  log(`results in ${RESULTS}`);
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
      await sleep(250);
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
  const operator = await startOperator('cache', `sweep-${size}`, ['--leader-elect', '--leader-election-namespace=triage-system']);
  while ((await client.get<LeaseView>(LEASE_PATH).catch(() => undefined))?.spec?.holderIdentity !== 'bench-operator') await sleep(200);
  const rssMb = metricValue(await metricsText(operator), 'process_resident_memory_bytes') / 2 ** 20;
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
      if (operator.exited !== undefined) throw new Error(`the sweep's operator ${operator.exited}`);
      await sleep(100);
    }
    log(`  run ${i + 1}: engine ${runs.at(-1)?.engineMs ?? NaN} ms`);
  }
  const busy = await lagMs(operator);
  const windowMs = Date.now() - started;
  const observed = await lease.stop();
  // The same window again with nothing to do: the lag an idle operator shows on this machine.
  await sleep(windowMs);
  const idle = await lagMs(operator);
  const gaps = observed.renewTimes.slice(1).map((t, i) => t - (observed.renewTimes[i] ?? t));
  await stopOperator(operator);
  await kc
    .makeApiClient(CoordinationV1Api)
    .deleteNamespacedLease({ namespace: 'triage-system', name: 'triage-operator' })
    .catch(() => undefined);
  await deleteRequests();
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

// Stopped from outside (a session ending, Ctrl-C): keep what was measured, say how far the growth got, and
// leave no operator behind; hack/bench.sh then writes the doc from it.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (growing !== undefined) {
      growing.reason = `the run was stopped (${signal}) while growing to this size${populationProgress === '' ? '' : `: ${populationProgress}`}`;
      results.sizes.push(growing);
    }
    results.fatal = `stopped by ${signal}`;
    save();
    for (const child of liveOperators) child.kill('SIGTERM');
    process.exit(3);
  });
}

main().catch((error: unknown) => {
  // What was measured stays: the report is written from it, with the reason the run stopped.
  results.fatal = message(error);
  save();
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
