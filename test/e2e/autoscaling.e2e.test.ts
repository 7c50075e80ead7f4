import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { triageVerified } from './support/triage';

// The autoscaling intent on the controller-manager's real HPA controller. The local cluster serves no
// metrics API, which is itself one of the states: the controller's own conditions are the evidence.
const ns = useTestNamespace('e2e-hpa');
const image = 'registry.k8s.io/pause:3.10';

beforeAll(async () => {
  await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
});

async function deployment(name: string, requests: Record<string, string> | undefined): Promise<void> {
  await kube().apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image, ...(requests === undefined ? {} : { resources: { requests } }) }] },
        },
      },
    },
  });
}

async function hpa(name: string, target: string): Promise<void> {
  await kube().raw.create(`/apis/autoscaling/v2/namespaces/${ns.name}/horizontalpodautoscalers`, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicas: 1,
      maxReplicas: 3,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  });
}

/** Waits for the HPA controller's own verdict on the autoscaler (it syncs every 15 s). */
async function controllerCondition(name: string, type: string, status: string): Promise<string> {
  return eventually(
    `HPA ${name} condition ${type}=${status}`,
    async () => {
      const object = await kube().raw.get<{ status?: { conditions?: { type: string; status: string; reason?: string }[] } }>(
        `/apis/autoscaling/v2/namespaces/${ns.name}/horizontalpodautoscalers/${name}`,
      );
      return object.status?.conditions?.find((c) => c.type === type && c.status === status)?.reason;
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
}

const triage = (name: string, spec: Record<string, unknown>) => triageVerified(ns.name, name, spec);

test('ScaleTargetNotFound: the autoscaler names a Deployment that does not exist', async () => {
  await hpa('orphan', 'no-such-deployment');
  process.stderr.write(`[e2e] HPA controller on the orphan: AbleToScale=False ${await controllerCondition('orphan', 'AbleToScale', 'False')}\n`);
  const { verdict, envelope } = await triage('why-orphan', { intent: 'autoscaling', target: { kind: 'HorizontalPodAutoscaler', name: 'orphan' } });
  expect([verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'ScaleTargetNotFound']);
});

test('MetricsUnavailable: no metrics API serves cpu utilization', async () => {
  await deployment('measured', { cpu: '100m' });
  await hpa('measured', 'measured');
  process.stderr.write(`[e2e] HPA controller without a metrics API: ScalingActive=False ${await controllerCondition('measured', 'ScalingActive', 'False')}\n`);
  const { verdict, envelope } = await triage('why-measured', { intent: 'autoscaling', target: { kind: 'HorizontalPodAutoscaler', name: 'measured' } });
  expect([verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'MetricsUnavailable']);
});

test('MissingResourceRequests, reached from the Deployment: utilization of a resource its pods do not request', async () => {
  await deployment('unrequested', undefined);
  await hpa('unrequested', 'unrequested');
  await controllerCondition('unrequested', 'AbleToScale', 'True');
  const { verdict, envelope } = await triage('why-unrequested', { intent: 'autoscaling', target: { kind: 'Deployment', name: 'unrequested' } });
  expect([verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'MissingResourceRequests']);
  expect(envelope.rootCause?.chain.map((ref) => `${ref.kind}/${ref.name}`)).toEqual(['Deployment/unrequested', 'HorizontalPodAutoscaler/unrequested']);
});
