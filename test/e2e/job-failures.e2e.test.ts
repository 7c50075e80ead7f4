import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { triagedUntil, triageVerified } from './support/triage';

// job-failures on the real job controller. Failing Job pods need a real kubelet (see kubelet-real);
// here the states the controllers produce by themselves: a suspended Job and CronJob, a Job the quota refuses.
const ns = useTestNamespace('e2e-jobs');
const image = 'registry.k8s.io/pause:3.10';

beforeAll(async () => {
  await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
});

const triage = (name: string, spec: Record<string, unknown>) => triageVerified(ns.name, name, spec);

test('JobSuspended: the job controller marks the Job Suspended and creates no pods', async () => {
  await kube().raw.create(`/apis/batch/v1/namespaces/${ns.name}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'reindex' },
    spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'reindex', image }] } } },
  });
  await eventually('the job controller marked it Suspended', async () => {
    const job = await kube().raw.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/batch/v1/namespaces/${ns.name}/jobs/reindex`);
    return job.status?.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True') === true ? true : undefined;
  });
  const { verdict, envelope } = await triage('why-reindex', { intent: 'job-failures', target: { kind: 'Job', name: 'reindex' } });
  expect([verdict, envelope.rootCause?.code]).toEqual(['RootCauseFound', 'JobSuspended']);
});

test('CronJobSuspended, found by a namespace sweep', async () => {
  await kube().raw.create(`/apis/batch/v1/namespaces/${ns.name}/cronjobs`, {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly' },
    spec: {
      schedule: '0 2 * * *',
      suspend: true,
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'report', image }] } } } },
    },
  });
  const { verdict, envelope } = await triage('why-nightly', { intent: 'job-failures' });
  expect(verdict).toBe('RootCauseFound');
  expect(
    envelope.findings
      .map((f) => f.code)
      .concat(envelope.rootCause?.code ?? '')
      .sort(),
  ).toEqual(['CronJobSuspended', 'JobSuspended']);
});

test('QuotaExceeded: a Job whose pods the quota admission refuses (the job controller records FailedCreate)', async () => {
  await kube().core.createNamespacedResourceQuota({ namespace: ns.name, body: { metadata: { name: 'jobs' }, spec: { hard: { 'requests.cpu': '100m' } } } });
  try {
    await kube().raw.create(`/apis/batch/v1/namespaces/${ns.name}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'etl' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'etl', image, resources: { requests: { cpu: '500m' } } }] } } },
    });
    await eventually(
      'FailedCreate for exceeded quota on the Job',
      async () => {
        const events = await kube().core.listNamespacedEvent({ namespace: ns.name });
        return events.items.some((e) => e.involvedObject.name === 'etl' && e.reason === 'FailedCreate' && (e.message ?? '').includes('exceeded quota'))
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const { envelope } = await triagedUntil(
      ns.name,
      'why-etl',
      { intent: 'job-failures', target: { kind: 'Job', name: 'etl' } },
      (e) => e.rootCause?.code === 'QuotaExceeded',
    );
    expect(envelope.rootCause?.chain.map((r) => `${r.kind}/${r.name}`)).toEqual(['Job/etl', 'ResourceQuota/jobs']);
  } finally {
    // The quota would refuse every later pod without cpu requests.
    await kube().core.deleteNamespacedResourceQuota({ name: 'jobs', namespace: ns.name });
  }
});
