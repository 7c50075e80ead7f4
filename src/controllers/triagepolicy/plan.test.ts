import type { TriageRequestObject, Verdict } from '../../crds/triage-request';
import { TriagePolicySpec } from '../../crds/triage-policy';
import { countVerdicts, planPolicy, requestNameFor, type NamespaceObject, type PolicyObject } from './plan';

const policy = (spec: object): PolicyObject => ({ metadata: { name: 'teams', uid: 'uid-p', generation: 1 }, spec });
const ns = (name: string, labels: Record<string, string> = {}, deleting = false): NamespaceObject => ({
  metadata: { name, labels, ...(deleting ? { deletionTimestamp: '2026-12-01T00:00:00Z' } : {}) },
});
const owned = (namespace: string, name: string, spec: object, verdict?: Verdict, uid = 'uid-p'): TriageRequestObject => ({
  metadata: { namespace, name, generation: 1, ownerReferences: [{ kind: 'TriagePolicy', uid, controller: true }] } as TriageRequestObject['metadata'],
  spec,
  ...(verdict === undefined ? {} : { status: { verdict, observedGeneration: 1 } }),
});
const wantedSpec = (namespace: string) => ({
  intent: 'namespace-health',
  target: { kind: 'Namespace', name: namespace },
  mode: 'Continuous',
  bounds: null,
  minCompleteness: 0.8,
});

describe('a TriagePolicy plan', () => {
  const spec = { namespaceSelector: { matchLabels: { team: 'shop' } } };
  const name = requestNameFor('teams', 'namespace-health');

  test('defaults: namespace-health, Continuous', () => {
    expect(TriagePolicySpec.parse(spec)).toEqual({ ...spec, intents: ['namespace-health'], mode: 'Continuous' });
  });

  test('one request per selected namespace and intent; terminating and unselected namespaces get none', () => {
    const plan = planPolicy(policy(spec), [ns('a', { team: 'shop' }), ns('b', { team: 'shop' }, true), ns('c', { team: 'blog' })], []);
    expect(plan).toEqual({ kind: 'Plan', create: [{ namespace: 'a', name, spec: wantedSpec('a') }], update: [], remove: [], selected: ['a'] });
  });

  test('what it owns and no longer selects is removed; a drifted spec is patched back; apiserver defaults are not drift', () => {
    // As the apiserver returns it: no bounds key at all, minCompleteness defaulted, keys in its own order.
    const { bounds: _unset, mode, ...stored } = wantedSpec('a');
    const requests = [
      owned('a', name, { ...stored, mode }),
      owned('b', name, { ...wantedSpec('b'), mode: 'Once' }),
      owned('c', name, wantedSpec('c')),
      // Another policy's request in a selected namespace is not this one's to touch.
      owned('a', 'other', wantedSpec('a'), undefined, 'uid-other'),
    ];
    const plan = planPolicy(policy(spec), [ns('a', { team: 'shop' }), ns('b', { team: 'shop' }), ns('c')], requests);
    expect(plan.kind === 'Plan' && [plan.create, plan.update.map((u) => u.namespace), plan.remove]).toEqual([[], ['b'], [{ namespace: 'c', name }]]);
  });

  test('fields the policy dropped or a tenant added are drift, removed by nulls in the patch', () => {
    const withBounds = { ...spec, bounds: { maxSteps: 5 } };
    const requests = [
      owned('a', name, { ...wantedSpec('a'), bounds: { maxSteps: 5, timeoutSeconds: 30 } }),
      owned('b', name, { ...wantedSpec('b'), minCompleteness: 0 }),
    ];
    const plan = planPolicy(policy(withBounds), [ns('a', { team: 'shop' }), ns('b', { team: 'shop' })], requests);
    expect(plan.kind === 'Plan' && plan.update.map((u) => [u.namespace, u.spec.bounds, u.spec.minCompleteness])).toEqual([
      ['a', { maxSteps: 5 }, 0.8],
      ['b', { maxSteps: 5 }, 0.8],
    ]);
    const dropped = planPolicy(policy(spec), [ns('a', { team: 'shop' })], [owned('a', name, { ...wantedSpec('a'), bounds: { maxSteps: 5 } })]);
    expect(dropped.kind === 'Plan' && dropped.update.map((u) => u.spec.bounds)).toEqual([null]);
  });

  test('an invalid spec is said, field named', () => {
    expect(planPolicy(policy({ namespaceSelector: {}, intents: ['cluster-health'] }), [], [])).toEqual({
      kind: 'Invalid',
      message: expect.stringContaining('spec.intents.0: must be a built-in intent that diagnoses a namespace') as string,
    });
  });

  test('request names are unique per policy and intent and stay within 253 characters', () => {
    expect(requestNameFor('teams', 'namespace-health')).not.toBe(requestNameFor('teams', 'crashloop'));
    expect(requestNameFor('teams', 'namespace-health')).not.toBe(requestNameFor('teams-namespace', 'health'));
    expect(requestNameFor('x'.repeat(253), 'my.intent.example.com').length).toBeLessThanOrEqual(253);
  });
});

describe('namespaces counted by verdict', () => {
  test('the worst verdict of a namespace counts; not answered yet outranks Healthy; a missing request is pending', () => {
    const counts = countVerdicts(
      ['a', 'b', 'c', 'd', 'e'],
      [
        owned('a', 'x', {}, 'Healthy'),
        owned('a', 'y', {}, 'RootCauseFound'),
        owned('b', 'x', {}, 'Healthy'),
        owned('b', 'y', {}, 'Healthy'),
        owned('c', 'x', {}, 'Healthy'),
        owned('d', 'x', {}, 'Rejected'),
        owned('d', 'y', {}, 'Inconclusive'),
      ],
      2,
    );
    expect(counts).toEqual({ selectedNamespaces: 5, healthy: 1, rootCauseFound: 1, inconclusive: 0, failed: 1, pending: 2 });
  });
});
