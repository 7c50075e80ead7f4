import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { MemorySnapshot } from './memory-snapshot';
import { CHECKS } from './checks/registry';
import { diagnose } from './engine';
import { isEvidenceKey, matcherEventsKey } from './evidence';
import { listEvidenceOf } from './kinds';
import { compileTemplate, TemplateError, type CompiledTemplate } from './templates';

const SAMPLES = path.join(__dirname, '../../config/samples');

/** Every TriageTemplate document under config/samples, subdirectories included. */
function sampleTemplates(): { file: string; name: string; spec: unknown }[] {
  const files = fs
    .readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return files.flatMap((file) =>
    (yaml.loadAll(fs.readFileSync(path.join(SAMPLES, file), 'utf8')) as ({ kind?: string; metadata?: { name?: string }; spec?: unknown } | null)[])
      .filter((doc) => doc?.kind === 'TriageTemplate')
      .map((doc) => ({ file, name: doc?.metadata?.name ?? '', spec: doc?.spec })),
  );
}

function problemsOf(name: string, spec: unknown): readonly string[] {
  try {
    compileTemplate(name, spec);
    return [];
  } catch (error: unknown) {
    if (error instanceof TemplateError) return error.problems;
    throw error;
  }
}

/** Keys a template can be sure to record: its checks' declared evidence, its matchers' Events, its sweeps and its target. */
function recordable(template: CompiledTemplate): Set<string> {
  const checks = template.steps.flatMap((s) => s.checks);
  const kinds = template.targetKinds.filter((k) => k !== 'Namespace');
  return new Set(['target', ...checks.flatMap((c) => c.evidence), ...kinds.map(listEvidenceOf), ...kinds.map((k) => matcherEventsKey(k) ?? '')]);
}

describe('requiredEvidence', () => {
  const spec = (requiredEvidence: readonly string[]) => ({ targetKinds: ['Job'], steps: [{ name: 'job', checks: ['job.pods'] }], requiredEvidence });

  test('a key no read records is a template problem naming the field and the keys nearby', () => {
    expect(problemsOf('typo.example.com', spec(['workload.pods', 'job.event']))).toEqual([
      'spec.requiredEvidence[1]: unknown evidence key "job.event" (nearby: job.events, job, job.cronjob; all keys: docs/codes.md)',
    ]);
    expect(() => compileTemplate('typo.example.com', spec(['Pod.Events']))).toThrow(
      /spec\.requiredEvidence\[0\]: unknown evidence key "Pod\.Events" \(nearby: pod\.events/,
    );
  });

  test('every unknown key is reported, beside the other problems', () => {
    const problems = problemsOf('typos.example.com', { ...spec(['pods.events', 'claims.events']), steps: [{ name: 'job', checks: ['job.pod'] }] });
    expect(problems).toHaveLength(3);
    expect(problems.filter((p) => p.startsWith('spec.requiredEvidence['))).toHaveLength(2);
  });

  test('known keys compile, in order', () => {
    expect(compileTemplate('keys.example.com', spec(['job.events', 'workload.pods'])).requiredEvidence).toEqual(['job.events', 'workload.pods']);
  });
});

describe('the sample TriageTemplates (config/samples)', () => {
  const samples = sampleTemplates();

  test('there are some', () => {
    expect(samples.length).toBeGreaterThan(0);
  });

  test.each(samples.map((s) => [`${s.file}: ${s.name}`, s] as const))('%s compiles without problems', (_label, sample) => {
    expect(problemsOf(sample.name, sample.spec)).toEqual([]);
  });

  // A required key the template never records is missing on every run: completeness could never reach 1.
  test.each(samples.map((s) => [`${s.file}: ${s.name}`, s] as const))('%s requires only evidence it records', (_label, sample) => {
    const template = compileTemplate(sample.name, sample.spec);
    expect(template.requiredEvidence.every(isEvidenceKey)).toBe(true);
    expect(template.requiredEvidence.filter((key) => !recordable(template).has(key))).toEqual([]);
    expect(template.steps.flatMap((s) => s.checks).every((c) => c.name.endsWith('.matchers') || CHECKS.get(c.name) === c)).toBe(true);
  });
});

describe('the db-migrations sample', () => {
  // The issue that typed the keys: a sample requiring keys no run records. A run over a Job records both.
  test('a run over a Job whose pods are refused records every key it requires', async () => {
    const sample = sampleTemplates().find((s) => s.name === 'db-migrations.example.com');
    const template = compileTemplate(sample?.name ?? '', sample?.spec);
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'shop', uid: 'uid-job', resourceVersion: '1' },
      spec: { parallelism: 1, completions: 1 },
      status: {},
    };
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'migrate.1', namespace: 'shop', uid: 'uid-ev', resourceVersion: '2' },
      involvedObject: { kind: 'Job', namespace: 'shop', name: 'migrate', uid: 'uid-job' },
      reason: 'FailedCreate',
      type: 'Warning',
      message: 'Error creating: pods "migrate-x" is forbidden: exceeded quota: q',
      count: 1,
      lastTimestamp: '2026-11-21T11:59:00Z',
    };
    const { envelope } = await diagnose({
      intent: template.name,
      template,
      templateSource: 'Custom',
      target: { kind: 'Job', name: 'migrate', namespace: 'shop' },
      maxSteps: 3,
      timeoutMs: 15_000,
      minCompleteness: 0.8,
      snapshot: new MemorySnapshot([job, event]),
      now: () => new Date('2026-11-21T12:00:00Z'),
    });
    expect(template.requiredEvidence).toEqual(['job.events', 'workload.pods']);
    expect(template.requiredEvidence.filter((key) => !envelope.evidence.present.includes(key))).toEqual([]);
    expect(envelope.evidence.missing).toEqual([]);
    expect(envelope.rootCause?.code).toBe('MigrationPodsNotCreated');
  });
});
