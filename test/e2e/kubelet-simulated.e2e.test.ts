import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// Crashes, image pulls and node pressure need a kubelet, and this cluster has none (kwok only fakes
// healthy nodes). These tests write what a kubelet would: pod and node status through the status
// subresource, and kubelet Events. The pods are bound by nodeName to a node kwok does not manage, so
// nothing overwrites that status. Every test name says "(kubelet simulated)".
const ns = useTestNamespace('e2e-kubelet');
const node = `manual-${ns.name}`;
const pods: string[] = [];

beforeAll(async () => {
  await startOperator({ args: [`--trusted-namespaces=${ns.name}`] });
  const now = new Date().toISOString();
  const condition = (type: string, status: string, reason: string) => ({ type, status, reason, message: reason, lastHeartbeatTime: now, lastTransitionTime: now });
  await kube().core.createNode({
    body: {
      metadata: { name: node, labels: { 'kubernetes.io/hostname': node, 'triage.dev/e2e-pool': node } },
      status: {
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [
          condition('Ready', 'True', 'KubeletReady'),
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
          condition('NetworkUnavailable', 'False', 'RouteCreated'),
        ],
      } as never,
    },
  });
});

afterAll(async () => {
  await stopAllOperators();
  // No kubelet confirms deletions on this node: force-delete its pods, or the namespace hangs.
  for (const name of pods) await kube().core.deleteNamespacedPod({ name, namespace: ns.name, gracePeriodSeconds: 0 }).catch(() => undefined);
  await kube().core.deleteNode({ name: node }).catch(() => undefined);
});

interface ContainerState {
  readonly state: Record<string, unknown>;
  readonly lastState?: Record<string, unknown>;
  readonly restartCount?: number;
}

/** Creates a pod bound to the manual node and writes the status a kubelet would report for it. */
async function podWithStatus(name: string, image: string, container: ContainerState, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): Promise<string> {
  const pod = await kube().core.createNamespacedPod({
    namespace: ns.name,
    body: { metadata: { name, labels }, spec: { nodeName: node, containers: [{ name: 'app', image, ...spec }] } },
  });
  pods.push(name);
  await writePodStatus(name, image, container);
  return pod.metadata?.uid ?? '';
}

async function writePodStatus(name: string, image: string, container: ContainerState): Promise<void> {
  const now = new Date().toISOString();
  await kube().raw.mergePatch(`/api/v1/namespaces/${ns.name}/pods/${name}/status`, {
    status: {
      phase: 'Running' in container.state ? 'Running' : 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastTransitionTime: now },
      ],
      containerStatuses: [{ name: 'app', image, imageID: '', ready: false, started: false, restartCount: container.restartCount ?? 0, state: container.state, lastState: container.lastState ?? {} }],
    },
  });
}

/** A core/v1 Event as the kubelet writes it (source kubelet, fieldPath of the container). */
async function kubeletEvent(uid: string, podName: string, reason: string, type: 'Normal' | 'Warning', message: string, count = 1): Promise<void> {
  const now = new Date();
  await kube().core.createNamespacedEvent({
    namespace: ns.name,
    body: {
      metadata: { name: `${podName}.${now.getTime().toString(16)}${reason.toLowerCase()}` },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: podName, uid, fieldPath: 'spec.containers{app}' },
      reason,
      type,
      message,
      count,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'kubelet', host: node },
      reportingComponent: 'kubelet',
      reportingInstance: node,
    },
  });
}

async function triage(name: string, spec: Record<string, unknown>) {
  await createTriageRequest(ns.name, name, spec);
  const request = await triaged(ns.name, name);
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(`no envelope for ${name}: ${JSON.stringify(request.status)}`);
  expect(await verifyAnchors(envelope)).toEqual([]);
  return envelope;
}

const started = '2026-11-21T10:00:00Z';
const backOff = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app' } };

describe('crashloop (kubelet simulated)', () => {
  test.each([
    ['OOMKilled', { resources: { limits: { memory: '256Mi' } } }, { state: backOff, restartCount: 6, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: started, finishedAt: started } } }],
    ['ApplicationError', {}, { state: backOff, restartCount: 4, lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'FATAL: could not connect to database: connection refused', startedAt: started, finishedAt: started } } }],
    ['ConfigMissing', {}, { state: { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "app-config" not found' } } }],
    [
      'CommandNotFound',
      { command: ['gunicorn'] },
      {
        state: backOff,
        restartCount: 3,
        lastState: { terminated: { exitCode: 128, reason: 'StartError', message: 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "gunicorn": executable file not found in $PATH: unknown', startedAt: started, finishedAt: started } },
      },
    ],
  ])('%s (kubelet simulated)', async (code, spec, container) => {
    const name = `crash-${code.toLowerCase()}`;
    await podWithStatus(name, 'registry.example.com/shop/app:1.4', container, spec);
    const envelope = await triage(name, { intent: 'crashloop', target: { kind: 'Pod', name } });
    expect(envelope.rootCause?.code).toBe(code);
    expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([`Pod/${name}`]);
  });

  test('LivenessProbeFailing (kubelet simulated)', async () => {
    const name = 'crash-liveness';
    const uid = await podWithStatus(
      name,
      'registry.example.com/shop/app:1.4',
      { state: { running: { startedAt: new Date().toISOString() } }, restartCount: 5, lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: started, finishedAt: new Date().toISOString() } } },
      { livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 } },
    );
    await kubeletEvent(uid, name, 'Unhealthy', 'Warning', 'Liveness probe failed: HTTP probe failed with statuscode: 500', 9);
    await kubeletEvent(uid, name, 'Killing', 'Normal', 'Container app failed liveness probe, will be restarted', 3);
    const envelope = await triage(name, { intent: 'crashloop', target: { kind: 'Pod', name } });
    expect(envelope.rootCause?.code).toBe('LivenessProbeFailing');
  });
});

describe('image-pull (kubelet simulated)', () => {
  const pullFailure = (image: string, message: string) => ({ state: { waiting: { reason: 'ErrImagePull', message } }, image });
  test.each([
    ['ImageNotFound', pullFailure('docker.io/library/nginx:does-not-exist', 'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:does-not-exist": failed to resolve reference "docker.io/library/nginx:does-not-exist": docker.io/library/nginx:does-not-exist: not found')],
    ['ImagePullUnauthorized', pullFailure('ghcr.io/acme/private:1', 'rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/private:1": failed to resolve reference "ghcr.io/acme/private:1": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token: 401 Unauthorized')],
    ['RegistryUnreachable', pullFailure('registry.internal:5000/app:1', 'rpc error: code = Unknown desc = failed to pull and unpack image "registry.internal:5000/app:1": failed to resolve reference "registry.internal:5000/app:1": failed to do request: Head "https://registry.internal:5000/v2/app/manifests/1": dial tcp: lookup registry.internal on 10.96.0.10:53: no such host')],
    ['InvalidImageName', { state: { waiting: { reason: 'InvalidImageName', message: 'Failed to apply default image tag "Nginx:Latest": couldn\'t parse image name "Nginx:Latest": invalid reference format: repository name must be lowercase' } }, image: 'Nginx:Latest' }],
  ])('%s (kubelet simulated)', async (code, { state, image }) => {
    const name = `pull-${code.toLowerCase()}`;
    const uid = await podWithStatus(name, image, { state });
    await kubeletEvent(uid, name, 'Failed', 'Warning', `Failed to pull image "${image}": ${(state.waiting as { message: string }).message}`);
    const envelope = await triage(name, { intent: 'image-pull', target: { kind: 'Pod', name } });
    expect(envelope.rootCause?.code).toBe(code);
  });

  test('a rollout stuck on a pod that cannot pull its image: ImageNotFound, Deployment → ReplicaSet → Pod (kubelet simulated)', async () => {
    const image = 'docker.io/acme/web:9.9.9-missing';
    await kube().apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: 3,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { nodeName: node, containers: [{ name: 'app', image }] } },
        },
      },
    });
    const pod = await eventually('the web pod', async () => (await kube().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' })).items[0]);
    const podName = pod.metadata?.name ?? '';
    pods.push(podName);
    const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
    await writePodStatus(podName, image, { state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${message}` } } });
    await kubeletEvent(pod.metadata?.uid ?? '', podName, 'Failed', 'Warning', `Failed to pull image "${image}": ${message}`);
    await eventually('ProgressDeadlineExceeded', async () => {
      const deployment = await kube().apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
      return deployment.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') === true ? true : undefined;
    });
    const envelope = await triage('why-web', { intent: 'rollout-stuck', target: { kind: 'Deployment', name: 'web' } });
    expect(envelope.rootCause?.code).toBe('ImageNotFound');
    expect(envelope.rootCause?.chain.map((r) => r.kind)).toEqual(['Deployment', 'ReplicaSet', 'Pod']);
  });
});

describe('node-pressure (kubelet simulated)', () => {
  async function setCondition(type: string, status: string, reason: string, message: string): Promise<void> {
    const current = await kube().core.readNode({ name: node });
    const now = new Date().toISOString();
    // Plain objects: the client's condition class would serialise its timestamps as Dates.
    const conditions = (current.status?.conditions ?? []).map((c) => ({
      type: c.type,
      ...(c.type === type ? { status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now } : { status: c.status, reason: c.reason, message: c.message }),
    }));
    await kube().raw.mergePatch(`/api/v1/nodes/${node}/status`, { status: { conditions } });
  }

  test.each([
    ['MemoryPressure', 'MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'],
    ['DiskPressure', 'DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure'],
    ['PIDPressure', 'PIDPressure', 'True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available'],
    ['NetworkUnavailable', 'NetworkUnavailable', 'True', 'NoRouteCreated', 'RouteController failed to create a route'],
    ['NodeNotReady', 'Ready', 'False', 'KubeletNotReady', 'container runtime network not ready: NetworkReady=false'],
  ])('%s (kubelet simulated)', async (code, type, status, reason, message) => {
    await setCondition(type, status, reason, message);
    try {
      const envelope = await triage(`node-${code.toLowerCase()}`, { intent: 'node-pressure', target: { kind: 'Node', name: node } });
      expect(envelope.rootCause?.code).toBe(code);
      expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual([`Node/${node}`]);
    } finally {
      await setCondition(type, type === 'Ready' ? 'True' : 'False', 'Recovered', 'recovered');
    }
  });

  test('NodeCordoned: kubectl cordon (real)', async () => {
    await kube().core.patchNode({ name: node, body: [{ op: 'add', path: '/spec/unschedulable', value: true }] });
    const envelope = await triage('node-cordoned', { intent: 'node-pressure', target: { kind: 'Node', name: node } });
    expect(envelope.rootCause?.code).toBe('NodeCordoned');
  });
});
