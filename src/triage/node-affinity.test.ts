import { constraintLabelKeys, describeNodeConstraints, nodeNamesRequired, nodesPodWants, podWantsNode } from './node-affinity';
import type { Node, NodeSelectorTerm, Pod } from './objects';

const node = (name: string, labels: Record<string, string>): Node => ({ metadata: { name, labels } });
const pod = (spec: { nodeSelector?: Record<string, string>; terms?: NodeSelectorTerm[] }): Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: {
    ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
    ...(spec.terms === undefined ? {} : { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: spec.terms } } } }),
  },
});

const zoneA = node('a', { zone: 'a', cores: '8', disk: 'ssd' });
const zoneB = node('b', { zone: 'b', cores: '2' });

describe('podWantsNode', () => {
  test('a pod without constraints wants every node', () => {
    expect(podWantsNode(pod({}), zoneA)).toBe(true);
  });

  test('nodeSelector needs every label to be equal', () => {
    expect(podWantsNode(pod({ nodeSelector: { zone: 'a', disk: 'ssd' } }), zoneA)).toBe(true);
    expect(podWantsNode(pod({ nodeSelector: { zone: 'a', disk: 'hdd' } }), zoneA)).toBe(false);
  });

  test.each([
    ['In', { key: 'zone', operator: 'In', values: ['a', 'c'] }, true, false],
    ['NotIn', { key: 'zone', operator: 'NotIn', values: ['a'] }, false, true],
    ['NotIn on a missing label', { key: 'gpu', operator: 'NotIn', values: ['x'] }, true, true],
    ['Exists', { key: 'disk', operator: 'Exists' }, true, false],
    ['DoesNotExist', { key: 'disk', operator: 'DoesNotExist' }, false, true],
    ['Gt', { key: 'cores', operator: 'Gt', values: ['4'] }, true, false],
    ['Lt', { key: 'cores', operator: 'Lt', values: ['4'] }, false, true],
    ['Gt on a non-integer bound', { key: 'cores', operator: 'Gt', values: ['four'] }, false, false],
    ['an unknown operator', { key: 'zone', operator: 'Near', values: ['a'] }, false, false],
  ])('%s', (_name, requirement, wantsA, wantsB) => {
    const p = pod({ terms: [{ matchExpressions: [requirement] }] });
    expect([podWantsNode(p, zoneA), podWantsNode(p, zoneB)]).toEqual([wantsA, wantsB]);
  });

  test('terms are ORed, requirements in a term ANDed', () => {
    const p = pod({
      terms: [
        {
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['a'] },
            { key: 'disk', operator: 'In', values: ['hdd'] },
          ],
        },
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
      ],
    });
    expect([podWantsNode(p, zoneA), podWantsNode(p, zoneB)]).toEqual([false, true]);
  });

  test('matchFields select by node name; an empty term matches nothing', () => {
    expect(podWantsNode(pod({ terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }] }), zoneB)).toBe(true);
    expect(podWantsNode(pod({ terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }] }), zoneA)).toBe(false);
    expect(podWantsNode(pod({ terms: [{}] }), zoneA)).toBe(false);
  });

  test('nodeSelector and affinity must both hold', () => {
    const p = pod({ nodeSelector: { disk: 'ssd' }, terms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] });
    expect([podWantsNode(p, zoneA), podWantsNode(p, zoneB)]).toEqual([false, false]);
  });
});

test('describeNodeConstraints names the selector and each required term', () => {
  const p = pod({
    nodeSelector: { disk: 'ssd' },
    terms: [
      {
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['a', 'b'] },
          { key: 'gpu', operator: 'DoesNotExist' },
        ],
      },
      { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['c'] }] },
    ],
  });
  expect(describeNodeConstraints(p)).toBe('nodeSelector disk=ssd; required affinity zone in (a,b) and gpu does not exist or metadata.name notin (c)');
});

test('constraintLabelKeys lists each label key once, without field keys', () => {
  const p = pod({
    nodeSelector: { disk: 'ssd' },
    terms: [
      {
        matchExpressions: [
          { key: 'zone', operator: 'Exists' },
          { key: 'disk', operator: 'Exists' },
        ],
        matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }],
      },
    ],
  });
  expect(constraintLabelKeys(p)).toEqual(['disk', 'zone']);
});

describe('nodesPodWants', () => {
  const named = (name: string) => ({ key: 'metadata.name', operator: 'In' as const, values: [name] });
  const nodes = [node('a', { zone: 'a' }), node('b', { zone: 'b' }), node('c', { zone: 'a' })];
  const byName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));

  test.each<[string, NodeSelectorTerm[] | undefined, readonly string[] | undefined]>([
    ["a DaemonSet pod's pin", [{ matchFields: [named('b')] }], ['b']],
    ['pins in several terms add up', [{ matchFields: [named('c')] }, { matchFields: [named('a')] }], ['c', 'a']],
    ['an empty term matches no node and names none', [{}, { matchFields: [named('a')] }], ['a']],
    [
      'a term without a pin may match any node',
      [{ matchFields: [named('a')] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }],
      undefined,
    ],
    ['NotIn on the name is no pin', [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['a'] }] }], undefined],
    ['no required affinity', undefined, undefined],
  ])('%s', (_, terms, names) => {
    expect(nodeNamesRequired(pod(terms === undefined ? {} : { terms }))).toEqual(names);
  });

  test.each<[string, { nodeSelector?: Record<string, string>; terms?: NodeSelectorTerm[] }]>([
    ['pinned', { terms: [{ matchFields: [named('c')] }] }],
    ['pinned in two terms, in node order', { terms: [{ matchFields: [named('c')] }, { matchFields: [named('a')] }] }],
    ['pinned to a node that does not exist', { terms: [{ matchFields: [named('z')] }] }],
    ['pinned, and the nodeSelector excludes the pin', { nodeSelector: { zone: 'b' }, terms: [{ matchFields: [named('c')] }] }],
    [
      'pinned and a label requirement in the same term',
      { terms: [{ matchFields: [named('a')], matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] },
    ],
    ['a label requirement only', { terms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] }],
  ])('%s: the same nodes as testing every node', (_, spec) => {
    const p = pod(spec);
    expect(nodesPodWants(p, nodes, (name) => byName.get(name))).toEqual(nodes.filter((n) => podWantsNode(p, n)));
  });
});
