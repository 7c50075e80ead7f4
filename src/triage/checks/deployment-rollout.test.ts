import { MemorySnapshot } from '../memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { deploymentRollout } from './deployment-rollout';

// The Deployment rollout's rules, each on a minimal cluster: a Deployment `web` of 2 replicas whose
// newest ReplicaSet (revision 2) replaces `web-1`.

const NOW = new Date('2026-11-21T12:00:00.000Z');
const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }];

function deployment(spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', generation: 2, resourceVersion: '1' },
    spec: { replicas: 2, ...spec },
    status: { observedGeneration: 2, ...status },
  } as KubeObject;
}

function replicaSet(name: string, revision: number, replicas: number, ready = replicas): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion: '1',
      annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: owner,
    },
    spec: { replicas: 2 },
    status: { replicas, readyReplicas: ready },
  } as KubeObject;
}

function failedCreate(rs: string, message: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${rs}.failedcreate`, namespace: 'shop', uid: `uid-ev-${rs}`, resourceVersion: '1' },
    involvedObject: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: rs, uid: `uid-${rs}` },
    reason: 'FailedCreate',
    type: 'Warning',
    message,
    count: 4,
    lastTimestamp: '2026-11-21T11:59:00Z',
  } as KubeObject;
}

function pod(name: string, ownerName: string, ready: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: '2026-11-21T11:00:00Z',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: ownerName, uid: `uid-${ownerName}`, controller: true }],
    },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'app:2' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', ...ready }] },
  } as KubeObject;
}

const progressing = (status: string, reason: string, extra: Record<string, unknown> = {}) => ({ type: 'Progressing', status, reason, ...extra });
const REFUSED = 'Error creating: pods "web-2-x" is forbidden: error looking up service account shop/web: serviceaccount "web" not found';
/** Mid-rollout: one of two replicas updated, none of the new ones ready yet. */
const midRollout = { replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 };

/** Runs the check on the Deployment (first object): what it reported and which objects it followed. */
function run(objects: readonly KubeObject[]): { candidates: Candidate[]; followed: string[] } {
  const [subject] = objects;
  if (subject === undefined) throw new Error('no subject');
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  const followed: string[] = [];
  deploymentRollout.run(
    { inv, follow: (kind, object) => followed.push(`${kind}/${object.metadata?.name ?? ''}`) },
    subject,
    [] as readonly ObjectRef[],
    'Deployment',
  );
  // Every code a rule reports is one the check declares.
  expect(deploymentRollout.codes).toEqual(expect.arrayContaining(inv.candidates.map((c) => c.code)));
  return { candidates: inv.candidates, followed };
}

const codes = (objects: readonly KubeObject[]) => run(objects).candidates.map((c) => c.code);

describe('deployment.rollout rules', () => {
  test('a finished rollout with every replica available reports and follows nothing', () => {
    const done = deployment(
      {},
      { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [progressing('True', 'NewReplicaSetAvailable')] },
    );
    expect(run([done, replicaSet('web-2', 2, 2)])).toEqual({ candidates: [], followed: [] });
  });

  describe('failedCreate: a ReplicaSet short of pods with a FailedCreate', () => {
    test('reports the refusal, chained through the ReplicaSet, and no "in progress" beside it', () => {
      const { candidates, followed } = run([deployment({}, midRollout), replicaSet('web-1', 1, 2), replicaSet('web-2', 2, 0), failedCreate('web-2', REFUSED)]);
      expect(candidates.map((c) => c.code)).toEqual(['PodCreationFailed']);
      expect(candidates[0]?.chain?.map((r) => `${r.kind}/${r.name}`)).toEqual(['Deployment/web', 'ReplicaSet/web-2']);
      expect(followed).toEqual(['ReplicaSet/web-2']);
    });

    test('a ReplicaSet that has its pods: its old FailedCreate is history', () => {
      expect(codes([deployment({}, midRollout), replicaSet('web-2', 2, 2, 0), failedCreate('web-2', REFUSED)])).toEqual(['RolloutInProgress']);
    });
  });

  describe("replicaFailure: the Deployment's ReplicaFailure condition once the Events have expired", () => {
    const failure = (reason: string) => ({ type: 'ReplicaFailure', status: 'True', reason, message: REFUSED.replace('Error creating: ', '') });

    test('reports the refusal from the condition, cited', () => {
      const { candidates } = run([deployment({}, { ...midRollout, conditions: [failure('FailedCreate')] }), replicaSet('web-2', 2, 0)]);
      const refusal = candidates.find((c) => c.code === 'PodCreationFailed');
      expect(refusal?.message).toContain('serviceaccount "web" not found');
      expect(refusal?.anchors).toHaveLength(1);
    });

    test('a ReplicaFailure for another reason is no creation failure', () => {
      expect(codes([deployment({}, { ...midRollout, conditions: [failure('FailedDelete')] }), replicaSet('web-2', 2, 0)])).toEqual(['RolloutInProgress']);
    });
  });

  describe('rolloutPaused', () => {
    test('a paused Deployment: the resume action, before any deadline', () => {
      const { candidates } = run([
        deployment({ paused: true }, { ...midRollout, conditions: [progressing('False', 'ProgressDeadlineExceeded')] }),
        replicaSet('web-2', 2, 1, 0),
      ]);
      expect(candidates.map((c) => c.code)).toEqual(['RolloutPaused']);
      expect(candidates[0]?.nextActions.map((a) => a.command)).toContain('kubectl rollout resume deployment/web -n shop');
    });

    test('not paused: not reported', () => {
      expect(codes([deployment({ paused: false }, midRollout), replicaSet('web-2', 2, 1, 0)])).not.toContain('RolloutPaused');
    });
  });

  describe('progressDeadlineExceeded', () => {
    const stuck = pod('web-2-a', 'web-2', { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });

    test('names a stuck new pod and offers the rollback to the previous ReplicaSet', () => {
      const condition = progressing('False', 'ProgressDeadlineExceeded', { message: 'ReplicaSet "web-2" has timed out progressing.' });
      const { candidates } = run([
        deployment({ progressDeadlineSeconds: 300 }, { ...midRollout, conditions: [condition] }),
        replicaSet('web-1', 1, 2),
        replicaSet('web-2', 2, 1, 0),
        stuck,
      ]);
      expect(candidates.map((c) => c.code)).toEqual(['ProgressDeadlineExceeded']);
      expect(candidates[0]?.message).toBe(
        'Deployment shop/web made no progress within its 300s progress deadline (ReplicaSet "web-2" has timed out progressing.): 1/2 replicas updated (ReplicaSet web-2, 0 of them ready), 2 ready in all; e.g. Pod web-2-a is not Ready (ContainersNotReady: containers with unready status: [app])',
      );
      expect(candidates[0]?.anchors).toHaveLength(3);
      expect(candidates[0]?.nextActions.map((a) => a.command)).toContain('kubectl rollout undo deployment/web -n shop');
    });

    test('still progressing: no deadline finding', () => {
      expect(codes([deployment({}, { ...midRollout, conditions: [progressing('True', 'ReplicaSetUpdated')] }), replicaSet('web-2', 2, 1, 0), stuck])).toEqual([
        'RolloutInProgress',
      ]);
    });
  });

  describe('replicasUnavailable', () => {
    test('a finished rollout that lost replicas since', () => {
      const { candidates } = run([
        deployment(
          {},
          { replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1, conditions: [progressing('True', 'NewReplicaSetAvailable')] },
        ),
        replicaSet('web-2', 2, 2, 1),
      ]);
      expect(candidates.map((c) => [c.code, c.message])).toEqual([
        ['ReplicasUnavailable', 'Deployment shop/web finished its rollout but has 1/2 replicas available'],
      ]);
    });

    test('a rollout that has not finished is not "unavailable"', () => {
      expect(codes([deployment({}, { ...midRollout, conditions: [progressing('True', 'ReplicaSetUpdated')] }), replicaSet('web-2', 2, 1, 0)])).not.toContain(
        'ReplicasUnavailable',
      );
    });
  });

  describe('rolloutInProgress', () => {
    test('within its deadline: benign, re-checked when the deadline passes', () => {
      const condition = progressing('True', 'ReplicaSetUpdated', { lastUpdateTime: '2026-11-21T11:58:00Z' });
      const { candidates } = run([deployment({}, { ...midRollout, conditions: [condition] }), replicaSet('web-2', 2, 1, 0)]);
      expect(candidates.map((c) => [c.code, c.benign, c.recheckAfterSeconds])).toEqual([['RolloutInProgress', true, 481]]);
      expect(candidates[0]?.message).toContain('its progress deadline (600s after 2026-11-21T11:58:00Z) has not passed');
    });

    test('a complete rollout held by a ReplicaFailure is not in progress', () => {
      const failure = { type: 'ReplicaFailure', status: 'True', reason: 'FailedDelete', message: 'x' };
      expect(
        codes([deployment({}, { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [failure] }), replicaSet('web-2', 2, 2)]),
      ).toEqual([]);
    });
  });
});
