import { MemorySnapshot } from '../memory-snapshot';
import { Investigation } from '../investigation';
import type { Node, Pod } from '../objects';
import { freeOn, keepsOff, podRequest, tolerates } from './node-fit';

const NOW = new Date('2026-11-21T12:00:00.000Z');

function pod(name: string, spec: NonNullable<Pod['spec']>, phase = 'Running'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', uid: `uid-${name}` }, spec, status: { phase } };
}

const requesting = (cpu: string) => ({ name: 'c', image: 'app:1', resources: { requests: { cpu } } });

describe('podRequest (AggregateContainerRequests)', () => {
  test('containers add up, plus overhead', () => {
    expect(podRequest(pod('p1', { containers: [requesting('250m'), requesting('250m')], overhead: { cpu: '100m' } }), 'cpu')).toBeCloseTo(0.6);
  });

  test('an init container counts only when it is larger than the containers', () => {
    expect(podRequest(pod('p2', { containers: [requesting('250m')], initContainers: [requesting('1')] }), 'cpu')).toBeCloseTo(1);
    expect(podRequest(pod('p3', { containers: [requesting('2')], initContainers: [requesting('1')] }), 'cpu')).toBeCloseTo(2);
  });

  test('a sidecar (restartPolicy Always) adds to the containers and to the init containers after it', () => {
    const sidecar = { ...requesting('500m'), restartPolicy: 'Always' };
    expect(podRequest(pod('p4', { containers: [requesting('1')], initContainers: [sidecar, requesting('1')] }), 'cpu')).toBeCloseTo(1.5);
  });
});

describe('tolerates and keepsOff (TaintToleration)', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

  test.each([
    [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
    [{ key: 'dedicated', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'dedicated', operator: 'Equal', value: 'cpu' }, false],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
  ])('%j: %s', (toleration, expected) => {
    expect(tolerates([toleration], taint)).toBe(expected);
  });

  test('only NoSchedule and NoExecute keep a pod off; PreferNoSchedule does not', () => {
    expect(keepsOff([], taint)).toBe(true);
    expect(keepsOff([], { ...taint, effect: 'PreferNoSchedule' })).toBe(false);
    expect(keepsOff([{ operator: 'Exists' }], taint)).toBe(false);
  });
});

describe('freeOn', () => {
  test('allocatable minus the requests of the node pods that still run', () => {
    const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-node-a' }, status: { allocatable: { cpu: '2' } } };
    const running = pod('running', { nodeName: 'node-a', containers: [requesting('500m')] });
    const done = pod('done', { nodeName: 'node-a', containers: [requesting('1')] }, 'Succeeded');
    const inv = new Investigation(new MemorySnapshot([node, running, done]), NOW);
    expect(freeOn(inv, node, 'cpu')).toBeCloseTo(1.5);
  });
});
