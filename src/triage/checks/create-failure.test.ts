import { MemorySnapshot } from '../memory-snapshot';
import { Investigation, refOf, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { CREATE_FAILURE_CODES, reportCreateFailure, reportRefusedCreate } from './create-failure';

// The create-failure rules, one per refusal the apiserver's admission gives a pod creator; messages as
// Kubernetes 1.35 prints them (the grammar's own tests are in ../create-failure-message.test.ts).

const NOW = new Date('2026-11-21T12:00:00.000Z');

const replicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'api-1', namespace: 'shop', uid: 'uid-rs', resourceVersion: '1' },
  spec: { replicas: 2 },
  status: { replicas: 0 },
} as KubeObject;

const MESSAGES = {
  quota:
    'Error creating: pods "api-1-x" is forbidden: exceeded quota: compute, requested: limits.memory=1Gi, used: limits.memory=4Gi, limited: limits.memory=4Gi',
  quotaUnset: 'Error creating: pods "api-1-x" is forbidden: failed quota: compute: must specify limits.cpu for: api; limits.memory for: api',
  podSecurity: 'Error creating: pods "api-1-x" is forbidden: violates PodSecurity "baseline:v1.35": hostPort (container "api" uses hostPort 8080)',
  webhook:
    'Error creating: Internal error occurred: failed calling webhook "pods.policy.example.com": failed to call webhook: Post "https://policy-svc.policy.svc:443/validate?timeout=10s": context deadline exceeded',
  other: 'Error creating: pods "api-1-x" is forbidden: error looking up service account shop/api: serviceaccount "api" not found',
} as const;

const quota = {
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'compute', namespace: 'shop', uid: 'uid-quota', resourceVersion: '1' },
  spec: { hard: { 'limits.memory': '4Gi' } },
} as KubeObject;
const namespace = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'shop', uid: 'uid-ns', resourceVersion: '1', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
} as KubeObject;

/** Reports the create failure `message` of the ReplicaSet, with `objects` in the cache. */
function report(message: string, objects: readonly KubeObject[] = []): Candidate[] {
  const inv = new Investigation(new MemorySnapshot([replicaSet, ...objects]), NOW);
  reportCreateFailure(inv, { creatorKind: 'ReplicaSet', creator: replicaSet, chain: [refOf('ReplicaSet', replicaSet)], message, anchors: [], actions: [] });
  expect(CREATE_FAILURE_CODES).toEqual(expect.arrayContaining(inv.candidates.map((c) => c.code)));
  return inv.candidates;
}

const codes = (candidates: readonly Candidate[]) => candidates.map((c) => c.code);
const chainOf = (candidate: Candidate | undefined) => candidate?.chain?.map((r) => `${r.kind}/${r.name}`);

describe('create-failure rules: exactly one reports each refusal', () => {
  test('webhookFailing: a webhook the apiserver cannot call', () => {
    expect(codes(report(MESSAGES.webhook))).toEqual(['WebhookFailing']);
  });

  test('quotaExceeded: the pods would exceed a quota that exists (chain to it, its hard limit cited)', () => {
    const [finding] = report(MESSAGES.quota, [quota]);
    expect(finding).toMatchObject({ code: 'QuotaExceeded', severity: 'Critical', confidence: 0.95 });
    expect(finding?.message).toContain('they would exceed ResourceQuota compute (limits.memory: requested 1Gi, used 4Gi, limited 4Gi)');
    expect(chainOf(finding)).toEqual(['ReplicaSet/api-1', 'ResourceQuota/compute']);
    expect(finding?.anchors).toHaveLength(1);
  });

  test('quotaExceeded: a quota deleted since the Event is less sure, and says the next retry should pass', () => {
    const [finding] = report(MESSAGES.quota);
    expect(finding).toMatchObject({ code: 'QuotaExceeded', confidence: 0.6 });
    expect(finding?.message).toContain('no longer exists');
  });

  test('quotaUnset: the quota tracks resources the template does not set', () => {
    const [finding] = report(MESSAGES.quotaUnset, [quota]);
    expect(finding).toMatchObject({ code: 'QuotaExceeded', confidence: 0.9 });
    expect(finding?.message).toContain('must specify limits.cpu for: api; limits.memory for: api');
  });

  test('podSecurityRejected: the namespace enforces a level the template breaks (chain to the namespace)', () => {
    const [finding] = report(MESSAGES.podSecurity, [namespace]);
    expect(finding).toMatchObject({ code: 'PodSecurityRejected', confidence: 0.95 });
    expect(finding?.message).toContain('PodSecurity "baseline:v1.35" of namespace shop rejects them: hostPort. To comply: container "api" uses hostPort 8080');
    expect(chainOf(finding)).toEqual(['ReplicaSet/api-1', 'Namespace/shop']);
  });

  test('podCreationFailed: every other refusal is quoted', () => {
    const [finding] = report(MESSAGES.other);
    expect(finding).toMatchObject({
      code: 'PodCreationFailed',
      message:
        'ReplicaSet shop/api-1 cannot create pods: pods "api-1-x" is forbidden: error looking up service account shop/api: serviceaccount "api" not found',
    });
  });

  test.each([
    ['WebhookFailing', [MESSAGES.quota, MESSAGES.quotaUnset, MESSAGES.podSecurity, MESSAGES.other]],
    ['QuotaExceeded', [MESSAGES.webhook, MESSAGES.podSecurity, MESSAGES.other]],
    ['PodSecurityRejected', [MESSAGES.webhook, MESSAGES.quota, MESSAGES.other]],
    ['PodCreationFailed', [MESSAGES.webhook, MESSAGES.quota, MESSAGES.quotaUnset, MESSAGES.podSecurity]],
  ])('%s is not reported for the other refusals', (code, messages) => {
    for (const message of messages) expect(codes(report(message, [quota, namespace]))).not.toContain(code);
  });
});

describe('reportRefusedCreate (the workload checks)', () => {
  const event = (message: string) =>
    ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'api-1.failedcreate', namespace: 'shop', uid: 'uid-ev', resourceVersion: '1' },
      involvedObject: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'api-1', uid: 'uid-rs' },
      reason: 'FailedCreate',
      type: 'Warning',
      message,
      count: 3,
      lastTimestamp: '2026-11-21T11:59:00Z',
    }) as KubeObject;

  function refused(creator: KubeObject, objects: readonly KubeObject[]): Candidate[] {
    const inv = new Investigation(new MemorySnapshot([creator, ...objects]), NOW);
    reportRefusedCreate(inv, 'ReplicaSet', creator, [refOf('ReplicaSet', creator)]);
    return inv.candidates;
  }

  test('a creator short of pods reports its newest FailedCreate, the Event cited', () => {
    const [finding] = refused(replicaSet, [event(MESSAGES.other)]);
    expect(finding).toMatchObject({ code: 'PodCreationFailed', anchors: ['a1'] });
  });

  test('a creator that has its pods: the FailedCreate is history', () => {
    expect(refused({ ...replicaSet, status: { replicas: 2 } } as KubeObject, [event(MESSAGES.other)])).toEqual([]);
  });
});
