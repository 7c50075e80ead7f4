import { codesIn as codes, only, runCheck, type CheckOutcome } from '../../../test/support/check-harness';
import { CATALOGUE } from '../catalogue';
import type { KubeObject } from '../snapshot';
import { podScheduling } from './pod-scheduling';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const NOT_HELPFUL = 'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';

/** The pod under test, Pending with the scheduler's message on PodScheduled. */
function pending(message: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', resourceVersion: '1' },
    spec: { containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu: '500m' } } }], ...spec },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] },
  } as KubeObject;
}

function node(
  name: string,
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = {},
  allocatable: Record<string, string> = { cpu: '1', memory: '4Gi', pods: '110' },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, resourceVersion: '1', labels },
    spec,
    status: { allocatable },
  } as KubeObject;
}

function running(name: string, nodeName: string, cpu: string, volumes: readonly unknown[] = []): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '1' },
    spec: { nodeName, containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu } } }], volumes },
    status: { phase: 'Running' },
  } as KubeObject;
}

function claim(name: string, phase: string, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'shop', uid: `uid-pvc-${name}`, resourceVersion: '1', ...metadata },
    spec: { storageClassName: 'gp3' },
    status: { phase },
  } as KubeObject;
}

const withClaim = (claimName: string) => ({ volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] });

/** Runs pod.scheduling on the first object (a pod); kinds in `forbidden` cannot be read. */
const run = (objects: readonly KubeObject[], forbidden: readonly string[] = []): CheckOutcome => runCheck(podScheduling, 'Pod', objects, NOW, forbidden);

describe('pod.scheduling', () => {
  test('codes: every rule code, and only catalogued ones', () => {
    expect([...podScheduling.codes].sort()).toEqual(
      [
        'SchedulingGated',
        'InsufficientResources',
        'TooManyPods',
        'UntoleratedTaint',
        'NodeAffinityMismatch',
        'PodAffinityUnsatisfied',
        'PodAntiAffinityConflict',
        'TopologySpreadUnsatisfiable',
        'HostPortConflict',
        'NodesUnschedulable',
        'NoNodes',
        'UnboundPersistentVolumeClaim',
        'PersistentVolumeClaimNotFound',
        'VolumeNodeAffinityConflict',
        'NodeNameMismatch',
        'Unschedulable',
      ].sort(),
    );
    for (const code of podScheduling.codes) expect(Object.keys(CATALOGUE)).toContain(code);
  });

  test('a pod with a node is not examined', () => {
    expect(run([pending('0/1 nodes are available: 1 Insufficient cpu.', { nodeName: 'node-a' }), node('node-a')]).findings).toEqual([]);
  });

  test('a pod the scheduler has not refused yet is not examined', () => {
    const fresh = { ...pending(''), status: { phase: 'Pending' } } as KubeObject;
    expect(run([fresh, node('node-a')]).findings).toEqual([]);
  });

  test('only the primary cause carries the chain and the confidence', () => {
    const message = "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.";
    const outcome = run([
      pending(message, { nodeSelector: { pool: 'web' } }),
      node('node-a', {}, { pool: 'web' }),
      node('node-b'),
      running('busy', 'node-a', '900m'),
    ]);
    expect(codes(outcome)).toEqual(['InsufficientResources', 'NodeAffinityMismatch']);
    expect(outcome.findings.map((f) => f.chain !== undefined)).toEqual([true, false]);
  });
});

describe('schedulingGated rule', () => {
  test('gates keep the pod out of the queue', () => {
    const gated = { ...pending(''), spec: { schedulingGates: [{ name: 'example.com/quota' }], containers: [] }, status: { phase: 'Pending' } } as KubeObject;
    const finding = only(run([gated]));
    expect(finding.code).toBe('SchedulingGated');
    expect(finding.message).toContain('scheduling gate(s) example.com/quota');
  });

  test('no gates: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Too many pods.'), node('node-a')]))).not.toContain('SchedulingGated');
  });
});

describe('insufficientResources rule', () => {
  test('names the node with the most free and how much', () => {
    const finding = only(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a'), running('busy', 'node-a', '900m')]));
    expect(finding.code).toBe('InsufficientResources');
    expect(finding.message).toBe('Pod shop/web requests 500m cpu; the most free on a node that fits its other requests is 100m (node-a)');
  });

  test('a request above what every usable node allocates: no node frees enough, and the largest is named', () => {
    const big = { containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu: '4' } } }], nodeSelector: { pool: 'web' } };
    const message = "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.";
    const outcome = run([
      pending(message, big),
      node('node-a', {}, { pool: 'web' }, { cpu: '1', memory: '4Gi', pods: '110' }),
      node('node-b', {}, { pool: 'web' }, { cpu: '2', memory: '4Gi', pods: '110' }),
      // Larger, but the selector keeps the pod off it: not a node it may run on.
      node('node-c', {}, {}, { cpu: '8', memory: '4Gi', pods: '110' }),
    ]);
    const finding = outcome.findings.find((f) => f.code === 'InsufficientResources');
    expect(finding?.message).toBe('Pod shop/web requests 4 cpu, more than any node it may run on allocates: at most 2 (node-b)');
    expect(finding?.nextActions.map((a) => a.description)).toContain("Lower the pod's cpu request or add a node that allocates 4 cpu");
  });

  test('a resource no usable node allocates at all: none', () => {
    const gpu = { containers: [{ name: 'app', image: 'app:1', resources: { requests: { 'nvidia.com/gpu': '1' } } }] };
    const finding = only(run([pending('0/1 nodes are available: 1 Insufficient nvidia.com/gpu.', gpu), node('node-a')]));
    expect(finding.message).toBe('Pod shop/web requests 1 nvidia.com/gpu, more than any node it may run on allocates: none');
  });

  test('nodes unreadable: the scheduler count, and no node named', () => {
    const finding = only(run([pending('0/3 nodes are available: 3 Insufficient cpu.')], ['Node']));
    expect(finding.message).toContain("which 3 node(s) lack, by the scheduler's count (nodes could not be read");
  });

  test('another cause: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Too many pods.'), node('node-a')]))).not.toContain('InsufficientResources');
  });
});

describe('tooManyPods rule', () => {
  test('the node runs as many pods as it allows', () => {
    const full = node('node-a', {}, {}, { cpu: '4', pods: '1' });
    const finding = only(run([pending('0/1 nodes are available: 1 Too many pods.'), full, running('other', 'node-a', '100m')]));
    expect(finding.code).toBe('TooManyPods');
    expect(finding.message).toContain('(e.g. node-a: 1 pods)');
  });

  test('another cause: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a')]))).not.toContain('TooManyPods');
  });
});

describe('untoleratedTaint rule', () => {
  const message = '0/1 nodes are available: 1 node(s) had untolerated taint(s).';

  test('names the taint and offers to remove it', () => {
    const finding = only(run([pending(message), node('node-a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })]));
    expect(finding.code).toBe('UntoleratedTaint');
    expect(finding.message).toBe('Pod shop/web does not tolerate taint dedicated=gpu:NoSchedule on 1 node(s) (e.g. node-a)');
    expect(finding.nextActions.some((a) => a.command === 'kubectl taint nodes node-a dedicated=gpu:NoSchedule-')).toBe(true);
  });

  test('a system taint is never offered for removal', () => {
    const finding = only(run([pending(message), node('node-a', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })]));
    expect(finding.nextActions.map((a) => a.safety)).not.toContain('Mutating');
  });

  test('only the cordon taint: the nodes are cordoned', () => {
    const cordoned = node('node-a', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
    const finding = only(run([pending(message), cordoned]));
    expect(finding.code).toBe('NodesUnschedulable');
    expect(finding.nextActions.map((a) => a.command)).toContain('kubectl uncordon node-a');
  });

  test('taints only on nodes the selector rules out: context, Info', () => {
    const both = "0/2 nodes are available: 1 node(s) had untolerated taint(s), 1 node(s) didn't match Pod's node affinity/selector.";
    const outcome = run([
      pending(both, { nodeSelector: { pool: 'web' } }),
      node('node-a', {}, { pool: 'web' }),
      node('node-b', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    ]);
    const taint = outcome.findings.find((f) => f.code === 'UntoleratedTaint');
    expect(taint?.severity).toBe('Info');
    expect(taint?.message).toContain("but the pod's node selector/affinity rules them out anyway");
  });

  test('another cause: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a')]))).not.toContain('UntoleratedTaint');
  });
});

describe('nodeAffinityMismatch rule', () => {
  const message = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";

  test('no node matches the selector: the blocker, anchored on the selector', () => {
    const finding = only(run([pending(message, { nodeSelector: { disk: 'ssd' } }), node('node-a')]));
    expect(finding.code).toBe('NodeAffinityMismatch');
    expect(finding.severity).toBe('Critical');
    expect(finding.message).toBe('No node matches the node selector/affinity of Pod shop/web (nodeSelector disk=ssd)');
    expect(finding.nextActions.map((a) => a.command)).toContain('kubectl get nodes -L disk');
  });

  test('some node matches: context, Info', () => {
    const finding = only(run([pending(message, { nodeSelector: { disk: 'ssd' } }), node('node-a', {}, { disk: 'ssd' }), node('node-b')]));
    expect(finding.severity).toBe('Info');
    expect(finding.message).toBe('1 node(s) do not match the node selector/affinity of Pod shop/web; 1 do');
  });

  test('another cause: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a')]))).not.toContain('NodeAffinityMismatch');
  });
});

describe('nodesUnschedulable rule', () => {
  test('cordoned nodes, named, with uncordon offered', () => {
    const finding = only(run([pending('0/1 nodes are available: 1 node(s) were unschedulable.'), node('node-a', { unschedulable: true })]));
    expect(finding.code).toBe('NodesUnschedulable');
    expect(finding.message).toBe('1 node(s) are cordoned (unschedulable): node-a');
    expect(finding.nextActions.map((a) => a.command)).toContain('kubectl uncordon node-a');
  });

  test('another cause: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a')]))).not.toContain('NodesUnschedulable');
  });
});

describe('noNodes rule', () => {
  test('a cluster without nodes', () => {
    expect(only(run([pending('0/0 nodes are available.')])).code).toBe('NoNodes');
  });

  test('with nodes: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a')]))).not.toContain('NoNodes');
  });
});

describe('persistentVolumeClaimNotFound rule', () => {
  const message = (claimName: string) => `0/1 nodes are available: persistentvolumeclaim "${claimName}" not found. ${NOT_HELPFUL}`;

  test('the claim does not exist', () => {
    const finding = only(run([pending(message('data'), withClaim('data')), node('node-a')]));
    expect(finding.code).toBe('PersistentVolumeClaimNotFound');
    expect(finding.confidence).toBe(1);
    expect(finding.message).toBe('Pod shop/web mounts PersistentVolumeClaim "data", which does not exist');
  });

  test('the claim exists now: the scheduler message is stale', () => {
    const finding = only(run([pending(message('data'), withClaim('data')), node('node-a'), claim('data', 'Bound')]));
    expect(finding.confidence).toBe(0.5);
    expect(finding.message).toContain('it exists now, so the pod should be retried');
  });

  test('the claim is being deleted and held by pvc-protection for a scheduled pod', () => {
    const deleting = claim('data', 'Bound', { deletionTimestamp: '2026-11-21T11:00:00Z', finalizers: ['kubernetes.io/pvc-protection'] });
    const holder = running('old', 'node-a', '100m', [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]);
    const deletedMessage = `0/1 nodes are available: persistentvolumeclaim "data" is being deleted. ${NOT_HELPFUL}`;
    const finding = only(run([pending(deletedMessage, withClaim('data')), node('node-a'), deleting, holder]));
    expect(finding.message).toContain(
      'which is being deleted, so the scheduler will not place the pod; the kubernetes.io/pvc-protection finalizer holds the claim while scheduled pods use it (old on node-a)',
    );
  });

  test('another cause: not this rule', () => {
    expect(codes(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a')]))).not.toContain('PersistentVolumeClaimNotFound');
  });
});

describe('unboundPersistentVolumeClaim rule', () => {
  const message = `0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${NOT_HELPFUL}`;

  test('the pod waits for its claim, and the chain continues at the unbound claim', () => {
    const outcome = run([pending(message, withClaim('data')), node('node-a'), claim('data', 'Pending')]);
    expect(only(outcome).code).toBe('UnboundPersistentVolumeClaim');
    expect(outcome.followed).toEqual(['data']);
  });

  test('another cause: not this rule, and nothing followed', () => {
    const outcome = run([pending('0/1 nodes are available: 1 Insufficient cpu.', withClaim('data')), node('node-a'), claim('data', 'Pending')]);
    expect(codes(outcome)).not.toContain('UnboundPersistentVolumeClaim');
    expect(outcome.followed).toEqual([]);
  });
});

describe('unparsedReason rule', () => {
  test('a reason the grammar does not know is reported as Unschedulable, with little confidence', () => {
    const finding = only(run([pending('0/1 nodes are available: 1 node(s) had a brand new problem.'), node('node-a')]));
    expect(finding.code).toBe('Unschedulable');
    expect(finding.severity).toBe('Warning');
    expect(finding.confidence).toBe(0.3);
  });

  test('beside a known cause, an unparsed fragment is not reported', () => {
    const message = '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had a brand new problem.';
    expect(codes(run([pending(message), node('node-a'), node('node-b')]))).toEqual(['InsufficientResources']);
  });
});

describe('quotedReason rule', () => {
  test.each([
    ["node(s) didn't match pod anti-affinity rules", 'PodAntiAffinityConflict'],
    ["node(s) didn't match pod affinity rules", 'PodAffinityUnsatisfied'],
    ["node(s) didn't match pod topology spread constraints", 'TopologySpreadUnsatisfiable'],
    ["node(s) didn't have free ports for the requested pod ports", 'HostPortConflict'],
    ['node(s) had volume node affinity conflict', 'VolumeNodeAffinityConflict'],
    ["node(s) didn't match the requested node name", 'NodeNameMismatch'],
  ])('%s: the scheduler word, as %s', (reason, code) => {
    const finding = only(run([pending(`0/1 nodes are available: 1 ${reason}.`), node('node-a')]));
    expect(finding.code).toBe(code);
    expect(finding.confidence).toBe(0.85);
    expect(finding.message).toBe(`Pod shop/web cannot be scheduled: ${reason}`);
  });

  test('a reason another rule explains: not this rule', () => {
    expect(only(run([pending('0/1 nodes are available: 1 Insufficient cpu.'), node('node-a')])).message).not.toContain('cannot be scheduled');
  });
});
