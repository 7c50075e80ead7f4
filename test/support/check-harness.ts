import type { ObjectRef } from '../../src/crds/envelope';
import type { Check } from '../../src/triage/checks/check';
import { Investigation, type Candidate } from '../../src/triage/investigation';
import type { KubeObject } from '../../src/triage/snapshot';
import { MemorySnapshot } from '../../src/triage/memory-snapshot';

/** What one check did with one subject: what it reported and where it continued the chain. */
export interface CheckOutcome {
  readonly findings: Candidate[];
  /** Names of the objects the check continued the chain at. */
  readonly followed: string[];
}

/**
 * Runs `check` on the first object (of `kind`) with the rest as the cluster; kinds in `forbidden`
 * cannot be read. Every code it reports must be one it declares: a rule's code missing from
 * `check.codes` fails here.
 */
export function runCheck(check: Check, kind: string, objects: readonly KubeObject[], now: Date, forbidden: readonly string[] = []): CheckOutcome {
  const inv = new Investigation(new MemorySnapshot(objects, { forbidden: new Set(forbidden) }), now);
  const subject = objects[0];
  if (subject === undefined) throw new Error('no subject');
  const followed: string[] = [];
  check.run({ inv, follow: (_kind, object) => followed.push(object.metadata?.name ?? '') }, subject, [] as readonly ObjectRef[], kind);
  for (const finding of inv.candidates) expect(check.codes).toContain(finding.code);
  return { findings: inv.candidates, followed };
}

export const codesIn = (outcome: CheckOutcome): string[] => outcome.findings.map((f) => f.code);

/** The one finding of an outcome that must have exactly one. */
export function only(outcome: CheckOutcome): Candidate {
  expect(outcome.findings).toHaveLength(1);
  const [finding] = outcome.findings;
  if (finding === undefined) throw new Error('no finding');
  return finding;
}
