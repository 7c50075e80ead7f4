import { MemorySnapshot } from '../memory-snapshot';
import { changedKeys } from '../../controllers/triagerequest/watch-index';
import { diagnose } from '../engine';
import { indexKey, Investigation, type Candidate } from '../investigation';
import type { KubeObject } from '../snapshot';
import { builtInTemplate } from '../templates';
import { lacksPods } from './creators';
import { webhookChecks } from './webhooks';

// WebhookFailing from both sides: the workload a webhook refuses (rollout-stuck, crashloop) and the
// webhook itself (admission-webhooks). Messages as Kubernetes 1.35.4 prints them (see webhook-message.test.ts).
const NOW = new Date('2026-11-21T12:00:00.000Z');
const WEBHOOK = 'pods.policy.example.com';
const failed = (tail: string, host = 'policy-svc.policy.svc') =>
  `Error creating: Internal error occurred: failed calling webhook "${WEBHOOK}": failed to call webhook: Post "https://${host}:443/validate?timeout=10s": ${tail}`;

function config(kind: string, name: string, failurePolicy: string, clientConfig: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1' },
    webhooks: [{ name: WEBHOOK, failurePolicy, sideEffects: 'None', admissionReviewVersions: ['v1'], clientConfig }],
  } as KubeObject;
}
const toService = { service: { namespace: 'policy', name: 'policy-svc', port: 443, path: '/validate' } };

/** A ReplicaSet of `namespace` short of its pods (or not), with its FailedCreate Event. */
function refusedReplicaSet(name: string, namespace = 'shop', message = failed('service "policy-svc" not found'), replicas = 0): KubeObject[] {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace, uid: `uid-rs-${namespace}-${name}`, resourceVersion: '1' },
      spec: { replicas: 2 },
      status: { replicas },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.failedcreate`, namespace, uid: `ev-${namespace}-${name}`, resourceVersion: '1' },
      involvedObject: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, name, uid: `uid-rs-${namespace}-${name}` },
      reason: 'FailedCreate',
      type: 'Warning',
      message,
      count: 3,
      lastTimestamp: '2026-11-21T11:59:00Z',
    } as KubeObject,
  ];
}

/** `fence`: the request's namespace when it is not trusted (see Investigation). */
function run(intent: string, target: { kind: 'Namespace' | 'ReplicaSet'; name: string; namespace?: string }, objects: readonly KubeObject[], fence?: string) {
  const template = builtInTemplate(intent);
  if (template === undefined) throw new Error(`no template ${intent}`);
  return diagnose({
    intent,
    template,
    templateSource: 'BuiltIn',
    target,
    maxSteps: 3,
    timeoutMs: 15_000,
    minCompleteness: 0.8,
    snapshot: new MemorySnapshot(objects),
    now: () => NOW,
    ...(fence === undefined ? {} : { fence }),
  });
}

const policyService = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'policy-svc', namespace: 'policy', uid: 'uid-svc', resourceVersion: '1' },
  spec: { ports: [{ port: 443 }] },
} as KubeObject;
const readySlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'policy-svc-1', namespace: 'policy', uid: 'uid-slice', resourceVersion: '1', labels: { 'kubernetes.io/service-name': 'policy-svc' } },
  endpoints: [{ addresses: ['10.0.0.9'], conditions: { ready: true } }],
} as KubeObject;

/** The ReplicaSet controller's own record of the refusal: status, which only it writes. */
function withReplicaFailure(rs: KubeObject | undefined, message: string): KubeObject {
  if (rs === undefined) throw new Error('no ReplicaSet');
  const status = (rs as { status?: Record<string, unknown> }).status ?? {};
  return { ...rs, status: { ...status, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message }] } } as KubeObject;
}

describe('WebhookFailing on the refused workload', () => {
  const target = { kind: 'ReplicaSet', name: 'api-1', namespace: 'shop' } as const;

  test('a webhook name held by an Ignore and a Fail configuration: the Fail one refused the pods', async () => {
    const objects = [
      ...refusedReplicaSet('api-1'),
      config('ValidatingWebhookConfiguration', 'a-audit', 'Ignore', toService),
      config('MutatingWebhookConfiguration', 'z-enforce', 'Fail', toService),
    ];
    const { envelope } = await run('scheduling-failures', target, objects);
    expect(envelope.rootCause?.code).toBe('WebhookFailing');
    expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'ReplicaSet/api-1',
      'MutatingWebhookConfiguration/z-enforce',
      'Service/policy-svc',
    ]);
  });

  test('a url clientConfig: the chain ends at the configuration, the reason comes from the Event', async () => {
    const objects = [
      ...refusedReplicaSet('api-1', 'shop', failed('dial tcp 203.0.113.7:443: connect: connection refused', 'policy.example.com')),
      config('ValidatingWebhookConfiguration', 'external', 'Fail', { url: 'https://policy.example.com/validate' }),
    ];
    const { envelope } = await run('crashloop', target, objects);
    expect(envelope.rootCause).toMatchObject({ code: 'WebhookFailing', confidence: 0.85 });
    expect(envelope.rootCause?.message).toContain('the connection was refused');
    expect(envelope.rootCause?.chain.at(-1)).toMatchObject({ kind: 'ValidatingWebhookConfiguration', name: 'external' });
  });

  test.each([
    ['the Service exists with a ready endpoint now', 'Fail', 'has ready endpoints now, so the next retry should pass'],
    ['the webhook fails open now', 'Ignore', 'its failurePolicy is Ignore now'],
    ['no configuration holds the webhook now', undefined, 'no configuration holds it now'],
  ])('what the Event names is fixed (%s): likely stale, Inconclusive until the controller has retried', async (_, failurePolicy, says) => {
    const objects = [
      ...refusedReplicaSet('api-1'),
      ...(failurePolicy === undefined ? [] : [config('ValidatingWebhookConfiguration', 'pod-policy', failurePolicy, toService)]),
      ...(failurePolicy === 'Fail' ? [policyService, readySlice] : []),
    ];
    const { verdict, envelope, recheckAfterMs } = await run('crashloop', target, objects);
    expect(verdict).toBe('Inconclusive');
    expect(envelope.rootCause).toBeUndefined();
    const finding = envelope.findings.find((f) => f.code === 'WebhookFailing');
    expect(finding).toMatchObject({ severity: 'Info' });
    expect(finding?.message).toContain(says);
    expect(envelope.summary.startsWith('ReplicaSet shop/api-1 could not create pods')).toBe(true);
    expect(recheckAfterMs).toBe(60_000);
  });

  test('the Service has ready endpoints but the call fails for another reason (TLS): still the cause', async () => {
    const objects = [
      ...refusedReplicaSet('api-1', 'shop', failed('tls: failed to verify certificate: x509: certificate signed by unknown authority')),
      config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService),
      policyService,
      readySlice,
    ];
    const { verdict, envelope } = await run('crashloop', target, objects);
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause).toMatchObject({ code: 'WebhookFailing', confidence: 0.85 });
  });

  test.each(['crashloop', 'image-pull', 'scheduling-failures'])(
    '%s on the Deployment: its ReplicaSet has no pod to follow, the refused create is the cause',
    async (intent) => {
      const [rs, event] = refusedReplicaSet('api-1');
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'shop', uid: 'uid-deploy-api', resourceVersion: '1' },
        spec: { replicas: 2 },
      } as KubeObject;
      const owned = {
        ...rs,
        metadata: { ...rs?.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'uid-deploy-api', controller: true }] },
      } as KubeObject;
      const objects = [deployment, owned, ...(event === undefined ? [] : [event]), config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService)];
      const template = builtInTemplate(intent);
      if (template === undefined) throw new Error(`no template ${intent}`);
      const { verdict, envelope } = await diagnose({
        intent,
        template,
        templateSource: 'BuiltIn',
        target: { kind: 'Deployment', name: 'api', namespace: 'shop' },
        maxSteps: 3,
        timeoutMs: 15_000,
        minCompleteness: 0.8,
        snapshot: new MemorySnapshot(objects),
        now: () => NOW,
      });
      expect(verdict).toBe('RootCauseFound');
      expect(envelope.rootCause?.code).toBe('WebhookFailing');
      expect(envelope.rootCause?.chain.map((r) => r.kind)).toEqual(['Deployment', 'ReplicaSet', 'ValidatingWebhookConfiguration', 'Service']);
    },
  );

  test('from an untrusted namespace: the Event alone, the configuration Forbidden, nothing of namespace policy read', async () => {
    const objects = [...refusedReplicaSet('api-1'), config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService), policyService, readySlice];
    const { verdict, envelope, watchKeys } = await run('crashloop', target, objects, 'shop');
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause).toMatchObject({ code: 'WebhookFailing', confidence: 0.7 });
    expect(envelope.rootCause?.chain.map((r) => r.kind)).toEqual(['ReplicaSet']);
    expect(envelope.rootCause?.message).toContain('webhook pods.policy.example.com, at Service policy/policy-svc: service "policy-svc" not found');
    expect(envelope.rootCause?.message).toContain('its configuration: Forbidden');
    expect(envelope.rootCause?.message).not.toContain('no configuration holds it');
    expect(envelope.evidence.unavailable).toContainEqual({ key: 'webhook.configurations', reason: 'Forbidden' });
    expect(envelope.evidence.present).not.toContain('webhook.service');
    // The ReplicaSet and its Event: nothing of namespace policy, no webhook configuration.
    expect(envelope.inputs.objectCount).toBe(2);
    expect(watchKeys.filter((k) => k.includes('policy') || k.includes('uid-svc') || k.includes('uid-slice') || k.includes('uid-pod-policy'))).toEqual([]);
  });

  test('a pod elsewhere naming the ReplicaSet as its owner is not followed (owner references are namespace-local)', async () => {
    const [rs] = refusedReplicaSet('api-1', 'shop', undefined, 2);
    const intruder = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'api-1-x',
        namespace: 'evil',
        uid: 'uid-intruder',
        resourceVersion: '1',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-1', uid: 'uid-rs-shop-api-1', controller: true }],
      },
      spec: { containers: [{ name: 'app', image: 'x' }] },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } },
        ],
      },
    } as KubeObject;
    for (const fence of [undefined, 'shop']) {
      const { envelope } = await run('image-pull', target, [rs as KubeObject, intruder], fence);
      expect([envelope.rootCause?.chain ?? [], ...envelope.findings.map((f) => [f.object])].flat().filter((r) => r.namespace === 'evil')).toEqual([]);
    }
  });

  test('a FailedCreate for another reason is not WebhookFailing', async () => {
    const objects = refusedReplicaSet(
      'api-1',
      'shop',
      'Error creating: pods "api-1-x" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=3, limited: pods=3',
    );
    expect((await run('crashloop', target, objects)).envelope.findings.map((f) => f.code)).not.toContain('WebhookFailing');
  });
});

describe('admission-webhooks: what a webhook blocks', () => {
  const target = { kind: 'Namespace', name: 'ops', namespace: 'ops' } as const;
  const blocked = ['api', 'batch', 'cart', 'db', 'edge', 'feed', 'gate'].flatMap((name, i) => refusedReplicaSet(`${name}-1`, `team-${i % 3}`));
  const objects = [
    config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService),
    ...blocked,
    ...refusedReplicaSet('full-1', 'team-0', undefined, 2),
  ];

  test('bounded: five named in a stable order, the rest counted; a creator with all its pods is not listed', async () => {
    const { envelope } = await run('admission-webhooks', target, objects);
    expect(envelope.rootCause?.code).toBe('WebhookServiceNotFound');
    expect(envelope.rootCause?.message).toContain(
      'it blocks pod creation for 7 workloads: ReplicaSet team-0/api-1, ReplicaSet team-0/db-1, ReplicaSet team-0/gate-1, ReplicaSet team-1/batch-1, ReplicaSet team-1/edge-1 and 2 more',
    );
    expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'ReplicaSet/api-1',
      'ValidatingWebhookConfiguration/pod-policy',
      'Service/policy-svc',
    ]);
  });

  test('a new FailedCreate naming the webhook wakes a Continuous request that read what it blocks', async () => {
    const [, event] = refusedReplicaSet('new-1');
    if (event === undefined) throw new Error('no event');
    const read = (await run('admission-webhooks', target, objects)).watchKeys;
    expect(read).toContain(indexKey('Event', 'failedWebhook', WEBHOOK));
    expect(changedKeys('Event', event)).toContain(indexKey('Event', 'failedWebhook', WEBHOOK));
  });

  test('at most the newest 50 FailedCreate Events are examined per webhook', async () => {
    const many = Array.from({ length: 60 }, (_, i) => refusedReplicaSet(`w${String(i).padStart(2, '0')}-1`, 'team-9')).flat();
    const { envelope } = await run('admission-webhooks', target, [config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService), ...many]);
    expect(envelope.rootCause?.message).toContain('it blocks pod creation for 50 workloads: ');
    expect(envelope.rootCause?.message).toContain(' and 45 more');
  });

  test('the same whatever order the objects arrive in', async () => {
    const forward = (await run('admission-webhooks', target, objects)).envelope;
    const backward = (await run('admission-webhooks', target, [...objects].reverse())).envelope;
    expect(backward).toEqual({ ...forward, timing: backward.timing });
  });
});

describe('lacksPods: whether a FailedCreate is still news', () => {
  test.each([
    ['ReplicaSet', { spec: { replicas: 3 }, status: { replicas: 2 } }, true],
    ['ReplicaSet', { spec: { replicas: 3 }, status: { replicas: 3 } }, false],
    ['StatefulSet', { spec: {}, status: { replicas: 0 } }, true],
    ['DaemonSet', { status: { desiredNumberScheduled: 3, currentNumberScheduled: 3 } }, false],
    ['DaemonSet', { status: { desiredNumberScheduled: 3, currentNumberScheduled: 1 } }, true],
    ['Job', { spec: { parallelism: 2, completions: 5 }, status: { active: 0, succeeded: 1 } }, true],
    ['Job', { spec: { parallelism: 2, completions: 5 }, status: { active: 1, succeeded: 4 } }, false],
    ['Job', { spec: { suspend: true }, status: {} }, false],
    ['Job', { spec: {}, status: { conditions: [{ type: 'Failed', status: 'True' }] } }, false],
    ['Deployment', { spec: { replicas: 3 }, status: { replicas: 0 } }, false],
  ])('%s %j: %s', (kind, object, expected) => {
    expect(lacksPods(kind, object as KubeObject)).toBe(expected);
  });
});

describe('admission-webhooks: a backend that looks sound, and FailedCreate Events anyone may write', () => {
  const target = { kind: 'Namespace', name: 'ops', namespace: 'ops' } as const;
  const tls = failed('tls: failed to verify certificate: x509: certificate signed by unknown authority');
  const sound = [config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService), policyService, readySlice];

  test('a tenant’s Event about their own ReplicaSet alone: a Warning, not a cluster-wide Critical', async () => {
    const { envelope } = await run('admission-webhooks', target, [...sound, ...refusedReplicaSet('mine-1', 'tenant', tls)]);
    const finding = [envelope.rootCause, ...envelope.findings].find((f) => f?.code === 'WebhookFailing');
    expect(envelope.rootCause).toMatchObject({ code: 'WebhookFailing', confidence: 0.5 });
    expect(envelope.findings.map((f) => f.severity)).not.toContain('Critical');
    expect(finding?.message).toContain('per FailedCreate Events only');
  });

  test('the ReplicaSet controller says so in the ReplicaSet’s status too: Critical, the condition cited', async () => {
    const [rs, event] = refusedReplicaSet('api-1', 'shop', tls);
    const objects = [...sound, withReplicaFailure(rs, tls.replace('Error creating: ', '')), event as KubeObject, ...refusedReplicaSet('mine-1', 'tenant', tls)];
    const { verdict, envelope } = await run('admission-webhooks', target, objects);
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause).toMatchObject({ code: 'WebhookFailing', confidence: 0.85 });
    expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`)).toEqual([
      'ReplicaSet/shop/api-1',
      'ValidatingWebhookConfiguration//pod-policy',
      'Service/policy/policy-svc',
    ]);
    const cited = envelope.anchors.filter((a) => envelope.rootCause?.anchors.includes(a.id)).map((a) => a.fieldPath ?? a.event?.reason);
    expect(cited).toContain('status.conditions[type=ReplicaFailure].message');
    // The tenant's own Event is named after what the controller confirms, never as the headline.
    expect(envelope.rootCause?.message).toMatch(
      /blocks pod creation for ReplicaSet shop\/api-1: .*; FailedCreate Events alone also name ReplicaSet tenant\/mine-1$/,
    );
  });

  test('a ReplicaFailure naming another webhook does not corroborate', async () => {
    const [rs, event] = refusedReplicaSet('api-1', 'shop', tls);
    const other =
      'Internal error occurred: failed calling webhook "other.example.com": failed to call webhook: Post "https://o.policy.svc:443/": context deadline exceeded';
    const { envelope } = await run('admission-webhooks', target, [...sound, withReplicaFailure(rs, other), event as KubeObject]);
    expect(envelope.rootCause).toMatchObject({ code: 'WebhookFailing', confidence: 0.5 });
  });

  test('what the Events blame is fixed (the Service has ready endpoints now): Info, Inconclusive until the retries', async () => {
    const [rs, event] = refusedReplicaSet('api-1', 'shop');
    const { verdict, envelope, recheckAfterMs } = await run('admission-webhooks', target, [
      ...sound,
      withReplicaFailure(rs, failed('service "policy-svc" not found')),
      event as KubeObject,
    ]);
    expect(verdict).toBe('Inconclusive');
    expect(envelope.findings.find((f) => f.code === 'WebhookFailing')).toMatchObject({ severity: 'Info' });
    expect(recheckAfterMs).toBe(60_000);
  });
});

// The webhook checks' rules run directly on the configuration (first object), as the engine would with no chain.
describe('webhook backend rules', () => {
  const tls = failed('tls: failed to verify certificate: x509: certificate signed by unknown authority');
  const unreadySlice = { ...readySlice, endpoints: [{ addresses: ['10.0.0.9'], conditions: { ready: false } }] } as KubeObject;

  function check(objects: readonly KubeObject[]): Candidate[] {
    const [subject] = objects;
    if (subject === undefined) throw new Error('no subject');
    const inv = new Investigation(new MemorySnapshot(objects), NOW);
    const webhookCheck = webhookChecks.find((c) => c.subject === subject.kind);
    if (webhookCheck === undefined) throw new Error(`no check for ${subject.kind ?? ''}`);
    webhookCheck.run({ inv, follow: () => undefined }, subject, [], webhookCheck.subject);
    expect(webhookCheck.codes).toEqual(expect.arrayContaining(inv.candidates.map((c) => c.code)));
    return inv.candidates;
  }
  const chainOf = (candidate: Candidate | undefined) => candidate?.chain?.map((r) => `${r.kind}/${r.name}`);

  describe('webhookBackend: the Service the apiserver calls is missing or has no ready endpoint', () => {
    test('a missing Service, failing closed, chained into the workload it blocks', () => {
      const [finding, ...rest] = check([config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService), ...refusedReplicaSet('api-1')]);
      expect(rest).toEqual([]);
      expect(finding).toMatchObject({ code: 'WebhookServiceNotFound', severity: 'Critical', confidence: 0.95 });
      expect(finding?.message).toBe(
        `Webhook ${WEBHOOK} of ValidatingWebhookConfiguration pod-policy calls Service policy/policy-svc, which does not exist; failing closed, it blocks pod creation for ReplicaSet shop/api-1`,
      );
      expect(chainOf(finding)).toEqual(['ReplicaSet/api-1', 'ValidatingWebhookConfiguration/pod-policy', 'Service/policy-svc']);
    });

    test('no ready endpoint, failing open: a Warning that its policy is not applied', () => {
      const [finding] = check([config('MutatingWebhookConfiguration', 'pod-defaults', 'Ignore', toService), policyService, unreadySlice]);
      expect(finding).toMatchObject({ code: 'WebhookNoReadyEndpoints', severity: 'Warning', confidence: 0.9 });
      expect(finding?.message).toContain('which has no ready endpoint: the apiserver skips it for every request it matches (failurePolicy Ignore)');
      // Endpoints first: the Service exists, what it lacks is a ready pod behind it.
      expect(finding?.nextActions[0]?.command).toBe('kubectl describe svc policy-svc -n policy');
    });

    test('a Service with a ready endpoint, and nothing refused: nothing reported', () => {
      expect(check([config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService), policyService, readySlice])).toEqual([]);
    });
  });

  describe('webhookFailing: the backend looks sound, the refused creates say the calls fail', () => {
    const sound = [config('ValidatingWebhookConfiguration', 'pod-policy', 'Fail', toService), policyService, readySlice];

    test('Events alone: a Warning', () => {
      const [finding] = check([...sound, ...refusedReplicaSet('api-1', 'shop', tls)]);
      expect(finding).toMatchObject({ code: 'WebhookFailing', severity: 'Warning', confidence: 0.5 });
      expect(finding?.message).toContain('per FailedCreate Events only');
    });

    test('the ReplicaSet controller confirms it in status: Critical, the condition cited', () => {
      const [rs, event] = refusedReplicaSet('api-1', 'shop', tls);
      const [finding] = check([...sound, withReplicaFailure(rs, tls.replace('Error creating: ', '')), event as KubeObject]);
      expect(finding).toMatchObject({ code: 'WebhookFailing', severity: 'Critical', confidence: 0.85 });
      expect(finding?.anchors).toHaveLength(3);
      expect(chainOf(finding)).toEqual(['ReplicaSet/api-1', 'ValidatingWebhookConfiguration/pod-policy', 'Service/policy-svc']);
    });

    test('what the Events blame is fixed now: Info, re-checked after the retries', () => {
      const [finding] = check([...sound, ...refusedReplicaSet('api-1')]);
      expect(finding).toMatchObject({ code: 'WebhookFailing', severity: 'Info', benign: true, recheckAfterSeconds: 60 });
    });

    test('a webhook that fails open is never named by a FailedCreate: nothing reported', () => {
      expect(
        check([
          config('ValidatingWebhookConfiguration', 'pod-policy', 'Ignore', toService),
          policyService,
          readySlice,
          ...refusedReplicaSet('api-1', 'shop', tls),
        ]),
      ).toEqual([]);
    });
  });
});
