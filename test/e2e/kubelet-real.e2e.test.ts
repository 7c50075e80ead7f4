import { AppsV1Api, KubeConfig, type CoreV1Api, type CoreV1Event, type V1Container, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import type { Envelope } from '../../src/crds/envelope';
import { KubeClient } from '../../src/kube/client';
import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kubectlOk } from './support/kubectl';
import { onRealNode, realNodeInfo, type RealNodeInfo } from './support/real-node';
import { startOperator } from './support/operator';
import { useOwnCluster } from './support/own-cluster';
import { runHackScript } from './support/scripts';
import { StatusRecorder, type StatusWrite } from './support/status-recorder';
import { createTriageRequest, triaged } from './support/triage';

// Every kubelet-side diagnosis on real containers: a cluster of its own with the real node
// (containerd + a 1.35 kubelet), whose kubelet this file restarts under disk pressure and stops.
// All workloads are created up front and fail in parallel; each test then waits for its pod's real
// state, triages it, checks the verdict, the code and every anchor against the API, and prints the
// state the triage saw.
const cluster = useOwnCluster('kreal', 1, { realNodes: true });
const ns = 'kreal';
const NODE = 'real-node-1';

type Intent = 'crashloop' | 'image-pull';

interface Case {
  readonly name: string;
  readonly intent: Intent;
  readonly code: string;
  /** What the root cause's message must name (the exit code, the missing object, the volume, the limit). */
  readonly names: RegExp;
  readonly spec: (info: RealNodeInfo) => Partial<V1PodSpec> & { containers: V1Container[] };
  /** The real state the test waits for before triaging. */
  readonly caught: (pod: V1Pod, events: readonly CoreV1Event[]) => boolean;
  readonly timeoutMs?: number;
}

const busybox = (info: RealNodeInfo, command: string[], extra: Partial<V1Container> = {}): V1Container => ({
  name: 'app',
  image: info.busyboxImage,
  imagePullPolicy: 'Never',
  command,
  ...extra,
});
const status = (pod: V1Pod) => pod.status?.containerStatuses?.[0];
const terminations = (pod: V1Pod) => [status(pod)?.state?.terminated, status(pod)?.lastState?.terminated].filter((t) => t !== undefined);
const waitingIn =
  (...reasons: string[]) =>
  (pod: V1Pod) =>
    reasons.includes(status(pod)?.state?.waiting?.reason ?? '');
const pullFailed = waitingIn('ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull');
const mountFailed = (_pod: V1Pod, events: readonly CoreV1Event[]) => events.some((e) => e.reason === 'FailedMount');
const evicted = (pod: V1Pod) => pod.status?.reason === 'Evicted';
const pull =
  (image: string, extra: Partial<V1PodSpec> = {}) =>
  () => ({ containers: [{ name: 'app', image, imagePullPolicy: 'Always' as const, command: ['sleep', '3600'] }], ...extra });
const sleeping = (info: RealNodeInfo, extra: Partial<V1Container> = {}) => busybox(info, ['sleep', '3600'], extra);
const envFrom = (ref: NonNullable<NonNullable<V1Container['env']>[number]['valueFrom']>) => (info: RealNodeInfo) => ({
  containers: [sleeping(info, { env: [{ name: 'SETTING', valueFrom: ref }] })],
});
const volumeFrom = (volume: NonNullable<V1PodSpec['volumes']>[number]) => (info: RealNodeInfo) => ({
  containers: [sleeping(info, { volumeMounts: [{ name: volume.name, mountPath: '/config' }] })],
  volumes: [volume],
});

const CASES: readonly Case[] = [
  {
    name: 'exit-code',
    intent: 'crashloop',
    code: 'ApplicationError',
    names: /exit code 3\b/,
    spec: (info) => ({ containers: [busybox(info, ['sh', '-c', 'echo boom >&2; exit 3'])] }),
    caught: (pod) => terminations(pod).some((t) => t.exitCode === 3),
  },
  {
    // The shell holds 64 MiB in a variable: the memory cgroup's OOM killer ends it at 16 MiB.
    name: 'oom',
    intent: 'crashloop',
    code: 'OOMKilled',
    names: /16Mi/,
    spec: (info) => ({
      containers: [
        busybox(info, ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}'], { resources: { limits: { memory: '16Mi' } } }),
      ],
    }),
    caught: (pod) => terminations(pod).some((t) => t.reason === 'OOMKilled'),
  },
  {
    name: 'liveness',
    intent: 'crashloop',
    code: 'LivenessProbeFailing',
    names: /liveness/i,
    spec: (info) => ({ containers: [sleeping(info, { livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } })] }),
    caught: (pod) => (status(pod)?.restartCount ?? 0) >= 1,
  },
  {
    name: 'env-configmap',
    intent: 'crashloop',
    code: 'ConfigMissing',
    names: /missing-cm/,
    spec: envFrom({ configMapKeyRef: { name: 'missing-cm', key: 'setting' } }),
    caught: waitingIn('CreateContainerConfigError'),
  },
  {
    name: 'env-secret',
    intent: 'crashloop',
    code: 'ConfigMissing',
    names: /missing-secret/,
    spec: envFrom({ secretKeyRef: { name: 'missing-secret', key: 'setting' } }),
    caught: waitingIn('CreateContainerConfigError'),
  },
  {
    name: 'env-key',
    intent: 'crashloop',
    code: 'ConfigMissing',
    names: /absent-key/,
    spec: envFrom({ configMapKeyRef: { name: 'present-cm', key: 'absent-key' } }),
    caught: waitingIn('CreateContainerConfigError'),
  },
  {
    name: 'volume-configmap',
    intent: 'crashloop',
    code: 'ConfigMissing',
    names: /volume cfg\b.*missing-cm/,
    spec: volumeFrom({ name: 'cfg', configMap: { name: 'missing-cm' } }),
    caught: mountFailed,
  },
  {
    name: 'volume-secret',
    intent: 'crashloop',
    code: 'ConfigMissing',
    names: /volume cfg\b.*missing-secret/,
    spec: volumeFrom({ name: 'cfg', secret: { secretName: 'missing-secret' } }),
    caught: mountFailed,
  },
  {
    name: 'volume-key',
    intent: 'crashloop',
    code: 'ConfigMissing',
    names: /volume cfg\b.*absent-key/,
    spec: volumeFrom({ name: 'cfg', configMap: { name: 'present-cm', items: [{ key: 'absent-key', path: 'setting' }] } }),
    caught: mountFailed,
  },
  {
    name: 'command-absolute',
    intent: 'crashloop',
    code: 'CommandNotFound',
    names: /\/no\/such\/bin/,
    spec: (info) => ({ containers: [busybox(info, ['/no/such/bin'])] }),
    caught: (pod) => terminations(pod).length > 0,
  },
  {
    name: 'command-path',
    intent: 'crashloop',
    code: 'CommandNotFound',
    names: /nosuchcmd/,
    spec: (info) => ({ containers: [busybox(info, ['nosuchcmd'])] }),
    caught: (pod) => terminations(pod).length > 0,
  },
  {
    name: 'pull-repository',
    intent: 'image-pull',
    code: 'ImageNotFound',
    names: /triage\/nosuch/,
    spec: (info) => pull(`${info.openRegistry}/triage/nosuch:1`)(),
    caught: pullFailed,
  },
  {
    name: 'pull-tag',
    intent: 'image-pull',
    code: 'ImageNotFound',
    names: /busybox:nosuch/,
    spec: (info) => pull(`${info.openRegistry}/triage/busybox:nosuch`)(),
    caught: pullFailed,
  },
  {
    name: 'pull-no-secret',
    intent: 'image-pull',
    code: 'ImagePullUnauthorized',
    names: /401 Unauthorized.*no imagePullSecrets/,
    spec: (info) => pull(`${info.authRegistry}/${info.registryImage}`)(),
    caught: pullFailed,
  },
  {
    name: 'pull-wrong-secret',
    intent: 'image-pull',
    code: 'ImagePullUnauthorized',
    names: /refused the pull credentials.*wrong-credentials/,
    spec: (info) => pull(`${info.authRegistry}/${info.registryImage}`, { imagePullSecrets: [{ name: 'wrong-credentials' }] })(),
    caught: pullFailed,
  },
  {
    // The kubelet records FailedToRetrieveImagePullSecret and pulls without credentials: the registry's 401 follows.
    name: 'pull-secret-missing',
    intent: 'image-pull',
    code: 'PullSecretNotFound',
    names: /no-such-pull-secret/,
    spec: (info) => pull(`${info.authRegistry}/${info.registryImage}`, { imagePullSecrets: [{ name: 'no-such-pull-secret' }] })(),
    caught: pullFailed,
  },
  {
    name: 'pull-closed-port',
    intent: 'image-pull',
    code: 'RegistryUnreachable',
    names: /127\.0\.0\.1:1\b.*connection refused/,
    spec: pull('127.0.0.1:1/triage/busybox:1'),
    caught: pullFailed,
  },
  { name: 'pull-invalid-name', intent: 'image-pull', code: 'InvalidImageName', names: /UPPER/, spec: pull('localhost/UPPER:tag'), caught: pullFailed },
  {
    name: 'pull-never-absent',
    intent: 'image-pull',
    code: 'ImageNotFound',
    names: /Never/,
    spec: () => ({ containers: [{ name: 'app', image: 'localhost/triage/absent:1', imagePullPolicy: 'Never', command: ['sleep', '3600'] }] }),
    caught: pullFailed,
  },
  {
    name: 'evicted-container-storage',
    intent: 'crashloop',
    code: 'PodEvicted',
    names: /ephemeral-storage.*10Mi/,
    spec: (info) => ({
      containers: [
        busybox(info, ['sh', '-c', 'dd if=/dev/zero of=/fill bs=1M count=50; exec sleep 3600'], { resources: { limits: { 'ephemeral-storage': '10Mi' } } }),
      ],
    }),
    caught: evicted,
    timeoutMs: 150_000,
  },
  {
    name: 'evicted-emptydir',
    intent: 'crashloop',
    code: 'PodEvicted',
    names: /emptyDir volume scratch.*10Mi/,
    spec: (info) => ({
      containers: [
        busybox(info, ['sh', '-c', 'dd if=/dev/zero of=/scratch/fill bs=1M count=50; exec sleep 3600'], {
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        }),
      ],
      volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '10Mi' } }],
    }),
    caught: evicted,
    timeoutMs: 150_000,
  },
];

let core: CoreV1Api;
let apps: AppsV1Api;
let raw: KubeClient;
let admin: KubeConfig;
let recorder: StatusRecorder;
const createdAt = new Map<string, number>();

function dockerConfig(registry: string, username: string, password: string): string {
  return JSON.stringify({ auths: { [registry]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } } });
}

// The Continuous case: a Deployment whose only pod crashes a second after it starts.
const FLAPPER = 'flapper';
// A rollout stuck on a pod that cannot pull its image.
const WEB = 'web';
const CONTINUOUS = 'flapper-continuous';
let restartsAtRequest = 0;
const crashing = ['sh', '-c', 'echo crashing >&2; sleep 1; exit 1'];

beforeAll(async () => {
  admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfig());
  ({ core } = cluster.clients());
  apps = admin.makeApiClient(AppsV1Api);
  raw = new KubeClient(admin);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await eventually('serviceaccount default', async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: ns })).metadata?.name);
  const info = await realNodeInfo(cluster.kubeconfig());
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'present-cm' }, data: { other: 'value' } } });
  await core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: 'wrong-credentials' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': dockerConfig(info.authRegistry, info.authUsername, 'not-the-password') },
    },
  });
  for (const c of CASES) {
    const spec = c.spec(info);
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: c.name }, spec: { ...onRealNode, terminationGracePeriodSeconds: 1, ...spec } } });
    createdAt.set(c.name, Date.now());
  }
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: FLAPPER },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: FLAPPER } },
        template: { metadata: { labels: { app: FLAPPER } }, spec: { ...onRealNode, terminationGracePeriodSeconds: 1, containers: [busybox(info, crashing)] } },
      },
    },
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: WEB },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 5,
        selector: { matchLabels: { app: WEB } },
        template: {
          metadata: { labels: { app: WEB } },
          spec: {
            ...onRealNode,
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'app', image: `${info.openRegistry}/triage/web:9.9.9-missing`, command: ['sleep', '3600'] }],
          },
        },
      },
    },
  });
  await startOperator({ kubeconfig: cluster.kubeconfig(), args: [`--trusted-namespaces=${ns}`] });
  recorder = new StatusRecorder(admin, ns);
  await recorder.start();
  // The Continuous request starts once the loop has: before its first crash the pod is simply running.
  const first = await eventually(
    'the flapper pod crashed once',
    async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${FLAPPER}` })).items.find((pod) => terminations(pod).length > 0),
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  restartsAtRequest = status(first)?.restartCount ?? 0;
  await createTriageRequest(
    ns,
    CONTINUOUS,
    { intent: 'crashloop', mode: 'Continuous', target: { kind: 'Deployment', name: FLAPPER } },
    cluster.clients().custom,
  );
}, 240_000);

afterAll(() => {
  recorder.stop();
});

async function eventsOf(name: string): Promise<CoreV1Event[]> {
  return (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;
}

/** One line for a pod's real state: phase, the container's state, its last termination, restarts. */
function stateOf(pod: V1Pod): string {
  if (pod.status?.reason === 'Evicted') return `phase ${pod.status.phase ?? '?'}, reason Evicted`;
  const s = status(pod);
  if (s === undefined) return `phase ${pod.status?.phase ?? '?'}, no container status yet`;
  const { waiting, terminated, running } = s.state ?? {};
  const now =
    waiting !== undefined
      ? `waiting ${waiting.reason ?? '?'}`
      : terminated !== undefined
        ? `terminated ${terminated.reason ?? '?'} exit ${String(terminated.exitCode)}`
        : running !== undefined
          ? 'running'
          : 'no state';
  const last = s.lastState?.terminated;
  return `${now}${last === undefined ? '' : `, last terminated ${last.reason ?? '?'} exit ${String(last.exitCode)}`}, restarts ${String(s.restartCount)}`;
}

/** The pod as the triage read it: the resourceVersion its anchors name (a LIST with Exact), else the live pod. */
async function podTheTriageSaw(envelope: Envelope, name: string): Promise<{ pod: V1Pod; exact: boolean }> {
  const resourceVersion = envelope.anchors.find((a) => a.object.kind === 'Pod' && a.object.name === name)?.object.resourceVersion;
  if (resourceVersion !== undefined) {
    const list = await raw
      .get<{ items?: V1Pod[] }>(`/api/v1/namespaces/${ns}/pods`, { fieldSelector: `metadata.name=${name}`, resourceVersion, resourceVersionMatch: 'Exact' })
      .catch(() => undefined);
    const pod = list?.items?.[0];
    if (pod !== undefined) return { pod, exact: true };
  }
  return { pod: await core.readNamespacedPod({ name, namespace: ns }), exact: false };
}

async function triage(name: string, spec: Record<string, unknown>): Promise<{ verdict: string | undefined; envelope: Envelope }> {
  await createTriageRequest(ns, name, spec, cluster.clients().custom);
  const request = await triaged(ns, name, 60_000, cluster.clients().custom);
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(`no envelope for ${name}: ${JSON.stringify(request.status)}`);
  expect(await verifyAnchors(envelope, raw)).toEqual([]);
  return { verdict: request.status?.verdict, envelope };
}

describe('kubelet-side diagnoses on real containers (real kubelet)', () => {
  test.each(CASES.map((c) => [`${c.name} → ${c.code}`, c] as const))(
    '%s (real kubelet)',
    async (_label, c) => {
      const pod = await eventually(
        `${c.name} in its failing state`,
        async () => {
          const current = await core.readNamespacedPod({ name: c.name, namespace: ns });
          return c.caught(current, await eventsOf(c.name)) ? current : undefined;
        },
        { timeoutMs: c.timeoutMs ?? 120_000, intervalMs: 1_000 },
      );
      const { verdict, envelope } = await triage(`why-${c.name}`, { intent: c.intent, target: { kind: 'Pod', name: c.name } });
      const saw = await podTheTriageSaw(envelope, c.name);
      console.log(
        `[e2e] ${c.name}: caught in state ${stateOf(saw.pod)}${saw.exact ? '' : ' (live; anchored version gone)'} ${String(Math.round((Date.now() - (createdAt.get(c.name) ?? 0)) / 1000))} s after creation` +
          ` → ${verdict ?? '?'} ${envelope.rootCause?.code ?? '-'}: ${envelope.rootCause?.message ?? envelope.summary}`,
      );
      if (envelope.rootCause?.code !== c.code)
        console.log(
          `[e2e] ${c.name}: pod ${JSON.stringify(pod.status)}\nevents ${JSON.stringify((await eventsOf(c.name)).map((e) => [e.type, e.reason, e.message]))}`,
        );
      expect(verdict).toBe('RootCauseFound');
      expect(envelope.rootCause?.code).toBe(c.code);
      expect(envelope.rootCause?.message).toMatch(c.names);
      expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([`Pod/${c.name}`]);
    },
    200_000,
  );
});

test('a rollout stuck on a pod that cannot pull its image: ImageNotFound, Deployment → ReplicaSet → Pod (real kubelet)', async () => {
  await eventually(
    'ProgressDeadlineExceeded',
    async () => {
      const deployment = await apps.readNamespacedDeployment({ name: WEB, namespace: ns });
      return deployment.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') === true ? true : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 1_000 },
  );
  const { verdict, envelope } = await triage('why-web', { intent: 'rollout-stuck', target: { kind: 'Deployment', name: WEB } });
  const podName = envelope.rootCause?.chain.at(-1)?.name ?? '';
  const saw = await podTheTriageSaw(envelope, podName);
  console.log(
    `[e2e] ${WEB} rollout: caught pod ${podName} in state ${stateOf(saw.pod)} → ${verdict ?? '?'} ${envelope.rootCause?.code ?? '-'}: ${envelope.rootCause?.message ?? envelope.summary}`,
  );
  expect(verdict).toBe('RootCauseFound');
  expect(envelope.rootCause?.code).toBe('ImageNotFound');
  expect(envelope.rootCause?.chain.map((r) => r.kind)).toEqual(['Deployment', 'ReplicaSet', 'Pod']);
});

describe('a Continuous crashloop request on a real crash loop (real kubelet)', () => {
  test('never reads Healthy through 3 real restarts, and flips to Healthy once the Deployment is fixed', async () => {
    const request = CONTINUOUS;
    let maxRestarts = 0;
    const states = new Set<string>();
    await eventually(
      'the flapper pod restarted 3 times',
      async () => {
        const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${FLAPPER}` })).items;
        for (const pod of pods) {
          maxRestarts = Math.max(maxRestarts, status(pod)?.restartCount ?? 0);
          states.add(stateOf(pod).replace(/, restarts \d+$/, ''));
        }
        return maxRestarts >= restartsAtRequest + 3 ? true : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1_000 },
    );
    const fixedAt = Date.now();
    const duringLoop = recorder.of(request).filter((w) => w.at < fixedAt);
    const describe = (w: StatusWrite) =>
      `+${String(Math.round((w.at - (duringLoop[0]?.at ?? w.at)) / 1000))}s ${w.status.verdict ?? '?'}/${w.status.envelope?.rootCause?.code ?? '-'}`;
    console.log(
      `[e2e] Continuous crashloop: restarts ${String(restartsAtRequest)} → ${String(maxRestarts)} while recorded; writes during the loop: ${duringLoop.map(describe).join(', ')}`,
    );
    expect(duringLoop.length).toBeGreaterThan(0);
    expect(duringLoop.filter((w) => w.status.verdict === 'Healthy').map(describe)).toEqual([]);
    expect(duringLoop.at(-1)?.status.envelope?.rootCause?.code).toBe('ApplicationError');

    // The fix: the container now stays up. Recreate replaces the crashing pod with a healthy one.
    await apps.patchNamespacedDeployment({
      name: FLAPPER,
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/command', value: ['sleep', '3600'] }],
    });
    const healthy = await eventually(
      'the request flips to Healthy',
      () => Promise.resolve(recorder.of(request).find((w) => w.at >= fixedAt && w.status.verdict === 'Healthy')),
      {
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    const all = recorder.of(request);
    console.log(
      `[e2e] Continuous crashloop: restarts ${String(restartsAtRequest)} → ${String(maxRestarts)} followed (states seen: ${[...states].join(' | ')}); ${String(all.length)} status writes: ${all.map(describe).join(', ')}; Healthy ${String(Math.round((healthy.at - fixedAt) / 1000))} s after the fix`,
    );
    recorder.stop();
    // Every write before the first Healthy one (after the fix) named the crash.
    const beforeHealthy = all.filter((w) => w.at < healthy.at);
    expect(beforeHealthy.filter((w) => w.status.verdict === 'Healthy')).toEqual([]);
  }, 420_000);
});

describe('node-pressure on the real node (real kubelet)', () => {
  async function nodeCondition(type: string): Promise<string | undefined> {
    return (await core.readNode({ name: NODE })).status?.conditions?.find((c) => c.type === type)?.status;
  }

  function kubelet(...args: string[]) {
    return runHackScript('real-node.sh', cluster.env, { args: ['kubelet', ...args] });
  }

  test.each([
    ['DiskPressure', 'disk'],
    ['MemoryPressure', 'memory'],
    ['PIDPressure', 'pid'],
  ])(
    '%s: the kubelet restarted with an eviction threshold the node crosses (real kubelet)',
    async (code, signal) => {
      const on = await kubelet('pressure', signal);
      expect(on.code).toBe(0);
      try {
        await eventually(`${code}=True`, async () => ((await nodeCondition(code)) === 'True' ? true : undefined), { timeoutMs: 90_000, intervalMs: 1_000 });
        const { verdict, envelope } = await triage(`node-${signal}-pressure`, { intent: 'node-pressure', target: { kind: 'Node', name: NODE } });
        const node = await core.readNode({ name: NODE });
        const condition = node.status?.conditions?.find((c) => c.type === code);
        console.log(
          `[e2e] node ${code}: caught in state ${code}=${condition?.status ?? '?'} (${condition?.reason ?? '?'}) → ${verdict ?? '?'} ${envelope.rootCause?.code ?? '-'}: ${envelope.rootCause?.message ?? envelope.summary}`,
        );
        expect(verdict).toBe('RootCauseFound');
        expect(envelope.rootCause?.code).toBe(code);
        expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([`Node/${NODE}`]);
      } finally {
        expect((await kubelet('pressure', 'off')).code).toBe(0);
      }
      // Restored: the condition clears once the threshold is gone (evictionPressureTransitionPeriod 10 s).
      await eventually(`${code}=False`, async () => ((await nodeCondition(code)) === 'False' ? true : undefined), { timeoutMs: 90_000, intervalMs: 1_000 });
    },
    240_000,
  );

  test('NodeProblemDetected: a KernelDeadlock condition, posted the way node-problem-detector posts it (a status patch)', async () => {
    const condition = {
      type: 'KernelDeadlock',
      status: 'True',
      reason: 'DockerHung',
      message: 'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
      lastHeartbeatTime: new Date().toISOString(),
      lastTransitionTime: new Date().toISOString(),
    };
    const patch = (conditions: unknown) =>
      kubectlOk(
        ['patch', 'node', NODE, '--subresource=status', '--type=strategic', '-p', JSON.stringify({ status: { conditions } })],
        undefined,
        cluster.kubeconfig(),
      );
    await patch([condition]);
    try {
      const { verdict, envelope } = await triage('node-problem-detected', { intent: 'node-pressure', target: { kind: 'Node', name: NODE } });
      expect([verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'NodeProblemDetected']);
    } finally {
      await patch([{ ...condition, status: 'False', reason: 'KernelHasNoDeadlock', message: 'kernel has no deadlock' }]);
    }
  });

  test('NodeNotReady: the kubelet stopped (real kubelet)', async () => {
    const stop = await runHackScript('component.sh', cluster.env, { args: ['stop', 'kubelet'] });
    expect(stop.code).toBe(0);
    const stoppedAt = Date.now();
    try {
      // The Lease goes stale after the node monitor grace period (50 s); Ready turns Unknown about then too.
      const { verdict, envelope } = await eventually(
        'NodeNotReady',
        async () => {
          if (Date.now() - stoppedAt < 50_000) return undefined;
          const name = `node-not-ready-${String(Math.round((Date.now() - stoppedAt) / 1000))}`;
          const answer = await triage(name, { intent: 'node-pressure', target: { kind: 'Node', name: NODE } });
          return answer.envelope.rootCause?.code === 'NodeNotReady' ? answer : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 5_000 },
      );
      const node = await core.readNode({ name: NODE });
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      const lease = await raw.get<{ spec?: { renewTime?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`);
      const staleFor = Math.round((Date.now() - new Date(lease.spec?.renewTime ?? 0).getTime()) / 1000);
      console.log(
        `[e2e] node NotReady: caught in state Ready=${ready?.status ?? '?'} (${ready?.reason ?? '?'}), Lease last renewed ${String(staleFor)} s ago, kubelet stopped ${String(Math.round((Date.now() - stoppedAt) / 1000))} s ago → ${verdict ?? '?'} ${envelope.rootCause?.code ?? '-'}: ${envelope.rootCause?.message ?? envelope.summary}`,
      );
      expect(verdict).toBe('RootCauseFound');
      expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([`Node/${NODE}`]);
    } finally {
      expect((await runHackScript('component.sh', cluster.env, { args: ['start', 'kubelet'] })).code).toBe(0);
    }
    await eventually('Ready=True again', async () => ((await nodeCondition('Ready')) === 'True' ? true : undefined), { timeoutMs: 90_000, intervalMs: 1_000 });
  }, 300_000);
});
