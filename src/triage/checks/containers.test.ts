import { MemorySnapshot } from '../memory-snapshot';
import { crashLoop, notReady, NOW, pod, run } from '../../../test/support/pod-fixtures';
import { diagnose } from '../engine';
import { Investigation } from '../investigation';
import type { EventRecord } from '../objects';
import type { KubeObject } from '../snapshot';
import { builtInTemplate, compileTemplate } from '../templates';
import { containersOf, eventFor, inScope, type ContainerPod } from './containers';
import { podCrashloop } from './crash';
import { podImagePull } from './image-pull';

// What the container checks share (containers.ts), and the two checks (crash.ts, image-pull.ts) together.

describe('reading containers', () => {
  test('init containers come first, each with its spec and the paths anchors use', () => {
    const subject = pod(
      'p',
      { containerStatuses: [{ name: 'app' }], initContainerStatuses: [{ name: 'migrate' }] },
      { initContainers: [{ name: 'migrate', image: 'm:1' }] },
    ) as ContainerPod;
    expect(containersOf(subject).map((v) => [v.name, v.init, v.spec?.image, v.statusPath, v.specPath])).toEqual([
      ['migrate', true, 'm:1', 'status.initContainerStatuses[name=migrate]', 'spec.initContainers[name=migrate]'],
      ['app', false, 'registry.example.com/app:1', 'status.containerStatuses[name=app]', 'spec.containers[name=app]'],
    ]);
  });

  test('a pod is in scope bound to a node, unfinished, and not failed as a whole', () => {
    const inv = new Investigation(new MemorySnapshot([]), NOW);
    const scoped = (status: Record<string, unknown>, spec: Record<string, unknown> = {}) => inScope(inv, pod('p', status, spec));
    expect(scoped({ phase: 'Running', conditions: notReady })).toBe(true);
    expect(scoped({ phase: 'Pending', conditions: notReady }, { nodeName: undefined })).toBe(false);
    expect(scoped({ phase: 'Failed', reason: 'NodeLost', conditions: notReady })).toBe(false);
  });

  test("an Event is a container's when it names it, or when the container is the pod's only candidate", () => {
    const about = (message: string) => ({ reason: 'BackOff', message }) as EventRecord;
    const [view] = containersOf(pod('p', { containerStatuses: [{ name: 'app' }] }));
    if (view === undefined) throw new Error('no view');
    const backOff = (e: EventRecord) => e.reason === 'BackOff';
    expect(eventFor([about('Back-off restarting failed container app in pod p')], view, false, backOff)?.message).toContain('container app');
    expect(eventFor([about('Back-off restarting failed container=app pod=p')], view, false, backOff)).toBeDefined();
    expect(eventFor([about('Back-off restarting failed container apple in pod p')], view, false, backOff)).toBeUndefined();
    expect(eventFor([about('Back-off restarting failed container')], view, true, backOff)).toBeDefined();
  });

  test("the kubelet's fieldPath decides before the text: another container's Event is never this one's", () => {
    const about = (message: string, fieldPath: string) => ({ reason: 'BackOff', message, fieldPath }) as EventRecord;
    const [view] = containersOf(pod('p', { containerStatuses: [{ name: 'app' }] }));
    if (view === undefined) throw new Error('no view');
    const backOff = (e: EventRecord) => e.reason === 'BackOff';
    // The text names no container (kubelet Events often do not); the fieldPath does.
    expect(eventFor([about('Back-off pulling image "r/app:9"', 'spec.containers{app}')], view, false, backOff)).toBeDefined();
    // Only candidate or not, an Event the kubelet filed under the sidecar is the sidecar's.
    expect(eventFor([about('Back-off restarting failed container app in pod p', 'spec.containers{proxy}')], view, true, backOff)).toBeUndefined();
    expect(eventFor([about('Back-off restarting failed container', 'spec.initContainers{app}')], view, true, backOff)).toBeUndefined();
  });
});

describe('pod.crashloop and pod.image-pull stay silent', () => {
  const crashed = { containerStatuses: [{ name: 'app', restartCount: 3, state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] };

  test.each([
    ['a Ready pod', pod('p', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], ...crashed })],
    ['a Succeeded pod', pod('p', { phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] })],
    [
      'a pod without a node',
      pod('p', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }, { nodeName: undefined }),
    ],
    [
      'a pod still creating its containers',
      pod('p', { phase: 'Pending', conditions: notReady, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] }),
    ],
    [
      'a running pod that restarted long ago',
      pod('p', {
        phase: 'Running',
        conditions: notReady,
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 1,
            state: { running: {} },
            lastState: { terminated: { exitCode: 1, finishedAt: '2026-11-18T09:00:00Z' } },
          },
        ],
      }),
    ],
    [
      'a finished init container',
      pod('p', {
        phase: 'Pending',
        conditions: notReady,
        initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
      }),
    ],
  ])('%s', (_name, subject) => {
    expect(run([podCrashloop, podImagePull], [subject])).toEqual([]);
  });
});

describe('a pod with one image that cannot be pulled and a crashing sidecar', () => {
  const subject = pod(
    'p',
    {
      phase: 'Pending',
      conditions: notReady,
      containerStatuses: [
        { name: 'app', state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = ...: r/app:9: not found' } } },
        { name: 'proxy', restartCount: 5, state: crashLoop, lastState: { terminated: { exitCode: 1, reason: 'Error' } } },
      ],
    },
    {
      containers: [
        { name: 'app', image: 'r/app:9' },
        { name: 'proxy', image: 'nginx:1.27' },
      ],
    },
  );

  test('when both checks run, the missing image is the root cause and the crash a finding', async () => {
    const template = compileTemplate('pod-both', { version: '1', targetKinds: ['Pod'], steps: [{ name: 'pod', checks: ['pod.image-pull', 'pod.crashloop'] }] });
    const { verdict, envelope } = await diagnose({
      intent: 'pod-both',
      template,
      templateSource: 'BuiltIn',
      target: { kind: 'Pod', namespace: 'shop', name: 'p' },
      maxSteps: 3,
      timeoutMs: 15000,
      minCompleteness: 0.8,
      snapshot: new MemorySnapshot([subject]),
      now: () => NOW,
    });
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause?.code).toBe('ImageNotFound');
    expect(envelope.findings.map((f) => [f.code, f.severity])).toEqual([['ApplicationError', 'Critical']]);
    expect(envelope.findings[0]?.message).toContain('container app cannot start either');
  });
});

describe('reached through a Service (service-no-endpoints runs every pod check)', () => {
  test("the Service's PodsNotReady is explained by the pod's own crash: chain Service → Pod", async () => {
    const crashing = pod('web-0', {
      phase: 'Running',
      conditions: notReady,
      containerStatuses: [{ name: 'app', restartCount: 7, state: crashLoop, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
    });
    const labelled = { ...crashing, metadata: { ...crashing.metadata, labels: { app: 'web' } } };
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop', uid: 'uid-service-web', resourceVersion: '3' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'shop', uid: 'uid-es', resourceVersion: '4', labels: { 'kubernetes.io/service-name': 'web' } },
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'web-0', uid: 'uid-pod-web-0' } }],
    };
    const template = builtInTemplate('service-no-endpoints');
    if (template === undefined) throw new Error('no template');
    const { verdict, envelope } = await diagnose({
      intent: 'service-no-endpoints',
      template,
      templateSource: 'BuiltIn',
      target: { kind: 'Service', namespace: 'shop', name: 'web' },
      maxSteps: 3,
      timeoutMs: 15000,
      minCompleteness: 0.8,
      snapshot: new MemorySnapshot([service, slice, labelled] as KubeObject[]),
      now: () => NOW,
    });
    expect(verdict).toBe('RootCauseFound');
    expect(envelope.rootCause?.code).toBe('OOMKilled');
    expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/web', 'Pod/web-0']);
  });
});
