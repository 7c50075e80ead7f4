import { parseCreateFailure } from './create-failure-message';

// Messages as Kubernetes 1.35 prints them: the quota admission plugin (apiserver
// pkg/admission/plugin/resourcequota/controller.go, prettyPrint joins sorted "k=v" with ","), and
// PodSecurity admission (pod-security-admission admission.go + policy.AggregateCheckResult.ForbiddenDetail,
// "reason (detail), reason (detail)").

describe('parseCreateFailure', () => {
  test('quota over several resources, ReplicaSet controller wording', () => {
    const message =
      'Error creating: pods "api-5d8f7b9c6-x7k2p" is forbidden: exceeded quota: compute, requested: limits.memory=1Gi,requests.cpu=600m, used: limits.memory=4Gi,requests.cpu=1800m, limited: limits.memory=4Gi,requests.cpu=2';
    expect(parseCreateFailure(message)).toEqual({
      kind: 'Quota',
      quota: 'compute',
      items: [
        { resource: 'limits.memory', requested: '1Gi', used: '4Gi', limited: '4Gi' },
        { resource: 'requests.cpu', requested: '600m', used: '1800m', limited: '2' },
      ],
    });
  });

  test.each([
    [
      'Error creating: pods "api-5d8f7b9c6-x7k2p" is forbidden: failed quota: compute: must specify limits.cpu for: api; limits.memory for: api, sidecar',
      ['limits.cpu for: api', 'limits.memory for: api, sidecar'],
    ],
    [
      'pods "a" is forbidden: failed quota: compute: must specify limits.cpu for: nginx; must specify limits.memory for: nginx',
      ['limits.cpu for: nginx', 'limits.memory for: nginx'],
    ],
    ['Error creating: pods "a" is forbidden: failed quota: compute: must specify limits.cpu,limits.memory', ['limits.cpu', 'limits.memory']],
  ])('a quota on resources the pods do not set: %s', (message, missing) => {
    expect(parseCreateFailure(message)).toEqual({ kind: 'QuotaUnset', quota: 'compute', missing });
  });

  test('quota, StatefulSet controller wording', () => {
    const message =
      'create Pod db-3 in StatefulSet db failed error: pods "db-3" is forbidden: exceeded quota: pod-count, requested: pods=1, used: pods=3, limited: pods=3';
    expect(parseCreateFailure(message)).toEqual({ kind: 'Quota', quota: 'pod-count', items: [{ resource: 'pods', requested: '1', used: '3', limited: '3' }] });
  });

  test('PodSecurity: controls split outside parentheses, details kept', () => {
    const message =
      'Error creating: pods "web-1" is forbidden: violates PodSecurity "baseline:v1.35": host namespaces (hostNetwork=true, hostPID=true), hostPort (container "web" uses hostPort 8080)';
    expect(parseCreateFailure(message)).toEqual({
      kind: 'PodSecurity',
      policy: 'baseline:v1.35',
      controls: [
        { control: 'host namespaces', detail: 'hostNetwork=true, hostPID=true' },
        { control: 'hostPort', detail: 'container "web" uses hostPort 8080' },
      ],
    });
  });

  test('a webhook the apiserver cannot call comes first, whatever its tail quotes', () => {
    const message =
      'Error creating: Internal error occurred: failed calling webhook "quota.example.com": failed to call webhook: Post "https://q.ops.svc:443/?timeout=10s": context deadline exceeded';
    expect(parseCreateFailure(message)).toMatchObject({
      kind: 'Webhook',
      call: { webhook: 'quota.example.com', problem: 'Timeout', service: { name: 'q', namespace: 'ops' } },
    });
  });

  test('anything else is quoted as it is', () => {
    expect(parseCreateFailure('Error creating: pods "web-1" is forbidden: error looking up service account shop/web: serviceaccount "web" not found')).toEqual({
      kind: 'Other',
      text: 'pods "web-1" is forbidden: error looking up service account shop/web: serviceaccount "web" not found',
    });
  });
});
