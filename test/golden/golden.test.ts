import fs from 'node:fs';
import path from 'node:path';
import { CHECKS } from '../../src/triage/checks/registry';
import { isEvidenceKey } from '../../src/triage/evidence';
import { envelopeProblems } from '../support/envelope-invariants';
import { cases, casesDir, runCase } from '../support/golden-cases';

// UPDATE_GOLDEN=1 rewrites expected.json; review the diff before committing it.
const update = process.env.UPDATE_GOLDEN === '1';

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
