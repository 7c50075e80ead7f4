import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { diagnose, DiagnosisAborted, MAX_SUBJECTS_PER_KIND } from '../../src/triage/engine';
import type { KubeObject } from '../../src/triage/snapshot';
import { builtInTemplate } from '../../src/triage/templates';
import { MemorySnapshot } from './memory-snapshot';

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
function crashingPods(count: number): KubeObject[] {
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
  return [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-node', resourceVersion: '1' } }, ...pods];
}

function sweep(pods: number, extra: Partial<Parameters<typeof diagnose>[0]> = {}) {
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
    snapshot: new MemorySnapshot(crashingPods(pods)),
    now: () => new Date('2026-11-21T12:00:00Z'),
    ...extra,
  });
}

describe('engine breadth and the event loop', () => {
  test(`a sweep examines at most ${MAX_SUBJECTS_PER_KIND} objects of a kind and says how many it left out`, async () => {
    const { envelope } = await sweep(MAX_SUBJECTS_PER_KIND + 37);
    expect(envelope.rootCause?.code).toBe('OOMKilled');
    expect(envelope.bounds.truncated).toBe(true);
    expect(envelope.findings.filter((f) => f.code === 'BreadthLimitReached').map((f) => f.message)).toEqual([
      `37 more Pod objects needed examining than one run examines (${MAX_SUBJECTS_PER_KIND} per kind, in namespace/name order); they were left out`,
    ]);
  });

  test('a sweep within the cap reports nothing left out', async () => {
    const { envelope } = await sweep(40);
    expect(envelope.findings.some((f) => f.code === 'BreadthLimitReached')).toBe(false);
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
