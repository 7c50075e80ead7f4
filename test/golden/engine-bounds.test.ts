import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { diagnose } from '../../src/triage/engine';
import type { KubeObject } from '../../src/triage/snapshot';
import { builtInTemplate } from '../../src/triage/templates';
import { MemorySnapshot } from './memory-snapshot';

// The bounds of a run, on the objects of one golden case: a Pod whose claim names a missing
// StorageClass, so the full diagnosis takes two hops (pod, then claim).
const dir = path.join(__dirname, 'cases', 'sched-unbound-pvc-storageclass-missing');
const objects = (yaml.loadAll(fs.readFileSync(path.join(dir, 'cluster.yaml'), 'utf8')) as KubeObject[])
  .filter((o) => o.kind !== 'GoldenCase')
  .map((o, i) => ({ ...o, metadata: { ...o.metadata, uid: o.metadata?.uid ?? `uid-${(o.kind ?? '').toLowerCase()}-${o.metadata?.name ?? i}`, resourceVersion: '1' } }));
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
  test('a run within its time follows the chain to the end', () => {
    const { envelope } = run(() => new Date('2026-11-21T12:00:00Z'));
    expect(envelope.rootCause?.code).toBe('StorageClassNotFound');
    expect(envelope.bounds).toEqual({ stepsUsed: 2, maxSteps: 3, timeoutMs: 15_000, truncated: false });
  });

  test('a clock past the deadline ends the run: a TimedOut step, truncated, a partial envelope', () => {
    // Every read of the injected clock is 10 s later than the one before (timeout 15 s).
    let tick = 0;
    const { envelope } = run(() => new Date(Date.UTC(2026, 10, 21, 12, 0, 0) + 10_000 * tick++));
    expect(envelope.steps.some((s) => s.status === 'TimedOut')).toBe(true);
    expect(envelope.steps.at(-1)?.status).not.toBe('Done');
    expect(envelope.bounds.truncated).toBe(true);
    expect(envelope.rootCause?.code).not.toBe('StorageClassNotFound');
    expect(envelope.evidence.completeness).toBeLessThan(1);
    expect(envelope.summary.length).toBeGreaterThan(0);
  });

  test('maxSteps 1 stops after the first hop and says which evidence is missing', () => {
    const { envelope } = run(() => new Date('2026-11-21T12:00:00Z'), 1);
    expect(envelope.steps.find((s) => s.name === 'claim')?.status).toBe('Skipped');
    expect(envelope.bounds).toMatchObject({ stepsUsed: 1, truncated: true });
    expect(envelope.evidence.missing).toEqual(['claim', 'claim.events']);
  });
});
