import { randomBytes } from 'node:crypto';
import { kube } from './support/kube';
import { startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';
import { eventually } from './support/eventually';

// A password and a bearer token planted where triage reads (an Event message it quotes) and beside it
// (an annotation on the same claim) must not reach status, the operator's Events or its logs.
const ns = useTestNamespace('e2e-redact');
const password = `Pw${randomBytes(8).toString('hex')}`;
const token = `tok${randomBytes(16).toString('hex')}`;
let operator: OperatorProcess;
const className = `planted-${ns.name}`;
// Pods bound to a node no kwok manages: their status is what the test writes, as a kubelet would.
const node = `manual-${ns.name}`;
const pods: string[] = [];

beforeAll(async () => {
  operator = await startOperator();
  await kube().storage.createStorageClass({ body: { metadata: { name: className }, provisioner: 'example.com/planted' } });
  await kube().core.createNode({ body: { metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } } });
});

afterAll(async () => {
  await stopAllOperators();
  await kube().storage.deleteStorageClass({ name: className });
  // No kubelet confirms deletions on this node: force-delete its pods, or the namespace hangs.
  for (const name of pods)
    await kube()
      .core.deleteNamespacedPod({ name, namespace: ns.name, gracePeriodSeconds: 0 })
      .catch(() => undefined);
  await kube()
    .core.deleteNode({ name: node })
    .catch(() => undefined);
});

test('a secret planted in an Event message and an annotation never appears in status, Events or logs', async () => {
  const claim = await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: {
      metadata: { name: 'planted', annotations: { 'example.com/connection': `postgres://app:${password}@db:5432/app` } },
      spec: { storageClassName: className, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
  const now = new Date();
  await kube().core.createNamespacedEvent({
    namespace: ns.name,
    body: {
      metadata: { name: `planted.${Date.now()}` },
      involvedObject: { kind: 'PersistentVolumeClaim', namespace: ns.name, name: 'planted', uid: claim.metadata?.uid ?? '' },
      reason: 'ProvisioningFailed',
      type: 'Warning',
      message: `rpc error: backend rejected password=${password} with Authorization: Bearer ${token}`,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: 'example.com/planted' },
    },
  });

  await createTriageRequest(ns.name, 'planted', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'planted' } });
  const request = await triaged(ns.name, 'planted');

  expect(request.status?.envelope?.rootCause?.code).toBe('ProvisioningFailed');
  const quoted = request.status?.envelope?.anchors.find((a) => a.event?.reason === 'ProvisioningFailed');
  expect(quoted?.excerpt).toBe('rpc error: backend rejected password=[REDACTED] with Authorization: Bearer [REDACTED]');

  const status = JSON.stringify(request.status);
  const ours = (await kube().events.listNamespacedEvent({ namespace: ns.name })).items.filter((e) => e.reportingController === 'triage.dev/triage-operator');
  expect(ours.length).toBeGreaterThan(0);
  for (const [where, text] of [
    ['status', status],
    ['events', JSON.stringify(ours)],
    ['logs', operator.log()],
  ] as const) {
    expect({ where, leaksPassword: text.includes(password), leaksToken: text.includes(token) }).toEqual({ where, leaksPassword: false, leaksToken: false });
  }
});

// --- a canary set over every channel a kubelet and a pod spec give the engine ----------------------

/** A unique value per canary: found anywhere in status, Events or logs, it leaked. */
function canary(): string {
  return `Cn${randomBytes(7).toString('hex')}Q`;
}

interface Planted {
  readonly name: string;
  readonly code: string;
  readonly canaries: Record<string, string>;
  readonly create: (c: Record<string, string>) => Promise<void>;
}

async function podWithStatus(
  name: string,
  container: Record<string, unknown>,
  status: Record<string, unknown>,
  annotations: Record<string, string>,
): Promise<string> {
  const pod = await kube().core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name, annotations }, spec: { nodeName: node, containers: [{ name: 'app', image: 'registry.example.com/shop/app:1', ...container }] } },
  });
  pods.push(name);
  const now = new Date().toISOString();
  await kube().raw.mergePatch(`/api/v1/namespaces/${ns.name}/pods/${name}/status`, {
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: now },
      ],
      containerStatuses: [
        { name: 'app', image: container.image ?? 'registry.example.com/shop/app:1', imageID: '', ready: false, started: false, restartCount: 4, ...status },
      ],
    },
  });
  return pod.metadata?.uid ?? '';
}

/** A core/v1 Event as the kubelet writes it about the pod's container. */
async function kubeletEvent(uid: string, pod: string, reason: string, message: string): Promise<void> {
  const now = new Date();
  await kube().core.createNamespacedEvent({
    namespace: ns.name,
    body: {
      metadata: { name: `${pod}.${now.getTime().toString(16)}${reason.toLowerCase()}` },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: pod, uid, fieldPath: 'spec.containers{app}' },
      reason,
      type: 'Warning',
      message,
      count: 3,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'kubelet', host: node },
    },
  });
}

const crashLoop = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app' } };
const finished = () => ({ startedAt: new Date(Date.now() - 60_000).toISOString(), finishedAt: new Date().toISOString() });

const PLANTED: readonly Planted[] = [
  {
    name: 'canary-image',
    code: 'ImagePullUnauthorized',
    canaries: { imagePassword: canary(), cookie: canary(), passwd: canary(), annotation: canary() },
    create: async (c) => {
      const image = `puller:${c.imagePassword ?? ''}@registry.example.com/team/app:1`;
      const said = `failed to pull and unpack image "${image}": 401 Unauthorized (sent Cookie: session=${c.cookie ?? ''}; PASSWD ${c.passwd ?? ''})`;
      const uid = await podWithStatus(
        'canary-image',
        { image },
        { image, state: { waiting: { reason: 'ErrImagePull', message: said } } },
        { 'example.com/pull-token': `token=${c.annotation ?? ''}` },
      );
      await kubeletEvent(uid, 'canary-image', 'Failed', `Failed to pull image "${image}": ${said}`);
    },
  },
  {
    name: 'canary-command',
    code: 'CommandNotFound',
    canaries: { mysql: canary(), curlUser: canary(), header: canary(), args: canary() },
    create: async (c) => {
      const command = ['sh', '-c', `mysql -uroot -p${c.mysql ?? ''} shop && curl -u admin:${c.curlUser ?? ''} -H "X-Tenant: ${c.header ?? ''}" http://api/`];
      const message =
        'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown';
      await podWithStatus(
        'canary-command',
        { command, args: ['--password', c.args ?? ''] },
        { state: crashLoop, lastState: { terminated: { exitCode: 128, reason: 'StartError', message, ...finished() } } },
        {},
      );
    },
  },
  {
    name: 'canary-probe',
    code: 'LivenessProbeFailing',
    canaries: { apiKey: canary(), tenant: canary(), bearer: canary(), setCookie: canary() },
    create: async (c) => {
      const httpHeaders = [
        { name: 'X-Api-Key', value: c.apiKey ?? '' },
        { name: 'X-Tenant', value: c.tenant ?? '' },
        { name: 'Authorization', value: `Bearer ${c.bearer ?? ''}` },
      ];
      const uid = await podWithStatus(
        'canary-probe',
        { livenessProbe: { httpGet: { path: '/healthz', port: 8080, httpHeaders }, periodSeconds: 10, failureThreshold: 3 } },
        { state: crashLoop, lastState: { terminated: { exitCode: 137, reason: 'Error', ...finished() } } },
        {},
      );
      await kubeletEvent(
        uid,
        'canary-probe',
        'Unhealthy',
        `Liveness probe failed: HTTP probe failed with statuscode: 401 (Set-Cookie: sid=${c.setCookie ?? ''}; Path=/)`,
      );
      await kubeletEvent(uid, 'canary-probe', 'Killing', 'Container app failed liveness probe, will be restarted');
    },
  },
  {
    name: 'canary-exit',
    code: 'ApplicationError',
    canaries: { pw: canary(), fullWidth: canary(), sshpass: canary(), dsn: canary() },
    create: async (c) => {
      const message = `connecting with pw=${c.pw ?? ''} password\uFF1A${c.fullWidth ?? ''}\nsshpass -p ${c.sshpass ?? ''} ssh backup@10.0.0.5\nFATAL: cannot reach app:${c.dsn ?? ''}@db:5432/shop: connection refused`;
      await podWithStatus('canary-exit', {}, { state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error', message, ...finished() } } }, {});
    },
  },
];

test('canaries in images, probe headers, commands, kubelet messages, Events and annotations never appear in status, Events or logs (kubelet simulated)', async () => {
  for (const planted of PLANTED) await planted.create(planted.canaries);
  for (const planted of PLANTED) {
    await createTriageRequest(ns.name, planted.name, {
      intent: planted.code === 'ImagePullUnauthorized' ? 'image-pull' : 'crashloop',
      target: { kind: 'Pod', name: planted.name },
    });
  }
  const statuses: string[] = [];
  for (const planted of PLANTED) {
    const request = await triaged(ns.name, planted.name);
    // The diagnosis must have gone through the quoting path, or a clean status proves nothing.
    expect({ name: planted.name, code: request.status?.envelope?.rootCause?.code }).toEqual({ name: planted.name, code: planted.code });
    statuses.push(JSON.stringify(request.status));
  }
  const status = statuses.join('\n');
  expect(status).toContain('[REDACTED]');
  const ours = await eventually("the operator's Events on every planted request", async () => {
    const events = (await kube().events.listNamespacedEvent({ namespace: ns.name })).items.filter(
      (e) => e.reportingController === 'triage.dev/triage-operator',
    );
    return PLANTED.every((p) => events.some((e) => e.related?.name === p.name || e.regarding?.name === p.name)) ? events : undefined;
  });
  const channels = { status, events: JSON.stringify(ours), logs: operator.log() };
  const leaks = PLANTED.flatMap((p) =>
    Object.entries(p.canaries).flatMap(([shape, value]) =>
      Object.entries(channels)
        .filter(([, text]) => text.includes(value))
        .map(([where]) => `${p.name}/${shape} in ${where}`),
    ),
  );
  expect(leaks).toEqual([]);
});
