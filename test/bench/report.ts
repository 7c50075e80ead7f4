/** Writes docs/benchmarks.md and docs/benchmarks-latency.svg from .test-results/bench.json. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// Types only: nothing of bench.ts runs here.
import type { Phase, Results, Row, SweepRow } from './bench';

type SweepRun = SweepRow['runs'][number];
/** A row whose operator started and ran both phases. */
type Measured = Row & { steady: Phase; burst: Phase; syncMs: number; rssMb: number; heapMb: number };

const repoRoot = path.resolve(__dirname, '../../..');
const results = JSON.parse(fs.readFileSync(path.join(repoRoot, '.test-results', 'bench.json'), 'utf8')) as Results;
const { config, sweeps } = results;
const measured = (r: Row): r is Measured => r.error === undefined && r.steady !== undefined && r.burst !== undefined && r.syncMs !== undefined;
const rows = results.rows.filter(measured);
const command = process.argv[2] ?? '';
const runSeconds = Number(process.argv[3] ?? NaN);
const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const ms = (v: number) => (!Number.isFinite(v) ? 'n/a' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const perTriage = (phase: Phase, verb: string) => ((phase.byVerb[verb] ?? 0) / Math.max(1, phase.triages)).toFixed(2);
const rate = (phase: Phase) => phase.triages / (phase.spanMs / 1000);
/** An engine run this long explains a steady p99 by itself: at 10/s the requests created while it runs queue behind it. */
const ENGINE_EXPLAINS_TAIL_MS = 100;
const mib = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? 'n/a' : (bytes / 2 ** 20).toFixed(1));
const MB = 1e6 / 2 ** 20;
const modeName: Record<Row['mode'], string> = { cache: 'informer cache', 'cache-untrimmed': 'informer cache, untrimmed', list: 'LIST per triage' };
const find = (size: number, mode: Row['mode']) => rows.find((r) => r.size === size && r.mode === mode);
const sizesMeasured = [...new Set(rows.map((r) => r.size))];
const cpuPer = (r: Row, key: 'apiserverMs' | 'etcdMs' | 'operatorMs' | 'otherControlPlaneMs') =>
  r.burstCpu === undefined ? NaN : r.burstCpu[key] / Math.max(1, r.burstCpu.triages);
const cpuTotal = (r: Row) => cpuPer(r, 'apiserverMs') + cpuPer(r, 'etcdMs') + cpuPer(r, 'operatorMs') + cpuPer(r, 'otherControlPlaneMs');
const cores = os.cpus().length;

function svg(): string {
  const sizes = [...new Set(rows.map((r) => r.size))];
  const series = (['cache', 'list'] as const).flatMap((mode) =>
    (['p50', 'p99'] as const).map((q) => ({
      mode,
      q,
      points: sizes.map((size) => {
        const row = rows.find((r) => r.size === size && r.mode === mode);
        return row === undefined ? NaN : pct(row.steady.latencies, q === 'p50' ? 0.5 : 0.99);
      }),
    })),
  );
  const max = Math.max(...series.flatMap((s) => s.points).filter((v) => Number.isFinite(v)), 1);
  const w = 640,
    h = 360,
    left = 70,
    bottom = 50,
    top = 30,
    right = 160;
  const x = (i: number) => left + ((w - left - right) * i) / Math.max(1, sizes.length - 1);
  const logMax = Math.log10(max * 2);
  const y = (v: number) => top + (h - top - bottom) * (1 - Math.log10(Math.max(v, 0.1) * 10) / (logMax + 1));
  const colors: Record<string, string> = { 'cache-p50': '#1b7f3b', 'cache-p99': '#6cc08b', 'list-p50': '#b3261e', 'list-p99': '#e8928c' };
  const lines = series.map((s) => {
    const pts = s.points.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return (
      `<polyline fill="none" stroke="${colors[`${s.mode}-${s.q}`] ?? '#000'}" stroke-width="2" points="${pts}"/>` +
      s.points.map((v, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${colors[`${s.mode}-${s.q}`] ?? '#000'}"/>`).join('')
    );
  });
  const ticks = [0.1, 1, 10, 100, 1000, 10000]
    .filter((t) => t <= max * 2)
    .map(
      (t) =>
        `<line x1="${left}" x2="${w - right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${left - 8}" y="${y(t) + 4}" text-anchor="end" font-size="11">${t}</text>`,
    );
  const xLabels = sizes.map((s, i) => `<text x="${x(i)}" y="${h - bottom + 18}" text-anchor="middle" font-size="11">${s} pods</text>`);
  const legend = Object.entries(colors).map(
    ([k, c], i) =>
      `<rect x="${w - right + 15}" y="${top + i * 20}" width="12" height="12" fill="${c}"/><text x="${w - right + 32}" y="${top + i * 20 + 10}" font-size="11">${k.replace('-', ' ')} (steady)</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/><text x="${left}" y="18" font-size="13">create → status latency, ms (log scale), at the steady rate</text>${ticks.join('')}${xLabels.join('')}${lines.join('')}${legend.join('')}</svg>\n`;
}

const version = (bin: string) => {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
  } catch {
    return '?';
  }
};
const binDir = execFileSync(path.join(repoRoot, 'hack/build-controlplane.sh'), { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';

function sizesTable(): string {
  const lines = [
    '| pods | nodes | nodes added in s | reached | objects created | population s | objects/s | settling s | pods Running | why not reached |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...results.sizes.map(
      (s) =>
        `| ${s.size} | ${s.nodes} | ${s.nodesSeconds === undefined || s.nodesSeconds < 1 ? '' : s.nodesSeconds.toFixed(0)} | ${s.reached ? 'yes' : '**no**'} | ${s.objects} | ${s.populateSeconds.toFixed(0)} | ${s.populateSeconds > 0 ? (s.objects / s.populateSeconds).toFixed(0) : 'n/a'} | ${s.settleSeconds.toFixed(0)} | ${s.running} | ${s.reason ?? ''} |`,
    ),
  ];
  const reached = results.sizes.filter((s) => s.reached).at(-1);
  const missing = config.sizes.filter((size) => !results.sizes.some((s) => s.size === size));
  const notes: string[] = [];
  const failed = results.sizes.find((s) => !s.reached);
  if (failed !== undefined)
    notes.push(`${failed.size} pods were not reached on this machine (${failed.reason ?? '?'}); the largest size reached is ${reached?.size ?? 'none'}.`);
  if (missing.length > 0) notes.push(`Not attempted after that: ${missing.join(', ')} pods.`);
  if (results.fatal !== undefined) notes.push(`The benchmark stopped early: ${results.fatal}. The tables hold what was measured before.`);
  return [...lines, '', ...notes].join('\n');
}

function mainTable(): string {
  return [
    '| pods | mode | requests (steady / burst) | p50 ms (steady) | p95 | p99 | p50 ms (burst) | p95 | p99 | triages/s (burst) | LIST / triage | GET / triage | PATCH / triage | POST / triage | RSS MiB | heap MiB | ready after ms |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows
      .filter((r) => r.mode !== 'cache-untrimmed')
      .map(
        (r) =>
          `| ${r.size} | ${modeName[r.mode]} | ${r.steady.triages}/${r.steady.requests} / ${r.burst.triages}/${r.burst.requests} | ${ms(pct(r.steady.latencies, 0.5))} | ${ms(pct(r.steady.latencies, 0.95))} | ${ms(pct(r.steady.latencies, 0.99))} | ${ms(pct(r.burst.latencies, 0.5))} | ${ms(pct(r.burst.latencies, 0.95))} | ${ms(pct(r.burst.latencies, 0.99))} | ${rate(r.burst).toFixed(0)} | ${perTriage(r.burst, 'LIST')} | ${perTriage(r.burst, 'GET')} | ${perTriage(r.burst, 'PATCH')} | ${perTriage(r.burst, 'CREATE')} | ${r.rssMb.toFixed(0)} | ${r.heapMb.toFixed(0)} | ${r.syncMs} |`,
      ),
  ].join('\n');
}

function cacheTable(): string {
  return [
    '| pods | nodes | ready after ms | caches synced ms (log) | RSS MiB | heap MiB | cached objects | cache MiB (estimate) | event-loop delay p99 / max ms (steady) | (burst) | namespace-health engine ms | cluster-health engine ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows
      .filter((r) => r.mode === 'cache')
      .map((r) => {
        const objects = Object.values(r.kindObjects ?? {}).reduce((a, b) => a + b, 0);
        const bytes = Object.values(r.kindBytes ?? {});
        return `| ${r.size} | ${r.nodes} | ${r.syncMs} | ${r.cachesSyncedMs ?? 'n/a'} | ${r.rssMb.toFixed(0)} | ${r.heapMb.toFixed(0)} | ${objects} | ${bytes.length === 0 ? 'n/a' : mib(bytes.reduce((a, b) => a + b, 0))} | ${ms(r.steady.lagP99Ms ?? NaN)} / ${ms(r.steady.lagMaxMs ?? NaN)} | ${ms(r.burst.lagP99Ms ?? NaN)} / ${ms(r.burst.lagMaxMs ?? NaN)} | ${ms(r.namespaceHealth?.engineMs ?? NaN)} | ${ms(r.clusterHealth?.engineMs ?? NaN)} |`;
      }),
  ].join('\n');
}

/** Objects and estimated bytes per kind (informer_objects, informer_cache_bytes), one column pair per size. */
function kindTable(): string {
  const cache = rows.filter((r) => r.mode === 'cache');
  const kinds = [...new Set(cache.flatMap((r) => Object.keys(r.kindObjects ?? {})))].sort();
  if (kinds.length === 0) return 'The operator reported no `informer_objects`.';
  const bytesOf = (r: Row, kind: string) => (r.kindBytes === undefined || Object.keys(r.kindBytes).length === 0 ? undefined : r.kindBytes[kind]);
  return [
    `| kind | ${cache.map((r) => `objects at ${r.size} | MiB at ${r.size}`).join(' | ')} |`,
    `| --- | ${cache.map(() => '---: | ---:').join(' | ')} |`,
    ...kinds.map((kind) => `| ${kind} | ${cache.map((r) => `${r.kindObjects?.[kind] ?? 0} | ${mib(bytesOf(r, kind))}`).join(' | ')} |`),
  ].join('\n');
}

function trimTable(): string {
  const trimmed = results.rows.find((r) => r.size === config.trimAt && r.mode === 'cache');
  const whole = results.rows.find((r) => r.size === config.trimAt && r.mode === 'cache-untrimmed');
  if (config.trimAt === 0) return 'Not run (BENCH_TRIM_AT=0).';
  if (trimmed === undefined || whole === undefined) return `Not run: ${config.trimAt} pods was not reached.`;
  if (whole.error !== undefined) return `The operator with \`--trim-caches=false\` was not measured: ${whole.error}`;
  const col = (r: Row) => {
    const bytes = Object.values(r.kindBytes ?? {});
    return [
      `${r.syncMs ?? 'n/a'}`,
      `${r.cachesSyncedMs ?? 'n/a'}`,
      ms(r.rssMb ?? NaN),
      ms(r.heapMb ?? NaN),
      bytes.length === 0 ? 'n/a' : mib(bytes.reduce((a, b) => a + b, 0)),
      ms(pct(r.steady?.latencies ?? [], 0.5)),
      ms(pct(r.steady?.latencies ?? [], 0.99)),
      r.burst === undefined ? 'n/a' : rate(r.burst).toFixed(0),
    ];
  };
  const labels = [
    'ready after ms',
    'caches synced ms (log)',
    'RSS MiB',
    'heap MiB',
    'cache MiB (estimate)',
    'steady p50 ms',
    'steady p99 ms',
    'burst triages/s',
  ];
  const [a, b] = [col(trimmed), col(whole)];
  const kinds = [...new Set([...Object.keys(trimmed.kindBytes ?? {}), ...Object.keys(whole.kindBytes ?? {})])].sort();
  return [
    `| at ${config.trimAt} pods | trimmed (default) | whole objects (\`--trim-caches=false\`) |`,
    '| --- | ---: | ---: |',
    ...labels.map((label, i) => `| ${label} | ${a[i] ?? ''} | ${b[i] ?? ''} |`),
    ...kinds.map((kind) => `| ${kind} MiB | ${mib(trimmed.kindBytes?.[kind])} | ${mib(whole.kindBytes?.[kind])} |`),
  ].join('\n');
}

function cpuTable(): string {
  return [
    `| pods | mode | burst triages | burst s | apiserver CPU ms / triage | etcd CPU ms / triage | operator CPU ms / triage | scheduler + controller-manager + kwok ms / triage | sum | triages/s ${cores} cores allow | triages/s measured |`,
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows
      .filter((r) => r.burstCpu !== undefined)
      .map(
        (r) =>
          `| ${r.size} | ${modeName[r.mode]} | ${r.burstCpu?.triages ?? 0} | ${(r.burstCpu?.seconds ?? NaN).toFixed(1)} | ${cpuPer(r, 'apiserverMs').toFixed(1)} | ${cpuPer(r, 'etcdMs').toFixed(1)} | ${cpuPer(r, 'operatorMs').toFixed(1)} | ${cpuPer(r, 'otherControlPlaneMs').toFixed(1)} | ${cpuTotal(r).toFixed(1)} | ${((cores * 1000) / cpuTotal(r)).toFixed(0)} | ${rate(r.burst).toFixed(0)} |`,
      ),
  ].join('\n');
}

const ratios = sizesMeasured.map((size) => {
  const cache = find(size, 'cache');
  const list = find(size, 'list');
  if (cache === undefined || list === undefined) return '';
  const total = (phase: Phase) => Object.values(phase.byVerb).reduce((a, b) => a + b, 0) / Math.max(1, phase.triages);
  const ratio = (l: number, c: number) => (l / c).toFixed(1);
  return `| ${size} | ${ratio(pct(list.steady.latencies, 0.5), pct(cache.steady.latencies, 0.5))}× | ${ratio(pct(list.steady.latencies, 0.99), pct(cache.steady.latencies, 0.99))}× | ${ratio(pct(list.burst.latencies, 0.5), pct(cache.burst.latencies, 0.5))}× | ${ratio(pct(list.burst.latencies, 0.99), pct(cache.burst.latencies, 0.99))}× | ${ratio(total(list.burst), total(cache.burst))}× |`;
});

const nodesNote =
  config.largeFrom > 0 && config.sizes.some((s) => s >= config.largeFrom)
    ? `${config.smallNodes} kwok nodes below ${config.largeFrom} pods, grown to ${config.largeNodes} before populating ${config.largeFrom}`
    : `${config.smallNodes} kwok nodes`;
fs.writeFileSync(path.join(repoRoot, 'docs', 'benchmarks-latency.svg'), svg());
fs.writeFileSync(
  path.join(repoRoot, 'docs', 'benchmarks.md'),
  `# Benchmarks

Generated by \`make bench\` (${new Date().toISOString().slice(0, 10)}${Number.isFinite(runSeconds) ? `, ${Math.round(runSeconds / 60)} min` : ''}); rerun it to refresh. Command: \`${command}\`.

Machine: ${cores} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.
Control plane: ${version(path.join(binDir, 'kube-apiserver'))}, ${version(path.join(binDir, 'etcd'))}, kwok (node Lease ${config.nodeLeaseSeconds} s), ${nodesNote}, 50 namespaces.

Each size adds pods (10% asking for more cpu than any node has, so the scheduler writes
FailedScheduling), PVCs for 20% of them (1% naming a missing StorageClass), a Service per 10 pods and
an Ingress per 50 pods. The pods that fit are created bound to a node (\`spec.nodeName\`, as a DaemonSet's
are), so the scheduler places only the ones that do not: its binding and Scheduled Event were half the
writes per pod on this machine, and a real cluster does not hold one Scheduled Event per pod (Events
expire after an hour). Nine in ten of the pods that do not fit are pinned to one node each, as a
DaemonSet's pods are (required node affinity on the node's name), so the scheduler re-tries them against
one node rather than every node (at 5,000 nodes that retry loop alone held a third of a core); one pod in
a hundred fits nowhere. The claims never bind (no provisioner, no volumes), and the PV controller re-syncs
every claim every 15 s by default (720 syncs a second and half a core of the controller-manager at 50,000
pods), so the run sets \`--pvclaimbinder-sync-period=10m\`. Two operator modes run against the same cluster in the same run:
**informer cache** (the product) and **LIST per triage** (\`--snapshot-source=list\`: the same templates
fed by LIST calls per triage, as the older tool did). Requests are a mix of scheduling-failures (one
pod), pvc-binding and ingress-pending (one namespace each).

**Nodes.** The cluster starts with ${config.smallNodes} nodes and grows to ${config.largeNodes} (the upstream limit is 5,000) before the
${config.largeFrom}-pod size, rather than starting with ${config.largeNodes}: every kwok node renews a Lease, so ${config.largeNodes} nodes cost the
apiserver a steady write load, and the small sizes would measure that load instead of the operator; the
larger sizes are where the node count is part of what is measured (cluster-health sweeps nodes, the
baseline lists them). kwok renews each node's Lease every quarter of its duration, so the Lease is
${config.nodeLeaseSeconds} s here (${(config.largeNodes / (config.nodeLeaseSeconds / 4)).toFixed(0)} renewals a second at ${config.largeNodes} nodes, against ${(config.largeNodes / 10).toFixed(0)} with the
default 40 s), and the controller-manager's node-monitor and node-startup grace periods are raised to
match, so a slow renewal under load does not mark nodes NotReady and evict their pods. Node status comes
from kwok's node-heartbeat-with-lease Stage, every 10-20 min per node (about 5 PATCHes a second at 5,000
nodes). kwok 0.7's defaults pick its 20-45 s heartbeat instead when a Lease is set (43 node status PATCHes
a second at 5,000 nodes, measured), so \`hack/bench.sh\` gives kwok its own node Stages. Either way the run
writes far less for its nodes than 5,000 kubelets would (a Lease renewal every 10 s, a status report at
least every 5 min: over 500 writes a second). kwok
works 32 nodes, Leases and pods at a time (its default is 4, which leaves thousands of new nodes
NotReady for minutes).

**Settling and budgets.** Before measuring, the benchmark waits until the cluster has settled (the
Running pod count, a metadata-only list, unchanged on three checks 5 s or more apart): measuring during
the scheduling backlog measures the apiserver's queue, not the operator. Population and settling of one
size get ${config.populateBudgetMinutes} min (\`BENCH_POPULATE_BUDGET_MINUTES\`), and growing the nodes as long again before
them (the node lifecycle controller lifts the not-ready taint of new nodes a few a second); a size not
reached within it, or whose etcd or apiserver fails, is reported below with the reason, the larger
sizes are not attempted, and the run goes on to write this page.

**Phases.** Each operator gets 30 warm-up requests (reported apart, below), then the steady phase:
${config.steady} requests at ${config.rate}/s (\`BENCH_RATE\`; a rate this machine sustains, so steady latency is one
triage's, not a queue's), then a burst of ${config.burst} created at once (its percentiles are queue lengths; its
triages/s is the machine's throughput). At ${config.largeFrom} pods and above the LIST-per-triage baseline runs
${Math.round(config.listLargeFraction * 100)}% of the requests (at least 20 of each), so the run stays within time: each of its triages lists
whole namespaces and the cluster-scoped kinds. Completion is read from the audit log, not by polling
the apiserver.

Latency is server-side: from the apiserver's audit log, the ResponseComplete time of the
TriageRequest's create to the ResponseComplete time of the operator's first status patch for it
(microsecond timestamps). API requests per triage are the operator's own, counted in the same audit
log by its ServiceAccount identity. RSS and heap are the operator's own metrics
(\`process_resident_memory_bytes\`, \`nodejs_heap_size_used_bytes\`) right after its caches synced.
"Ready after" is process start to /readyz 200; "caches synced" is the operator's own log line. CPU is
utime + stime from /proc of each process over the burst, divided by the triages it completed.

## Sizes reached

${sizesTable()}

## Latency, throughput and API requests

${mainTable()}

Ratios, LIST per triage over informer cache:

| pods | p50 latency (steady) | p99 latency (steady) | p50 latency (burst) | p99 latency (burst) | API requests per triage |
| ---: | ---: | ---: | ---: | ---: | ---: |
${ratios.join('\n')}

![latency against cluster size](benchmarks-latency.svg)

## The informer cache per size

Cache sync, memory, event-loop delay (the operator's \`nodejs_eventloop_lag_p99_seconds\` and \`_max_seconds\`,
over each phase) and the engine's own time (envelope \`timing.durationMs\`) of one namespace-health
request (namespace bench-00) and one cluster-health request (from triage-system, a trusted namespace)
on the otherwise idle operator after the burst.

${cacheTable()}

### Memory per kind

Objects cached (\`informer_objects\`) and the operator's estimate of their bytes (\`informer_cache_bytes\`;
n/a where the operator does not export it), per kind, right after the caches synced.

${kindTable()}

### Trimming

The same size with the cache-mode operator started a second time with \`--trim-caches=false\` (whole objects
cached, as before trimming).

${trimTable()}

## What bounds throughput

CPU seconds each process spent during the burst, per triage completed. A triage is the create, two
status PATCHes and two Event POSTs through the apiserver's write path to etcd; "triages/s ${cores} cores
allow" is ${cores} × 1000 ms over the sum, the ceiling if nothing else ran.

${cpuTable()}

## Against the targets

${targets()}
${sweepSection()}`,
);

/** One target: met or missed, by how much, and what the measurements say bounds it. */
function target(label: string, value: number | undefined, limit: number, unit: string, atMost: boolean, size: number, bound: () => string): string {
  const reached = results.sizes.find((s) => s.size === size);
  if (value === undefined || !Number.isFinite(value)) {
    const why =
      reached === undefined ? 'the size was not attempted' : !reached.reached ? `the size was not reached (${reached.reason ?? '?'})` : 'not measured';
    return `- ${label}: not measured at ${size} pods: ${why}.`;
  }
  const met = atMost ? value <= limit : value >= limit;
  const shown = (v: number) => `${ms(v)} ${unit}`;
  if (met) return `- Met: ${label}: ${shown(value)} (target ${atMost ? '≤' : '≥'} ${shown(limit)}).`;
  const by = atMost ? value - limit : limit - value;
  return `- **Missed**: ${label}: ${shown(value)} against ${atMost ? '≤' : '≥'} ${shown(limit)}, ${shown(by)} ${atMost ? 'over' : 'short'} (${(atMost ? value / limit : limit / value).toFixed(1)}×). ${bound()}`;
}

function biggestKinds(r: Row): string {
  return `${cacheShare(r)} ${noCacheFloor(r)}`;
}

function cacheShare(r: Row): string {
  const bytes = Object.entries(r.kindBytes ?? {});
  if (bytes.length > 0) {
    const top = bytes.sort(([, a], [, b]) => b - a).slice(0, 3);
    const total = bytes.reduce((sum, [, v]) => sum + v, 0);
    return `The cache estimate is ${mib(total)} MiB, most of it ${top.map(([k, v]) => `${k} ${mib(v)} MiB`).join(', ')}; the heap is ${ms(r.heapMb ?? NaN)} MiB of the RSS.`;
  }
  const top = Object.entries(r.kindObjects ?? {})
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3);
  return `No per-kind byte estimate was exported; the most cached objects are ${top.map(([k, v]) => `${v} ${k}`).join(', ')}; the heap is ${ms(r.heapMb ?? NaN)} MiB of the RSS.`;
}

/** The same operator with no pod or event caches (the LIST-per-triage row of the same size): what the caches add to it. */
function noCacheFloor(r: Row): string {
  const bare = find(r.size, 'list');
  if (bare?.rssMb === undefined || r.rssMb === undefined) return '';
  return `The same operator without the caches (LIST per triage, same run and size) is ${ms(bare.rssMb)} MiB RSS and ${ms(bare.heapMb)} MiB heap, so the caches add ${ms(r.rssMb - bare.rssMb)} MiB.${codeFloor()}`;
}

/** What loading code costs before any object is cached, from the run's own measurement of two bare processes. */
function codeFloor(): string {
  const floor = results.processFloor;
  if (floor === undefined) return '';
  return ` Under that floor is code: a bare Node process is ${ms(floor.bare.rssMb)} MiB RSS, one that only loads the Kubernetes client (its generated API for every kind) ${ms(floor.kubernetesClient.rssMb)} MiB, ${ms(floor.kubernetesClient.heapMb)} MiB of it heap.`;
}

function throughputBound(r: Row | undefined, wanted: number): string {
  if (r?.burstCpu === undefined) return '';
  const need = (v: number) => ((v * wanted) / 1000).toFixed(2);
  return `CPU per triage in the burst: apiserver ${cpuPer(r, 'apiserverMs').toFixed(1)} ms, etcd ${cpuPer(r, 'etcdMs').toFixed(1)} ms, operator ${cpuPer(r, 'operatorMs').toFixed(1)} ms, the rest of the control plane ${cpuPer(r, 'otherControlPlaneMs').toFixed(1)} ms; at ${wanted}/s the apiserver alone needs ${need(cpuPer(r, 'apiserverMs'))} cores, etcd ${need(cpuPer(r, 'etcdMs'))}, the operator ${need(cpuPer(r, 'operatorMs'))}, ${need(cpuTotal(r))} in all against the machine's ${cores}: ${((cores * 1000) / cpuTotal(r)).toFixed(0)} triages/s is the ceiling here, and the ${cpuPer(r, 'apiserverMs') >= cpuPer(r, 'operatorMs') ? 'apiserver' : 'operator'} is the larger share.`;
}

/**
 * The engine run that held the event loop in a phase, if one did: the longest run, when it and the loop's
 * longest delay both reach ENGINE_EXPLAINS_TAIL_MS (a long run with the loop free was waiting for CPU, not holding it).
 */
function loopHolder(phase: Phase): { readonly intent: string; readonly ms: number } | undefined {
  const slowest = Object.entries(phase.byIntent)
    .map(([intent, { engineMs }]) => ({ intent, ms: Math.max(...engineMs) }))
    .sort((a, b) => b.ms - a.ms)[0];
  const held = slowest !== undefined && slowest.ms >= ENGINE_EXPLAINS_TAIL_MS && (phase.lagMaxMs ?? 0) >= ENGINE_EXPLAINS_TAIL_MS;
  return held ? slowest : undefined;
}

function latencyBound(r: Row | undefined): string {
  if (r?.steady === undefined) return '';
  const engine = Object.values(r.steady.byIntent)
    .flatMap((i) => i.engineMs)
    .sort((a, b) => a - b);
  const load =
    r.burstCpu === undefined
      ? ''
      : ` At ${r.rate ?? config.rate}/s the control plane and operator use about ${(((r.rate ?? config.rate) * cpuTotal(r)) / 1000).toFixed(2)} of ${cores} cores (CPU per triage × rate).`;
  const holder = loopHolder(r.steady);
  const rest =
    holder !== undefined
      ? `one ${holder.intent} run took ${ms(holder.ms)} ms of engine time, and the requests created meanwhile waited behind it (see "The steady tail at ${r.size} pods" below)`
      : `the rest is the status write through the apiserver and time runnable but not running on ${cores} cores`;
  return `The engine's own time in the same phase: p50 ${ms(pct(engine, 0.5))} ms, p99 ${ms(pct(engine, 0.99))} ms; the operator's event-loop delay p99 ${ms(r.steady.lagP99Ms ?? NaN)} ms, max ${ms(r.steady.lagMaxMs ?? NaN)} ms; ${rest}.${load}`;
}

function targets(): string {
  const cacheAt = (size: number) => find(size, 'cache');
  const at10k = cacheAt(10000);
  const at150k = cacheAt(150000);
  const lines = [
    'Reported, not asserted. Measured on the informer-cache operator.',
    '',
    target('RSS at 10,000 pods (150 MB = 143 MiB)', at10k?.rssMb, 150 * MB, 'MiB', true, 10000, () => (at10k === undefined ? '' : biggestKinds(at10k))),
    target('RSS at 150,000 pods (1 GiB)', at150k?.rssMb, 1024, 'MiB', true, 150000, () => (at150k === undefined ? '' : biggestKinds(at150k))),
    target(
      'cache sync (process start to /readyz) at 150,000 pods',
      at150k?.syncMs === undefined ? undefined : at150k.syncMs / 1000,
      60,
      's',
      true,
      150000,
      () => {
        const objects = Object.values(at150k?.kindObjects ?? {}).reduce((a, b) => a + b, 0);
        return `It listed ${objects} objects, ${(objects / ((at150k?.syncMs ?? 1) / 1000)).toFixed(0)} a second; the operator's own sync time is ${at150k?.cachesSyncedMs ?? 'n/a'} ms.`;
      },
    ),
    target('steady p99 create → status at 10,000 pods', at10k === undefined ? undefined : pct(at10k.steady.latencies, 0.99), 50, 'ms', true, 10000, () =>
      latencyBound(at10k),
    ),
    target('steady p99 create → status at 150,000 pods', at150k === undefined ? undefined : pct(at150k.steady.latencies, 0.99), 200, 'ms', true, 150000, () =>
      latencyBound(at150k),
    ),
    target('burst throughput at 10,000 pods', at10k === undefined ? undefined : rate(at10k.burst), 300, 'triages/s', false, 10000, () =>
      throughputBound(at10k, 300),
    ),
  ];
  for (const row of rows.filter((r) => r.mode === 'cache')) lines.push('', ...steadyTail(row));
  const focus = at10k ?? rows.find((r) => r.mode === 'cache');
  if (focus !== undefined) lines.push('', ...reading(focus));
  return lines.join('\n');
}

/** cluster-health over the whole cluster on a leader-elected operator: engine time, event-loop delay, the Lease. */
function sweepSection(): string {
  if (sweeps.length === 0) return '';
  const sorted = (runs: readonly SweepRun[]) => runs.map((r) => r.engineMs).sort((a, b) => a - b);
  const table = sweeps.map((s) => {
    const engine = sorted(s.runs);
    return `| ${s.size} | ${s.runs.length} | ${ms(pct(engine, 0.5))} | ${ms(engine.at(-1) ?? NaN)} | ${ms(s.lagP99Ms)} | ${ms(s.lagMaxMs)} | ${ms(s.idleLagMaxMs)} | ${s.renewals} | ${(s.maxRenewGapMs / 1000).toFixed(1)} | ${s.holderKept && s.transitions === 1 ? 'yes' : 'no'} | ${s.rssMb.toFixed(0)} |`;
  });
  const big = sweeps.at(-1);
  const leftOut = big?.runs[0]?.leftOut ?? [];
  return `
## cluster-health over the whole cluster, on the thread that keeps the Lease

The engine runs on the operator's one thread, which also renews the leader's Lease (every 2 s; lost
if not renewed within the 10 s renew deadline) and answers probes. A cluster-health request sweeps
every namespace: it lists every pod and examines those not Running and Ready, and every object of the
other kinds it sweeps, until 500 of a kind have shown a fault in a step (\`MAX_SUBJECTS_PER_KIND\`; a
BreadthLimitReached finding names what was left out), yielding to the event loop every 25 objects. Measured on a leader-elected operator (the product
configuration) at every size reached from ${sweeps[0]?.size ?? '?'} pods on (\`BENCH_SWEEP\`), on the same population
(10% of pods unschedulable, so thousands to sweep). Requests run one after another
for at least 30 s (at least 5). Event-loop delay is the operator's own \`nodejs_eventloop_lag_*\` (monitorEventLoopDelay,
read over the window of the runs) beside the same window idle afterwards; Lease renewals are the
renewTime values the leader wrote, sampled every 250 ms, and the longest gap between two of them.

| pods | runs | engine p50 ms | engine max ms | event-loop delay p99 ms | max ms | max idle ms | renewals seen | longest renewal gap s | Lease kept (one holder, no transition) | RSS MiB |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |
${table.join('\n')}

${leftOut.length === 0 ? '' : `At ${big?.size ?? '?'} pods each run reported what the cap left out: ${leftOut.map((l) => `"${l}"`).join('; ')}.`}
`;
}

/** What the tables say, in numbers from this run. */
function reading(row: Measured): string[] {
  const throughput = rate(row.burst);
  return [
    '### Reading the numbers',
    '',
    `- **A burst measures the queue, not the triage.** ${row.burst.triages} requests created at once at ${row.size} pods are served at about ${throughput.toFixed(0)} triages/s, so the last one waits about ${(row.burst.triages / throughput).toFixed(1)} s whatever the engine does: burst percentiles are N / throughput. The steady columns, at ${row.rate ?? config.rate}/s, show one triage when nothing queues.`,
    `- **Throughput is bounded by CPU on ${cores} cores.** "What bounds throughput" above splits each triage's CPU between the apiserver (the create, the status PATCHes and Event POSTs, their audit lines, the watch fan-out to every informer), etcd, the operator and the rest of the control plane; the sum against ${cores} × 1000 ms a second is the ceiling, and the benchmark client and kwok share the same cores.`,
    '- **Memory is the caches.** "Memory per kind" shows which kinds hold it; the trimming table shows what caching only the fields the checks read saves against whole objects.',
    "- **The baseline's cost grows with the cluster:** each of its triages lists the kinds it reads in the target namespace plus cluster-scoped kinds (nodes among them), so its latency and the apiserver's CPU per triage rise with every object added, while the cache mode's requests per triage stay at its status PATCHes and Event POSTs.",
  ];
}

/** Latency and engine time per intent, and GC pauses, in the steady phase: what the p99 is made of. */
function steadyTail(row: Measured): string[] {
  const byIntent = row.steady.byIntent;
  const lines = [
    `### The steady tail at ${row.size} pods (informer cache)`,
    '',
    "Create → status latency per intent, beside the engine's own time for the same requests (envelope `timing.durationMs`): the difference is queueing, the status write and the apiserver.",
    '',
    '| intent | requests | p50 ms | p95 | p99 | max | engine p50 ms | engine max |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(byIntent)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(
        ([intent, { latencies, engineMs }]) =>
          `| ${intent} | ${latencies.length} | ${ms(pct(latencies, 0.5))} | ${ms(pct(latencies, 0.95))} | ${ms(pct(latencies, 0.99))} | ${ms(latencies.at(-1) ?? NaN)} | ${ms(pct(engineMs, 0.5))} | ${ms(engineMs.at(-1) ?? NaN)} |`,
      ),
  ];
  if (row.warmup !== undefined) {
    const engine = Object.values(row.warmup.byIntent)
      .flatMap((i) => i.engineMs)
      .sort((a, b) => a - b);
    lines.push(
      '',
      `Warm-up, not in the steady columns: the first ${row.warmup.triages} requests after the operator started (the same mix and rate) took p50 ${ms(pct(row.warmup.latencies, 0.5))} ms and at most ${ms(row.warmup.latencies.at(-1) ?? NaN)} ms; their engine time was at most ${ms(engine.at(-1) ?? NaN)} ms (the first run of each code path is cold: JIT, and each pod's requests parsed once).`,
    );
  }
  if (row.steadyGc !== undefined) {
    const gc = Object.entries(row.steadyGc)
      .filter(([, g]) => g.pauses > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    lines.push(
      '',
      `Garbage collection in the operator during the steady phase (${(row.steady.spanMs / 1000).toFixed(1)} s): ${gc.map(([kind, g]) => `${kind} ${g.pauses} pauses, ${g.totalMs.toFixed(0)} ms in all, ${g.over10ms} over 10 ms, ${g.over100ms} over 100 ms`).join('; ') || 'none'}.`,
    );
  }
  const engineAll = Object.values(byIntent)
    .flatMap((i) => i.engineMs)
    .sort((a, b) => a - b);
  const warmEngineMax = Math.max(0, ...Object.values(row.warmup?.byIntent ?? {}).map((i) => i.engineMs.at(-1) ?? 0));
  const longPauses = Object.values(row.steadyGc ?? {}).reduce((sum, g) => sum + g.over100ms, 0);
  const gcClause = longPauses === 0 ? 'nor does GC (no pause over 100 ms)' : `though GC paused over 100 ms ${longPauses} time(s)`;
  const holder = loopHolder(row.steady);
  const engineText = `The engine's wall time (it yields to the event loop between objects, so other runs' turns count in it) reached ${ms(engineAll.at(-1) ?? NaN)} ms against a p50 of ${pct(engineAll, 0.5) < 1 ? 'under 1 ms (it is recorded in whole milliseconds)' : `${ms(pct(engineAll, 0.5))} ms`}`;
  const explained =
    holder !== undefined
      ? `${engineText}: one ${holder.intent} run of ${ms(holder.ms)} ms held the event loop (delay max ${ms(row.steady.lagMaxMs ?? NaN)} ms), and at ${row.rate ?? config.rate}/s the ${Math.round((holder.ms / 1000) * (row.rate ?? config.rate))} requests created meanwhile waited behind it (engine time is wall time, so runs that overlapped it count its turns too). ${longPauses === 0 ? 'GC does not explain it (no pause over 100 ms)' : `GC paused over 100 ms ${longPauses} time(s) in the phase as well`}.`
      : `${engineText}; cold code does not explain it (warm-up engine time at most ${ms(warmEngineMax)} ms), ${gcClause}. What remains is queueing and CPU contention: the operator runnable but not running, on 2 cores shared with etcd, the apiserver, the scheduler, kwok and the benchmark client. When the steady p50 is far above the engine's p50, the operator is at its throughput (compare triages/s in the burst with the steady rate) and requests queue.`;
  lines.push('', `Reading it: the p99 of ${row.steady.triages} requests is decided by its ${Math.ceil(row.steady.triages * 0.01) + 1} slowest. ${explained}`);
  return lines;
}
