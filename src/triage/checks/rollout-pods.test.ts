import { MemorySnapshot } from '../memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import type { Check } from './check';
import { daemonSetRollout } from './daemonset-rollout';
import { statefulSetRollout } from './statefulset-rollout';

// The rules StatefulSet and DaemonSet rollouts share (setCreateFailure, nodeNotReady, rolloutStalled,
// rolloutInProgress), on a DaemonSet `agent` that wants a pod on each of 2 nodes.

const NOW = new Date('2026-11-21T12:00:00.000Z');

function daemonSet(status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'ops', uid: 'uid-agent', generation: 1, resourceVersion: '1' },
    status: {
      observedGeneration: 1,
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      updatedNumberScheduled: 2,
      numberReady: 1,
      numberUnavailable: 1,
      ...status,
    },
  } as KubeObject;
}

/** A pod of the DaemonSet on `node`, not Ready since `since`. */
function notReadyPod(node: string, since: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `agent-${node}`,
      namespace: 'ops',
      uid: `uid-agent-${node}`,
      resourceVersion: '1',
      creationTimestamp: since,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true }],
    },
    spec: { nodeName: node, containers: [{ name: 'agent', image: 'agent:1' }] },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [agent]', lastTransitionTime: since },
      ],
    },
  } as KubeObject;
}

function node(name: string, ready: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1' },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: ready,
          reason: ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown',
          message: ready === 'True' ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
          lastTransitionTime: '2026-11-21T11:40:00Z',
        },
      ],
    },
  } as KubeObject;
}

const refusal = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'agent.failedcreate', namespace: 'ops', uid: 'uid-ev', resourceVersion: '1' },
  involvedObject: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'ops', name: 'agent', uid: 'uid-agent' },
  reason: 'FailedCreate',
  type: 'Warning',
  count: 2,
  lastTimestamp: '2026-11-21T11:59:00Z',
  message: 'Error creating: pods "agent-x" is forbidden: error looking up service account ops/agent: serviceaccount "agent" not found',
} as KubeObject;

const RECENT = '2026-11-21T11:58:00Z';
const LONG_AGO = '2026-11-21T11:30:00Z';

function run(check: Check, objects: readonly KubeObject[]): { candidates: Candidate[]; followed: string[] } {
  const [subject] = objects;
  if (subject === undefined) throw new Error('no subject');
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  const followed: string[] = [];
  check.run({ inv, follow: (kind, object) => followed.push(`${kind}/${object.metadata?.name ?? ''}`) }, subject, [] as readonly ObjectRef[], check.subject);
  expect(check.codes).toEqual(expect.arrayContaining(inv.candidates.map((c) => c.code)));
  return { candidates: inv.candidates, followed };
}

const codes = (objects: readonly KubeObject[]) => run(daemonSetRollout, objects).candidates.map((c) => c.code);

describe('daemonset.rollout', () => {
  test('every pod Ready and updated: nothing reported, nothing followed', () => {
    expect(run(daemonSetRollout, [daemonSet({ numberReady: 2, numberUnavailable: 0 })])).toEqual({ candidates: [], followed: [] });
  });
});

describe('setCreateFailure', () => {
  test('a set short of pods with a FailedCreate reports it, and no "in progress" beside it', () => {
    expect(codes([daemonSet({ currentNumberScheduled: 1 }), refusal])).toEqual(['PodCreationFailed']);
  });

  test('a set with all its pods: the FailedCreate is history', () => {
    expect(codes([daemonSet({}), refusal])).toEqual(['RolloutInProgress']);
  });

  test('a StatefulSet short of pods the same way', () => {
    const set = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'agent', namespace: 'ops', uid: 'uid-agent', resourceVersion: '1' },
      spec: { replicas: 2 },
      status: { replicas: 1 },
    } as KubeObject;
    const event = {
      ...refusal,
      involvedObject: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'ops', name: 'agent', uid: 'uid-agent' },
    } as KubeObject;
    expect(run(statefulSetRollout, [set, event]).candidates.map((c) => c.code)).toEqual(['PodCreationFailed']);
  });
});

describe('nodeNotReady', () => {
  test('a not-Ready pod on a NotReady node: the node is the cause (set → Pod → Node)', () => {
    const { candidates, followed } = run(daemonSetRollout, [daemonSet({}), notReadyPod('node-b', RECENT), node('node-b', 'Unknown')]);
    const finding = candidates.find((c) => c.code === 'NodeNotReady');
    expect(finding?.chain?.map((r) => `${r.kind}/${r.name}`)).toEqual(['DaemonSet/agent', 'Pod/agent-node-b', 'Node/node-b']);
    expect(finding?.message).toBe(
      'Pod ops/agent-node-b cannot be Ready: it runs on node node-b, which is NotReady (Ready=Unknown, NodeStatusUnknown: Kubelet stopped posting node status.) since 2026-11-21T11:40:00Z',
    );
    expect(followed).toEqual(['Pod/agent-node-b']);
  });

  test('on a Ready node: the pod checks say why, not the node', () => {
    expect(codes([daemonSet({}), notReadyPod('node-b', RECENT), node('node-b', 'True')])).not.toContain('NodeNotReady');
  });
});

describe('rolloutStalled and rolloutInProgress', () => {
  test('a pod not Ready for longer than the stall threshold: stalled, naming it', () => {
    const { candidates } = run(daemonSetRollout, [daemonSet({}), notReadyPod('node-b', LONG_AGO)]);
    expect(candidates.map((c) => c.code)).toEqual(['RolloutStalled']);
    expect(candidates[0]?.message).toBe(
      'DaemonSet ops/agent is not progressing: 1/2 pods ready, 1 unavailable, 2 updated; pod agent-node-b has not been Ready since 2026-11-21T11:30:00Z (ContainersNotReady: containers with unready status: [agent])',
    );
  });

  test('a pod not Ready for a short while: in progress, benign, re-checked when the threshold ends', () => {
    const { candidates } = run(daemonSetRollout, [daemonSet({}), notReadyPod('node-b', RECENT)]);
    expect(candidates.map((c) => [c.code, c.benign, c.recheckAfterSeconds])).toEqual([['RolloutInProgress', true, 481]]);
  });

  test('a creation failure explains a short wait: no "in progress" beside it', () => {
    const { candidates } = run(daemonSetRollout, [daemonSet({ currentNumberScheduled: 1 }), notReadyPod('node-b', RECENT), refusal]);
    expect(candidates.map((c) => c.code)).toEqual(['PodCreationFailed']);
  });
});
