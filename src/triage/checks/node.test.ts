import { Investigation } from '../investigation';
import type { Node } from '../objects';
import type { ClusterSnapshot } from '../snapshot';
import { nodeHealth } from './node';

const empty: ClusterSnapshot = { availability: () => 'Synced', get: () => undefined, list: () => [], byIndex: () => [] };

function codes(node: Node): string[] {
  const inv = new Investigation(empty, new Date('2026-11-21T12:00:00Z'));
  nodeHealth.run({ inv, follow: () => undefined }, node, [], 'Node');
  return inv.candidates.map((c) => c.code);
}

const healthy = [
  { type: 'MemoryPressure', status: 'False' },
  { type: 'DiskPressure', status: 'False' },
  { type: 'PIDPressure', status: 'False' },
  { type: 'Ready', status: 'True' },
];

describe('node.health', () => {
  test('a healthy node reports nothing', () => {
    expect(codes({ kind: 'Node', metadata: { name: 'n1' }, status: { conditions: healthy } })).toEqual([]);
  });

  test('vendor custom conditions are benign, whatever their status', () => {
    const conditions = [...healthy, { type: 'GPUHealthy', status: 'False' }, { type: 'ExampleVendorMaintenance', status: 'True' }];
    expect(codes({ kind: 'Node', metadata: { name: 'n1' }, status: { conditions } })).toEqual([]);
  });

  test("node-problem-detector's problem conditions are findings: a hung kernel a fault, restart counters a note", () => {
    const conditions = [...healthy, { type: 'KernelDeadlock', status: 'True', reason: 'DockerHung' }, { type: 'FrequentKubeletRestart', status: 'True' }, { type: 'ReadonlyFilesystem', status: 'False' }];
    expect(codes({ kind: 'Node', metadata: { name: 'n1' }, status: { conditions } })).toEqual(['NodeProblemDetected', 'NodeProblemDetected']);
  });

  test('Unknown pressure conditions of a silent kubelet are the NotReady finding, not pressure', () => {
    const conditions = [
      { type: 'MemoryPressure', status: 'Unknown', reason: 'NodeStatusUnknown' },
      { type: 'DiskPressure', status: 'Unknown', reason: 'NodeStatusUnknown' },
      { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' },
    ];
    expect(codes({ kind: 'Node', metadata: { name: 'n1' }, status: { conditions } })).toEqual(['NodeNotReady']);
  });

  test('one finding per fault on the same node', () => {
    const conditions = [...healthy.filter((c) => c.type !== 'MemoryPressure'), { type: 'MemoryPressure', status: 'True' }];
    expect(codes({ kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true }, status: { conditions } })).toEqual(['MemoryPressure', 'NodeCordoned']);
  });
});
