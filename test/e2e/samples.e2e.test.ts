import type { Envelope } from '../../src/crds/envelope';
import { failureReporterKey, type FailureReporter } from './setup/environment';
import { verifyAnchors } from './support/anchors';
import { dumpNamespace } from './support/dump';
import { kubectl, kubectlOk } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { applySamples, awaitSampleVerdicts, deleteSamples, readSamples, type Kubectl, type SampleResults } from './support/samples';

// config/samples applied from scratch as its kustomization.yaml says (namespace and workloads, the
// TriageTemplate, then the requests), against an operator that trusts triage-system as the samples
// assume. Every file of the directory is covered, a new one without touching this test: each object
// exists, each TriageRequest reaches a verdict (never Rejected or Failed) with anchors that check out
// against the API, and each TriageTemplate is Accepted and produces the envelope of a sample request.
const samples = readSamples();
const run: Kubectl = (args, input) => kubectl(args, input);
let results: SampleResults | undefined;

/**
 * What the samples demonstrate on this cluster, whose nodes are fake (kwok: a pod on a node "runs"
 * whatever its image or command, so the kubelet-side faults of crashloop and image-pull read Healthy).
 * Only for the files named; a new sample is held to the generic checks alone.
 */
const demonstrated: Readonly<Record<string, { readonly verdict: string; readonly rootCause?: string }>> = {
  'config/samples/pvc-binding.yaml': { verdict: 'RootCauseFound', rootCause: 'StorageClassNotFound' },
  'config/samples/scheduling-failures.yaml': { verdict: 'RootCauseFound', rootCause: 'StorageClassNotFound' },
  'config/samples/ingress-pending.yaml': { verdict: 'RootCauseFound', rootCause: 'NoIngressClass' },
  'config/samples/service-no-endpoints.yaml': { verdict: 'RootCauseFound', rootCause: 'SelectorMatchesNoPods' },
  'config/samples/rollout-stuck.yaml': { verdict: 'RootCauseFound', rootCause: 'InsufficientResources' },
  'config/samples/db-migrations.yaml': { verdict: 'RootCauseFound', rootCause: 'MigrationTimedOut' },
  'config/samples/crashloop.yaml': { verdict: 'Healthy' },
  'config/samples/image-pull.yaml': { verdict: 'Healthy' },
};

function sampleResults(): SampleResults {
  if (results === undefined) throw new Error('the samples were not applied (see the beforeAll error)');
  return results;
}

beforeAll(async () => {
  // What the install creates (make install, the chart, config/install.yaml); the samples' cluster-scoped requests live there.
  await kubectlOk(['apply', '-f', 'config/manager/namespace.yaml']);
  await startOperator({ args: ['--trusted-namespaces=triage-system'] });
  const reporter: FailureReporter = async (testName) => {
    const namespaces = [...new Set(samples.files.flatMap((f) => f.objects.flatMap((o) => (o.namespace === undefined ? [] : [o.namespace]))))];
    for (const namespace of namespaces) process.stderr.write(`\n[e2e] "${testName}" failed; namespace ${namespace}:\n${await dumpNamespace(namespace)}\n`);
  };
  (globalThis as Record<string, unknown>)[failureReporterKey] = reporter;

  const started = Date.now();
  const applied = await applySamples(run);
  const appliedMs = Date.now() - started;
  results = await awaitSampleVerdicts(run, applied, { timeoutMs: 150_000 });
  const lines = results.requests.map(
    (r) => `  ${r.file.padEnd(42)} ${`${r.namespace}/${r.name}`.padEnd(40)} ${(r.verdict ?? '-').padEnd(15)} ${r.rootCause ?? ''}`,
  );
  process.stderr.write(`[e2e] samples applied in ${appliedMs} ms, verdicts after ${results.elapsedMs} ms more:\n${lines.join('\n')}\n`);
}, 300_000);

afterAll(async () => {
  await stopAllOperators();
  await deleteSamples(run, samples);
});

test('kustomization.yaml lists every sample file, and kubectl apply -k accepts the whole directory', async () => {
  expect([...samples.kustomizationResources].sort()).toEqual(samples.files.map((f) => f.file.replace('config/samples/', '')).sort());
  const dryRun = await kubectl(['apply', '-k', 'config/samples', '--dry-run=server']);
  expect({ code: dryRun.code, stderr: dryRun.stderr }).toEqual({ code: 0, stderr: '' });
});

describe.each(samples.files)('$file', (sample) => {
  test('every object was applied', async () => {
    const got = await kubectl(['get', '-f', sample.path, '-o', 'name']);
    expect({ file: sample.file, code: got.code, stderr: got.stderr }).toEqual({ file: sample.file, code: 0, stderr: '' });
    expect(got.stdout.trim().split('\n')).toHaveLength(sample.objects.length);
  });

  for (const request of sample.objects.filter((o) => o.kind === 'TriageRequest')) {
    const key = `${request.namespace ?? 'default'}/${request.name}`;
    test(`TriageRequest ${key} reaches a verdict (not Rejected or Failed) whose anchors check out`, async () => {
      const { problems, requests } = sampleResults();
      const result = requests.find((r) => r.file === sample.file && `${r.namespace}/${r.name}` === key);
      expect(problems.filter((p) => p.file === sample.file && p.object === `TriageRequest ${key}`)).toEqual([]);
      expect({ file: sample.file, verdict: result?.verdict }).toEqual({
        file: sample.file,
        verdict: expect.stringMatching(/^(Healthy|RootCauseFound|Inconclusive)$/) as unknown,
      });
      const envelope: Envelope | undefined = result?.envelope;
      if (envelope !== undefined)
        expect({ file: sample.file, anchorProblems: await verifyAnchors(envelope) }).toEqual({ file: sample.file, anchorProblems: [] });
      const expected = demonstrated[sample.file];
      if (expected !== undefined)
        expect({ file: sample.file, verdict: result?.verdict, rootCause: result?.rootCause }).toEqual({ file: sample.file, ...expected });
    });
  }

  for (const { name } of sample.objects.filter((o) => o.kind === 'TriageTemplate')) {
    test(`TriageTemplate ${name} is Accepted and a sample request ran it`, () => {
      const { problems, templates, requests } = sampleResults();
      expect(problems.filter((p) => p.file === sample.file && p.object === `TriageTemplate ${name}`)).toEqual([]);
      const template = templates.find((t) => t.name === name);
      expect({ file: sample.file, accepted: template?.accepted?.status }).toEqual({ file: sample.file, accepted: 'True' });
      const users = requests.filter((r) => r.intent === name);
      expect(users.length).toBeGreaterThan(0);
      for (const user of users) {
        expect({ file: user.file, template: user.envelope?.template }).toEqual({
          file: user.file,
          template: expect.objectContaining({ name, source: expect.stringMatching(/^(Custom|Override)$/) as unknown, hash: template?.hash }) as unknown,
        });
        // Its matchers' {name}/{namespace}/{kind} placeholders were filled in with the target's.
        const envelope = user.envelope;
        const texts = [
          envelope?.summary ?? '',
          envelope?.rootCause?.message ?? '',
          ...(envelope?.findings ?? []).map((f) => f.message),
          ...(envelope?.nextActions ?? []).flatMap((a) => [a.command, a.description]),
        ];
        expect({ file: user.file, unfilled: texts.filter((text) => /\{(name|namespace|kind)\}/.test(text)) }).toEqual({ file: user.file, unfilled: [] });
      }
    });
  }
});
