import { diagnose, type DiagnosisTarget } from '../../src/triage/engine';
import type { KubeObject } from '../../src/triage/snapshot';
import { builtInTemplate } from '../../src/triage/templates';
import { MemorySnapshot } from '../../src/triage/memory-snapshot';

// A crash loop is one fault whatever moment it is sampled at: the container just ended (terminated),
// is backing off (waiting: CrashLoopBackOff), or runs again between restarts (running, even Ready) with
// a fresh lastState. Each sample must give the same root cause at Pod, workload and namespace level.
const NOW = new Date('2026-11-21T12:00:00.000Z');
const at = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000).toISOString();

type Ending = { readonly exitCode: number; readonly reason: string; readonly message?: string };
const CRASHES: Readonly<Record<string, { ending: Ending; code: string }>> = {
  OOMKilled: { ending: { exitCode: 137, reason: 'OOMKilled' }, code: 'OOMKilled' },
  'exit 1': { ending: { exitCode: 1, reason: 'Error', message: 'fatal: cannot open /etc/app/config.yaml' }, code: 'ApplicationError' },
};

/** The container's status at each sampled moment of the same loop (5 restarts so far, the last 20 s ago). */
function containerStatus(moment: 'terminated' | 'waiting' | 'running', ending: Ending) {
  const last = { ...ending, startedAt: at(80), finishedAt: at(20) };
  const common = { name: 'api', image: 'registry.example.com/shop/api:3.0', imageID: 'sha256:1', restartCount: 5 };
  if (moment === 'terminated')
    return {
      ...common,
      ready: false,
      started: false,
      state: { terminated: { ...ending, startedAt: at(25), finishedAt: at(2) } },
      lastState: { terminated: last },
    };
  if (moment === 'waiting') {
    return {
      ...common,
      ready: false,
      started: false,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=api pod=api-6d4f9c7b8d-x2k9p_shop(uid-pod)' } },
      lastState: { terminated: last },
    };
  }
  return { ...common, ready: true, started: true, state: { running: { startedAt: at(10) } }, lastState: { terminated: last } };
}

function cluster(moment: 'terminated' | 'waiting' | 'running', ending: Ending): KubeObject[] {
  const ready = moment === 'running' ? 'True' : 'False';
  return [
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-node', resourceVersion: '1', labels: { 'kubernetes.io/hostname': 'node-a' } } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop', uid: 'uid-deployment', resourceVersion: '2', generation: 1 },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'registry.example.com/shop/api:3.0' }] } },
      },
      status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: ready === 'True' ? 1 : 0, availableReplicas: ready === 'True' ? 1 : 0 },
    } as KubeObject,
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'api-6d4f9c7b8d',
        namespace: 'shop',
        uid: 'uid-rs',
        resourceVersion: '3',
        labels: { app: 'api', 'pod-template-hash': '6d4f9c7b8d' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'uid-deployment', controller: true }],
      },
      spec: { replicas: 1, selector: { matchLabels: { app: 'api', 'pod-template-hash': '6d4f9c7b8d' } } },
      status: { replicas: 1 },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'api-6d4f9c7b8d-x2k9p',
        namespace: 'shop',
        uid: 'uid-pod',
        resourceVersion: '4',
        creationTimestamp: at(900),
        labels: { app: 'api', 'pod-template-hash': '6d4f9c7b8d' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-6d4f9c7b8d', uid: 'uid-rs', controller: true }],
      },
      spec: { nodeName: 'node-a', containers: [{ name: 'api', image: 'registry.example.com/shop/api:3.0', resources: { limits: { memory: '128Mi' } } }] },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: ready },
          { type: 'Ready', status: ready },
        ],
        containerStatuses: [containerStatus(moment, ending)],
      },
    } as KubeObject,
  ];
}

const LEVELS: readonly { level: string; intent: string; target: DiagnosisTarget }[] = [
  { level: 'Pod', intent: 'crashloop', target: { kind: 'Pod', namespace: 'shop', name: 'api-6d4f9c7b8d-x2k9p' } },
  { level: 'Deployment', intent: 'crashloop', target: { kind: 'Deployment', namespace: 'shop', name: 'api' } },
  { level: 'Namespace', intent: 'namespace-health', target: { kind: 'Namespace', namespace: 'shop', name: 'shop' } },
];

const cases = Object.entries(CRASHES).flatMap(([crash, { ending, code }]) =>
  (['terminated', 'waiting', 'running'] as const).flatMap((moment) =>
    LEVELS.map(({ level, intent, target }) => ({ crash, ending, code, moment, level, intent, target })),
  ),
);

describe('a crash loop sampled at each moment, at each level', () => {
  test.each(cases)('$crash, $moment, at $level: $code', async ({ ending, code, moment, intent, target }) => {
    const template = builtInTemplate(intent);
    if (template === undefined) throw new Error(intent);
    const { verdict, envelope } = await diagnose({
      intent,
      template,
      templateSource: 'BuiltIn',
      target,
      maxSteps: 3,
      timeoutMs: 15_000,
      minCompleteness: 0.8,
      snapshot: new MemorySnapshot(cluster(moment, ending)),
      now: () => NOW,
    });
    const chain = envelope.rootCause?.chain ?? [];
    expect({ verdict, code: envelope.rootCause?.code, endsAt: chain.map((c) => `${c.kind}/${c.name}`).find((c) => c.startsWith('Pod/')) }).toEqual({
      verdict: 'RootCauseFound',
      code,
      endsAt: 'Pod/api-6d4f9c7b8d-x2k9p',
    });
  });
});
