import { TARGET_KINDS } from '../crds/intents';
import { CHECKS } from './checks/registry';
import { EVIDENCE, evidenceMarkdown, isEvidenceKey, matcherEventsKey, nearbyEvidenceKeys } from './evidence';
import { KINDS, listEvidenceOf } from './kinds';

describe('evidence keys', () => {
  test('only the catalogued keys are evidence keys, whatever an object inherits', () => {
    expect(isEvidenceKey('pod.events')).toBe(true);
    for (const key of ['pod.event', 'Pod', 'toString', 'constructor', '__proto__', '']) expect(isEvidenceKey(key)).toBe(false);
  });

  // A sweep lists what its first step examines, a declarative template what it targets: each needs its key.
  test('every kind a check examines or a request targets has a sweep key', () => {
    const kinds = new Set([...[...CHECKS.values()].map((c) => c.subject).filter((s) => s !== '*'), ...TARGET_KINDS.filter((k) => k !== 'Namespace')]);
    for (const kind of kinds) expect({ kind, key: isEvidenceKey(listEvidenceOf(kind)) }).toEqual({ kind, key: true });
    expect(() => listEvidenceOf('Lease')).toThrow(/no sweep evidence key/);
  });

  test('sweep keys are the ones envelopes have always reported', () => {
    expect(['Pod', 'PersistentVolumeClaim', 'ValidatingWebhookConfiguration', 'ReplicaSet', 'HTTPRoute'].map(listEvidenceOf)).toEqual([
      'pods',
      'claims',
      'webhooks',
      'ReplicaSet',
      'httproutes',
    ]);
    for (const info of KINDS) if ('evidence' in info) expect(isEvidenceKey(info.evidence)).toBe(true);
  });

  test("a matcher's key is the target kind with its first letter lowered, then .events", () => {
    for (const kind of TARGET_KINDS) {
      const key = matcherEventsKey(kind);
      expect(key).toBe(`${kind.charAt(0).toLowerCase()}${kind.slice(1)}.events`);
      expect(isEvidenceKey(key ?? '')).toBe(true);
    }
    expect(matcherEventsKey('HTTPRoute')).toBe('hTTPRoute.events');
    expect(matcherEventsKey('Lease')).toBeUndefined();
  });

  test('every key has a one-line meaning', () => {
    for (const [key, meaning] of Object.entries(EVIDENCE))
      expect({ key, ok: meaning.length > 10 && meaning.length <= 140 && !meaning.includes('\n') }).toEqual({ key, ok: true });
  });

  test('a mistyped key is answered with the keys it was probably meant to be', () => {
    expect(nearbyEvidenceKeys('job.event')[0]).toBe('job.events');
    expect(nearbyEvidenceKeys('Job.Events')[0]).toBe('job.events');
    expect(nearbyEvidenceKeys('pod.event')[0]).toBe('pod.events');
    expect(nearbyEvidenceKeys('workload.pod')[0]).toBe('workload.pods');
    expect(nearbyEvidenceKeys('x'.repeat(128))).toHaveLength(3);
  });

  test('docs/codes.md lists every key once', () => {
    const rows = evidenceMarkdown()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    expect(rows).toHaveLength(Object.keys(EVIDENCE).length);
    for (const key of Object.keys(EVIDENCE)) expect(rows.filter((row) => row.startsWith(`| \`${key}\` |`))).toHaveLength(1);
  });
});
