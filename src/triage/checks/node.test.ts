import { MemorySnapshot } from '../memory-snapshot';
import { Investigation, type Candidate } from '../investigation';
import type { Node } from '../objects';
import type { ClusterSnapshot, KubeObject } from '../snapshot';
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
    const conditions = [
      ...healthy,
      { type: 'KernelDeadlock', status: 'True', reason: 'DockerHung' },
      { type: 'FrequentKubeletRestart', status: 'True' },
      { type: 'ReadonlyFilesystem', status: 'False' },
    ];
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
    expect(codes({ kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true }, status: { conditions } })).toEqual([
      'MemoryPressure',
      'NodeCordoned',
    ]);
  });
});

const NOW = new Date('2026-11-21T12:00:00.000Z');

/** Runs node.health on the first object (a Node) of a cluster. */
function findings(objects: readonly KubeObject[]): Candidate[] {
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  const subject = objects[0];
  if (subject === undefined) throw new Error('no subject');
  nodeHealth.run({ inv, follow: () => undefined }, subject, [], 'Node');
  // Every code the check reports is one it declares.
  for (const c of inv.candidates) expect(nodeHealth.codes).toContain(c.code);
  return inv.candidates;
}

function node(conditions: readonly Record<string, unknown>[], spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'uid-n1', resourceVersion: '1' }, spec, status: { conditions } } as KubeObject;
}

/** The node's Lease, last renewed `secondsAgo` before the run (held for `durationSeconds` when given). */
function lease(name: string, secondsAgo: number, durationSeconds?: number): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease', uid: `uid-lease-${name}`, resourceVersion: '1' },
    spec: {
      holderIdentity: name,
      renewTime: new Date(NOW.getTime() - secondsAgo * 1000).toISOString(),
      ...(durationSeconds === undefined ? {} : { leaseDurationSeconds: durationSeconds }),
    },
  } as KubeObject;
}

function podOn(name: string, phase: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '1' },
    spec: { nodeName: 'n1', containers: [] },
    status: { phase },
  } as KubeObject;
}

const notReadyTaints = [
  { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
];

describe('node.health rule NodeNotReady (silent kubelet)', () => {
  test('Ready, but the Lease was last renewed more than the grace period ago', () => {
    const found = findings([node(healthy), lease('n1', 120)]);
    expect(found.map((c) => c.code)).toEqual(['NodeNotReady']);
    expect(found[0]?.confidence).toBe(0.8);
    expect(found[0]?.message).toContain('still reports Ready, but its kubelet has not renewed its Lease since 2026-11-21T11:58:00.000Z');
  });

  test('does not fire while the Lease is fresh', () => {
    expect(findings([node(healthy), lease('n1', 10)])).toEqual([]);
  });

  test('a Lease held longer than the grace period (a kubelet with a long nodeLeaseDurationSeconds) is silent only past its own duration', () => {
    expect(findings([node(healthy), lease('n1', 120, 300)])).toEqual([]);
    const found = findings([node(healthy), lease('n1', 400, 300)]);
    expect(found.map((c) => c.code)).toEqual(['NodeNotReady']);
    expect(found[0]?.message).toContain('(more than 300s)');
  });

  test('does not fire when every Lease trails alike (a stalled watch, not a silent kubelet)', () => {
    expect(findings([node(healthy), lease('n1', 300), lease('n2', 300)])).toEqual([]);
  });
});

describe('node.health rule NodeNotReady', () => {
  test('Ready=False: the reason, the pods at stake and the lifecycle taints, one entry per key', () => {
    const ready = {
      type: 'Ready',
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime network not ready',
      lastTransitionTime: '2026-11-21T11:50:00Z',
    };
    const found = findings([node([ready], { taints: notReadyTaints }), lease('n1', 5), podOn('web-1', 'Running'), podOn('job-1', 'Succeeded')]);
    expect(found.map((c) => c.code)).toEqual(['NodeNotReady']);
    expect(found[0]?.confidence).toBe(1);
    expect(found[0]?.message).toBe(
      'Node n1 is NotReady (Ready=False: container runtime network not ready) since 2026-11-21T11:50:00Z; 1 pod(s) bound to it are evicted once their tolerations expire; tainted node.kubernetes.io/not-ready:NoSchedule+NoExecute',
    );
  });

  test('Ready=Unknown: when the kubelet last spoke, by status and by Lease', () => {
    const ready = { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', lastHeartbeatTime: '2026-11-21T11:40:00Z' };
    const found = findings([node([ready]), lease('n1', 600)]);
    expect(found.map((c) => c.code)).toEqual(['NodeNotReady']);
    expect(found[0]?.message).toContain('last status at 2026-11-21T11:40:00Z; Lease last renewed at 2026-11-21T11:50:00.000Z; 0 pod(s) bound to it');
  });

  test('does not fire on a Ready node', () => {
    expect(findings([node(healthy), lease('n1', 5)])).toEqual([]);
  });
});

describe('node.health rule NodeProblemDetected', () => {
  test("a default monitor's problem is Critical; a restart counter is a benign note", () => {
    const found = findings([
      node([...healthy, { type: 'ReadonlyFilesystem', status: 'True', reason: 'FilesystemIsReadOnly' }, { type: 'FrequentContainerdRestart', status: 'True' }]),
    ]);
    expect(found.map((c) => [c.code, c.severity, c.benign])).toEqual([
      ['NodeProblemDetected', 'Critical', undefined],
      ['NodeProblemDetected', 'Info', true],
    ]);
  });

  test('does not fire when the problem condition is False', () => {
    expect(findings([node([...healthy, { type: 'KernelDeadlock', status: 'False' }])])).toEqual([]);
  });
});

describe('node.health pressure rules', () => {
  test.each([
    ['MemoryPressure', 'Warning', 'node.kubernetes.io/memory-pressure'],
    ['DiskPressure', 'Warning', 'node.kubernetes.io/disk-pressure'],
    ['PIDPressure', 'Warning', 'node.kubernetes.io/pid-pressure'],
    ['NetworkUnavailable', 'Critical', 'node.kubernetes.io/network-unavailable'],
  ])('%s=True is reported as %s', (type, severity, taint) => {
    const conditions = [...healthy.filter((c) => c.type !== type), { type, status: 'True', reason: 'Reported' }];
    const found = findings([node(conditions, { taints: [{ key: taint, effect: 'NoSchedule' }] })]);
    expect(found.map((c) => `${c.code}:${c.severity}`)).toEqual([`${type}:${severity}`]);
    expect(found[0]?.anchors).toHaveLength(3);
  });

  test.each(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'])('%s does not fire when False', (type) => {
    expect(findings([node([...healthy.filter((c) => c.type !== type), { type, status: 'False' }])])).toEqual([]);
  });
});

describe('node.health rule NodeCordoned', () => {
  test('spec.unschedulable is a Warning, often deliberate', () => {
    const found = findings([node(healthy, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] })]);
    expect(found.map((c) => `${c.code}:${c.severity}`)).toEqual(['NodeCordoned:Warning']);
    expect(found[0]?.anchors).toHaveLength(2);
  });

  test('does not fire on a schedulable node', () => {
    expect(findings([node(healthy, { unschedulable: false })])).toEqual([]);
  });
});
