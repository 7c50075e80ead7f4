import { MemorySnapshot } from '../memory-snapshot';
import type { ObjectRef } from '../../crds/envelope';
import { Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { statefulSetRollout } from './statefulset-rollout';

// The StatefulSet's own rule (its governing Service), in each of its roles; the rules it shares with
// DaemonSets are tested in rollout-pods.test.ts.

const NOW = new Date('2026-11-21T12:00:00.000Z');

function statefulSet(status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'shop', uid: 'uid-db', generation: 1, resourceVersion: '1' },
    spec: { replicas: 2, serviceName: 'db-headless' },
    status: { observedGeneration: 1, ...status },
  } as KubeObject;
}

const complete = { replicas: 2, readyReplicas: 2, updatedReplicas: 2 };
const headless = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'db-headless', namespace: 'shop', uid: 'uid-svc', resourceVersion: '1' },
  spec: { clusterIP: 'None' },
} as KubeObject;
const waitingPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'db-1',
    namespace: 'shop',
    uid: 'uid-db-1',
    resourceVersion: '1',
    creationTimestamp: '2026-11-21T11:58:00Z',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'uid-db', controller: true }],
  },
  status: { phase: 'Pending' },
} as KubeObject;
const refusal = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'db.failedcreate', namespace: 'shop', uid: 'uid-ev', resourceVersion: '1' },
  involvedObject: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'shop', name: 'db', uid: 'uid-db' },
  reason: 'FailedCreate',
  type: 'Warning',
  count: 2,
  lastTimestamp: '2026-11-21T11:59:00Z',
  message:
    'create Pod db-1 in StatefulSet db failed error: pods "db-1" is forbidden: exceeded quota: pod-count, requested: pods=1, used: pods=3, limited: pods=3',
} as KubeObject;

function run(objects: readonly KubeObject[]): Candidate[] {
  const [subject] = objects;
  if (subject === undefined) throw new Error('no subject');
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  statefulSetRollout.run({ inv, follow: () => undefined }, subject, [] as readonly ObjectRef[], 'StatefulSet');
  expect(statefulSetRollout.codes).toEqual(expect.arrayContaining(inv.candidates.map((c) => c.code)));
  return inv.candidates;
}

const serviceFinding = (candidates: readonly Candidate[]) => candidates.find((c) => c.code === 'StatefulSetServiceMissing');
const chainOf = (candidate: Candidate | undefined) => candidate?.chain?.map((r) => `${r.kind}/${r.name}`);

describe('statefulset.rollout: governingServiceMissing', () => {
  test('Only: a complete rollout whose Service is missing; the chain ends at the Service', () => {
    const candidates = run([statefulSet(complete)]);
    expect(candidates.map((c) => c.code)).toEqual(['StatefulSetServiceMissing']);
    expect(candidates[0]).toMatchObject({ confidence: 1 });
    expect(chainOf(candidates[0])).toEqual(['StatefulSet/db', 'Service/db-headless']);
  });

  test('BesidePods: pods are not Ready; the chain ends at the StatefulSet, so their own causes come first', () => {
    const finding = serviceFinding(run([statefulSet({ replicas: 2, readyReplicas: 1, updatedReplicas: 2 }), waitingPod]));
    expect(finding).toMatchObject({ confidence: 0.5 });
    expect(chainOf(finding)).toEqual(['StatefulSet/db']);
    expect(finding?.message).toContain('pods that find their peers by those names cannot become Ready');
  });

  test('Context: a creation failure explains the rollout; the Service is named without a chain', () => {
    const candidates = run([statefulSet({ replicas: 1, readyReplicas: 1, updatedReplicas: 1 }), refusal]);
    expect(candidates.map((c) => c.code)).toEqual(['QuotaExceeded', 'StatefulSetServiceMissing']);
    expect(serviceFinding(candidates)?.chain).toBeUndefined();
  });

  test('the Service exists: not reported', () => {
    expect(run([statefulSet(complete), headless])).toEqual([]);
    expect(serviceFinding(run([statefulSet({ replicas: 2, readyReplicas: 1, updatedReplicas: 2 }), waitingPod, headless]))).toBeUndefined();
  });
});
