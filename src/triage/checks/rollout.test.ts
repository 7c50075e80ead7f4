import { MemorySnapshot } from '../memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { Investigation } from '../investigation';
import type { KubeObject } from '../snapshot';
import type { CheckContext } from './check';
import { rolloutChecks } from './rollout';

function run(name: string, subject: KubeObject, objects: readonly KubeObject[] = [], now = '2026-11-21T12:00:00Z') {
  const inv = new Investigation(new MemorySnapshot([subject, ...objects]), new Date(now));
  const followed: { kind: string; name: string; chain: readonly ObjectRef[] }[] = [];
  const ctx: CheckContext = { inv, follow: (kind, object, chain) => followed.push({ kind, name: object.metadata?.name ?? '', chain }) };
  const check = rolloutChecks.find((c) => c.name === name);
  if (check === undefined) throw new Error(`no check ${name}`);
  check.run(ctx, subject, [], check.subject);
  return { candidates: inv.candidates, followed };
}

describe('rollout checks', () => {
  test('export the three named checks', () => {
    expect(rolloutChecks.map((c) => [c.name, c.subject])).toEqual([
      ['deployment.rollout', 'Deployment'],
      ['statefulset.rollout', 'StatefulSet'],
      ['daemonset.rollout', 'DaemonSet'],
    ]);
  });

  test('a paused Deployment mid-rollout is reported, and its new ReplicaSet still followed', () => {
    const deployment = {
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', uid: 'd1', generation: 3 },
      spec: { replicas: 2, paused: true },
      status: {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 1,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [{ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused' }],
      },
    };
    const rs = (name: string, revision: string) => ({
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: 'shop',
        uid: name,
        annotations: { 'deployment.kubernetes.io/revision': revision },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1' }],
      },
      spec: { replicas: 1 },
      status: { replicas: 1 },
    });
    const { candidates, followed } = run('deployment.rollout', deployment, [rs('web-a', '9'), rs('web-b', '10')]);
    expect(candidates.map((c) => c.code)).toEqual(['RolloutPaused']);
    expect(candidates[0]?.nextActions.find((a) => a.safety === 'Mutating')?.command).toBe('kubectl rollout resume deployment/web -n shop');
    // Newest by revision number, not by string order ("9" > "10").
    expect(followed.map((f) => f.name)).toEqual(['web-b']);
  });

  test('a StatefulSet whose pod waits briefly is in progress (benign, re-checked when the stall threshold ends)', () => {
    const set = {
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop', uid: 's1', generation: 1 },
      spec: { replicas: 2 },
      status: { observedGeneration: 1, replicas: 2, readyReplicas: 1, updatedReplicas: 2 },
    };
    const pod = {
      kind: 'Pod',
      metadata: {
        name: 'db-1',
        namespace: 'shop',
        uid: 'p1',
        creationTimestamp: '2026-11-21T11:58:00Z',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 's1' }],
      },
      status: { phase: 'Pending' },
    };
    const { candidates, followed } = run('statefulset.rollout', set, [pod]);
    expect(candidates.map((c) => [c.code, c.benign, c.recheckAfterSeconds])).toEqual([['RolloutInProgress', true, 481]]);
    expect(followed).toEqual([{ kind: 'Pod', name: 'db-1', chain: [expect.objectContaining({ kind: 'StatefulSet', name: 'db' })] }]);
  });

  test('a DaemonSet with every pod ready reports and follows nothing', () => {
    const set = {
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'ops', uid: 'ds1', generation: 2 },
      status: { observedGeneration: 2, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3, numberUnavailable: 0 },
    };
    expect(run('daemonset.rollout', set)).toEqual({ candidates: [], followed: [] });
  });
});
