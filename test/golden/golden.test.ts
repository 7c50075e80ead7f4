import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { admit, authorize } from '../../src/controllers/triagerequest/admission';
import { resolveBounds } from '../../src/crds/triage-request';
import { diagnose } from '../../src/triage/engine';
import type { KubeObject } from '../../src/triage/snapshot';
import { CHECKS } from '../../src/triage/checks/registry';
import { isEvidenceKey } from '../../src/triage/evidence';
import { builtInTemplate } from '../../src/triage/templates';
import { envelopeProblems } from '../support/envelope-invariants';
import { MemorySnapshot } from '../../src/triage/memory-snapshot';

// One folder per case: cluster.yaml (the objects, as the apiserver returns them), request.yaml (the
// TriageRequest), expected.json (the reviewed result, timing left out). UPDATE_GOLDEN=1 rewrites
// expected.json; review the diff before committing it.
const casesDir = path.join(__dirname, 'cases');
const NOW = new Date('2026-11-21T12:00:00.000Z');
const update = process.env.UPDATE_GOLDEN === '1';

interface CaseSettings {
  readonly kind: 'GoldenCase';
  /** Caches the operator may not read in this case. */
  readonly forbidden?: readonly string[];
  readonly trustedNamespaces?: readonly string[];
  /** The operator runs with --watch-secret-metadata. */
  readonly secretMetadata?: boolean;
  /** Kinds whose API (CRDs) the cluster does not serve. */
  readonly notInstalled?: readonly string[];
}

/** Fills what every stored object has, so fixtures stay short: uid and resourceVersion. */
function normalise(object: KubeObject, index: number): KubeObject {
  const metadata = object.metadata ?? {};
  return {
    ...object,
    metadata: {
      ...metadata,
      uid: metadata.uid ?? `uid-${(object.kind ?? 'x').toLowerCase()}-${metadata.name ?? index}`,
      resourceVersion: metadata.resourceVersion ?? String(100 + index),
    },
  };
}

/** A fixed permutation (seeded, so a failure reproduces): the cache's order is not the file's. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function runCase(dir: string, seed?: number) {
  const documents = yaml.loadAll(fs.readFileSync(path.join(dir, 'cluster.yaml'), 'utf8')).filter((d) => d !== null) as (KubeObject | CaseSettings)[];
  const settings = documents.find((d): d is CaseSettings => d.kind === 'GoldenCase');
  const normalised = documents.filter((d): d is KubeObject => d.kind !== 'GoldenCase').map(normalise);
  const objects = seed === undefined ? normalised : shuffled(normalised, seed);
  const request = yaml.load(fs.readFileSync(path.join(dir, 'request.yaml'), 'utf8')) as { metadata: { namespace: string }; spec: unknown };
  const admission = admit(request.metadata.namespace, request.spec);
  if (!admission.admitted) return { rejected: admission.reason, message: admission.message };
  const template = builtInTemplate(admission.spec.intent);
  if (template === undefined) throw new Error(`no built-in template for ${admission.spec.intent}`);
  const outside = authorize(request.metadata.namespace, admission, template, settings?.trustedNamespaces ?? []);
  if (outside !== undefined) return { rejected: outside.reason, message: outside.message };
  const { verdict, envelope } = await diagnose({
    intent: admission.spec.intent,
    template,
    templateSource: 'BuiltIn',
    target: admission.target,
    maxSteps: resolveBounds(admission.spec.bounds, template.bounds).maxSteps,
    timeoutMs: resolveBounds(admission.spec.bounds, template.bounds).timeoutSeconds * 1000,
    minCompleteness: admission.spec.minCompleteness,
    snapshot: new MemorySnapshot(objects, {
      forbidden: new Set(settings?.forbidden ?? []),
      secretMetadata: settings?.secretMetadata ?? false,
      notInstalled: new Set(settings?.notInstalled ?? []),
    }),
    now: () => NOW,
    ...((settings?.trustedNamespaces ?? []).includes(request.metadata.namespace) ? {} : { fence: request.metadata.namespace }),
  });
  const { timing: _timing, ...stable } = envelope;
  return { verdict, envelope: stable };
}

const cases = fs.existsSync(casesDir)
  ? fs
      .readdirSync(casesDir)
      .filter((d) => fs.statSync(path.join(casesDir, d)).isDirectory())
      .sort()
  : [];

describe('golden cases', () => {
  test('there are cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  test.each(cases)('%s', async (name) => {
    const dir = path.join(casesDir, name);
    const actual = await runCase(dir);
    const expectedFile = path.join(dir, 'expected.json');
    if (update) fs.writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
    // A case without expected output fails: expected files are written only on request, then reviewed.
    if (!fs.existsSync(expectedFile)) throw new Error(`${name}: no expected.json; run with UPDATE_GOLDEN=1 and review it`);
    expect(actual).toEqual(JSON.parse(fs.readFileSync(expectedFile, 'utf8')));
  });

  // Informer caches hand objects over in an order that moves with every update and differs between
  // replicas: the same cluster must give the same envelope, whatever the order.
  test.each(cases)('%s: the same envelope whatever order the objects arrive in', async (name) => {
    const dir = path.join(casesDir, name);
    const expected = JSON.stringify(await runCase(dir));
    for (const seed of [1, 2, 3]) expect(JSON.stringify(await runCase(dir, seed))).toBe(expected);
  });

  test.each(cases)('%s: the envelope is self-consistent', async (name) => {
    const actual = await runCase(path.join(casesDir, name));
    if (actual.envelope !== undefined) expect(envelopeProblems(actual.verdict, actual.envelope)).toEqual([]);
    else expect(actual.message).not.toBe('');
  });
});

// A check's codes are its rules' codes (codesOf): a rule reporting a code its check does not declare
// would be missing from what the registry and docs/codes.md say the check can find.
test('over every case, each check reports only codes it declares', async () => {
  const undeclared = new Set<string>();
  const spies = [...CHECKS.values()].map((check) => {
    const original = check.run.bind(check);
    return jest.spyOn(check, 'run').mockImplementation((ctx, subject, chain, kind) => {
      const before = ctx.inv.candidates.length;
      original(ctx, subject, chain, kind);
      for (const candidate of ctx.inv.candidates.slice(before)) if (!check.codes.includes(candidate.code)) undeclared.add(`${check.name}: ${candidate.code}`);
    });
  });
  const runAll = async () => {
    try {
      for (const name of cases) await runCase(path.join(casesDir, name));
      return spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  };
  const calls = await runAll();
  expect([...undeclared].sort()).toEqual([]);
  expect(calls).toBeGreaterThan(cases.length);
});

// Evidence keys are typed (src/triage/evidence.ts), but a key built at run time would slip past the
// compiler: every key a run reports, in evidence and in its steps, must be one docs/codes.md lists.
test('over every case, every evidence key reported is a catalogued one', async () => {
  const reported = new Set<string>();
  for (const name of cases) {
    const { envelope } = await runCase(path.join(casesDir, name));
    if (envelope === undefined) continue;
    const { present, missing, unavailable } = envelope.evidence;
    for (const key of [...present, ...missing, ...unavailable.map((u) => u.key), ...envelope.steps.flatMap((s) => s.evidenceKeys)]) reported.add(key);
  }
  expect([...reported].filter((key) => !isEvidenceKey(key)).sort()).toEqual([]);
  expect(reported.size).toBeGreaterThan(50);
});
