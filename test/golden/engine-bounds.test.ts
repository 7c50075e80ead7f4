import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { diagnose, DiagnosisAborted, MAX_SUBJECTS_PER_KIND } from '../../src/triage/engine';
import type { KubeObject } from '../../src/triage/snapshot';
import { builtInTemplate, compileTemplate } from '../../src/triage/templates';
import { MemorySnapshot } from '../../src/triage/memory-snapshot';

// The bounds of a run, on the objects of one golden case: a Pod whose claim names a missing
// StorageClass, so the full diagnosis takes two hops (pod, then claim).
const dir = path.join(__dirname, 'cases', 'sched-unbound-pvc-storageclass-missing');
const objects = (yaml.loadAll(fs.readFileSync(path.join(dir, 'cluster.yaml'), 'utf8')) as KubeObject[])
  .filter((o) => o.kind !== 'GoldenCase')
  .map((o, i) => ({
    ...o,
    metadata: { ...o.metadata, uid: o.metadata?.uid ?? `uid-${(o.kind ?? '').toLowerCase()}-${o.metadata?.name ?? i}`, resourceVersion: '1' },
  }));
const podName = objects.find((o) => o.kind === 'Pod')?.metadata.name ?? '';

function run(now: () => Date, maxSteps = 3) {
  const template = builtInTemplate('scheduling-failures');
  if (template === undefined) throw new Error('no template');
  return diagnose({
    intent: 'scheduling-failures',
    template,
    templateSource: 'BuiltIn',
    target: { kind: 'Pod', name: podName, namespace: 'shop' },
    maxSteps,
    timeoutMs: 15_000,
    minCompleteness: 0.8,
    snapshot: new MemorySnapshot(objects),
    now,
  });
}

describe('engine bounds', () => {
  test('a run within its time follows the chain to the end', async () => {
    const { envelope } = await run(() => new Date('2026-11-21T12:00:00Z'));
    expect(envelope.rootCause?.code).toBe('StorageClassNotFound');
    expect(envelope.bounds).toEqual({ stepsUsed: 2, maxSteps: 3, timeoutMs: 15_000, truncated: false });
  });

  test('a clock past the deadline ends the run: a TimedOut step, truncated, a partial envelope', async () => {
    // Every read of the injected clock is 10 s later than the one before (timeout 15 s).
    let tick = 0;
    const { envelope } = await run(() => new Date(Date.UTC(2026, 10, 21, 12, 0, 0) + 10_000 * tick++));
    expect(envelope.steps.some((s) => s.status === 'TimedOut')).toBe(true);
    expect(envelope.steps.at(-1)?.status).not.toBe('Done');
    expect(envelope.bounds.truncated).toBe(true);
    expect(envelope.rootCause?.code).not.toBe('StorageClassNotFound');
    expect(envelope.evidence.completeness).toBeLessThan(1);
    expect(envelope.summary.length).toBeGreaterThan(0);
  });

  test('maxSteps 1 stops after the first hop and says which evidence is missing', async () => {
    const { envelope } = await run(() => new Date('2026-11-21T12:00:00Z'), 1);
    expect(envelope.steps.find((s) => s.name === 'claim')?.status).toBe('Skipped');
    expect(envelope.bounds).toMatchObject({ stepsUsed: 1, truncated: true });
    expect(envelope.evidence.missing).toEqual(['claim', 'claim.events']);
  });
});

// A sweep of a large namespace: more crashing pods than one run examines per kind.
function crashingPods(count: number, faultless = 0): KubeObject[] {
  const pods = Array.from({ length: count }, (_, i) => {
    const name = `api-${String(i).padStart(4, '0')}`;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2026-11-21T11:00:00Z' },
      spec: { nodeName: 'node-a', containers: [{ name: 'api', image: 'registry.example.com/api:1', resources: { limits: { memory: '64Mi' } } }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'api',
            image: 'registry.example.com/api:1',
            imageID: 'sha256:1',
            restartCount: 4,
            ready: false,
            started: false,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-11-21T11:59:00Z', finishedAt: '2026-11-21T11:59:30Z' } },
          },
        ],
      },
    } as KubeObject;
  });
  // Running, not Ready, nothing wrong that a check can prove (still starting): examined, no finding.
  const starting = Array.from({ length: faultless }, (_, i) => {
    const name = `web-${String(i).padStart(4, '0')}`;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2026-11-21T11:59:50Z' },
      spec: { nodeName: 'node-a', containers: [{ name: 'web', image: 'registry.example.com/web:1' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'web',
            image: 'registry.example.com/web:1',
            imageID: 'sha256:2',
            restartCount: 0,
            ready: false,
            started: true,
            state: { running: { startedAt: '2026-11-21T11:59:55Z' } },
          },
        ],
      },
    } as KubeObject;
  });
  return [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-node', resourceVersion: '1' } }, ...pods, ...starting];
}

function sweep(pods: number, extra: Partial<Parameters<typeof diagnose>[0]> = {}, faultless = 0) {
  const template = builtInTemplate('namespace-health');
  if (template === undefined) throw new Error('no template');
  return diagnose({
    intent: 'namespace-health',
    template,
    templateSource: 'BuiltIn',
    target: { kind: 'Namespace', name: 'shop', namespace: 'shop' },
    maxSteps: 3,
    timeoutMs: 15_000,
    minCompleteness: 0.8,
    snapshot: new MemorySnapshot(crashingPods(pods, faultless)),
    now: () => new Date('2026-11-21T12:00:00Z'),
    ...extra,
  });
}

describe('engine breadth and the event loop', () => {
  test(`a sweep examines at most ${MAX_SUBJECTS_PER_KIND} faulty objects of a kind and says how many it left out`, async () => {
    const { envelope } = await sweep(MAX_SUBJECTS_PER_KIND + 37);
    expect(envelope.rootCause?.code).toBe('OOMKilled');
    expect(envelope.bounds.truncated).toBe(true);
    expect(envelope.findings.filter((f) => f.code === 'BreadthLimitReached').map((f) => f.message)).toEqual([
      `37 more Pod objects were not examined: ${MAX_SUBJECTS_PER_KIND} already showed a fault (a step examines at most ${MAX_SUBJECTS_PER_KIND} faulty objects of a kind, in namespace/name order)`,
    ]);
  });

  test('a sweep within the cap reports nothing left out', async () => {
    const { envelope } = await sweep(40);
    expect(envelope.findings.some((f) => f.code === 'BreadthLimitReached')).toBe(false);
  });

  test(`objects without a fault do not count against the cap: ${MAX_SUBJECTS_PER_KIND + 100} examined, none left out`, async () => {
    const { envelope } = await sweep(10, {}, MAX_SUBJECTS_PER_KIND + 90);
    expect(envelope.findings.some((f) => f.code === 'BreadthLimitReached')).toBe(false);
    expect(envelope.rootCause?.code).toBe('OOMKilled');
  });

  test('the engine hands the event loop back between subjects', async () => {
    let turns = 0;
    await sweep(200, {
      yieldToEventLoop: () => {
        turns += 1;
        return Promise.resolve();
      },
    });
    // 200 subjects in the first step, a turn every 25 of them, and one before ranking.
    expect(turns).toBeGreaterThanOrEqual(8);
  });

  test('an aborted run stops with DiagnosisAborted and no envelope', async () => {
    const controller = new AbortController();
    let turns = 0;
    const run = sweep(200, {
      signal: controller.signal,
      yieldToEventLoop: () => {
        if (++turns === 2) controller.abort();
        return Promise.resolve();
      },
    });
    await expect(run).rejects.toBeInstanceOf(DiagnosisAborted);
    expect(turns).toBe(2);
  });
});

test('a template with no checks and no matchers says it has nothing to examine (Inconclusive, not a crash)', async () => {
  const template = compileTemplate('empty.example.com', { targetKinds: ['Namespace'] });
  const { verdict, envelope } = await diagnose({
    intent: 'empty.example.com',
    template,
    templateSource: 'Custom',
    target: { kind: 'Namespace', name: 'shop', namespace: 'shop' },
    maxSteps: 3,
    timeoutMs: 15_000,
    minCompleteness: 0.8,
    snapshot: new MemorySnapshot([]),
    now: () => new Date('2026-11-21T12:00:00Z'),
  });
  expect(verdict).toBe('Inconclusive');
  expect(envelope.summary).toBe('Namespace shop: template empty.example.com has no checks and no matchers: there is nothing to examine');
});
