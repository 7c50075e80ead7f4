import { verifyAnchors } from './support/anchors';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { kubectl, kubectlOk } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// TriageTemplates applied with kubectl: a runbook no built-in covers, an invalid one, an override of a
// built-in, and a finding accepted per object.
const ns = useTestNamespace('e2e-templates');
const templates = ['paused-rollouts.example.com', 'broken.example.com', 'pvc-binding'];

interface TemplateStatus {
  status?: { hash?: string; conditions?: { type: string; status: string; reason: string; message: string }[] };
}

async function accepted(name: string) {
  return eventually(`template ${name} status`, async () => {
    const template = (await kube().custom.getClusterCustomObject({
      group: 'triage.dev',
      version: 'v1alpha1',
      plural: 'triagetemplates',
      name,
    })) as TemplateStatus;
    return template.status?.conditions?.find((c) => c.type === 'Accepted');
  });
}

beforeAll(async () => {
  await startOperator();
});

afterAll(async () => {
  await stopAllOperators();
  for (const name of templates) await kubectl(['delete', 'triagetemplate', name, '--ignore-not-found']);
});

test('a custom template applied with kubectl diagnoses what no built-in covers: a paused Deployment', async () => {
  await kubectlOk(
    ['apply', '-f', '-'],
    `apiVersion: triage.dev/v1alpha1
kind: TriageTemplate
metadata: {name: paused-rollouts.example.com}
spec:
  description: Deployments someone paused and forgot.
  targetKinds: [Deployment, Namespace]
  matchers:
  - condition: {type: Progressing, reason: DeploymentPaused}
    finding: {code: DeploymentPaused, severity: Warning, message: "Deployment {namespace}/{name} is paused, so new revisions never roll out"}
    nextAction: {description: "Resume the rollout of {name}", command: "kubectl rollout resume deployment/{name} -n {namespace}", safety: Mutating}
`,
  );
  expect(await accepted('paused-rollouts.example.com')).toMatchObject({ status: 'True', reason: 'Valid' });

  await kube().apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name: 'frozen' },
      spec: {
        paused: true,
        replicas: 1,
        selector: { matchLabels: { app: 'frozen' } },
        template: { metadata: { labels: { app: 'frozen' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
      },
    },
  });
  await eventually('the deployment controller marks it paused', async () => {
    const deployment = await kube().apps.readNamespacedDeployment({ name: 'frozen', namespace: ns.name });
    return deployment.status?.conditions?.some((c) => c.reason === 'DeploymentPaused') === true ? true : undefined;
  });

  await createTriageRequest(ns.name, 'why-frozen', { intent: 'paused-rollouts.example.com', target: { kind: 'Deployment', name: 'frozen' } });
  const request = await triaged(ns.name, 'why-frozen');
  const envelope = request.status?.envelope;
  expect(request.status?.verdict).toBe('RootCauseFound');
  expect(envelope?.template).toMatchObject({ name: 'paused-rollouts.example.com', source: 'Custom' });
  expect(envelope?.rootCause).toMatchObject({ code: 'DeploymentPaused', message: `Deployment ${ns.name}/frozen is paused, so new revisions never roll out` });
  expect(envelope?.nextActions).toContainEqual({
    description: 'Resume the rollout of frozen',
    command: `kubectl rollout resume deployment/frozen -n ${ns.name}`,
    safety: 'Mutating',
  });
  if (envelope !== undefined) expect(await verifyAnchors(envelope)).toEqual([]);
});

test('an invalid template says exactly why in its status and is never used', async () => {
  await kubectlOk(
    ['apply', '-f', '-'],
    `apiVersion: triage.dev/v1alpha1
kind: TriageTemplate
metadata: {name: broken.example.com}
spec:
  targetKinds: [Pod]
  steps: [{name: pods, checks: [pod.scheduling, pod.no-such-check]}]
  matchers:
  - event: {reason: BackOff, messageRegex: "restarting (failed"}
    finding: {code: Restarting, severity: Warning, message: restarts}
`,
  );
  const condition = await accepted('broken.example.com');
  expect(condition).toMatchObject({ status: 'False', reason: 'InvalidTemplate' });
  expect(condition.message).toContain('spec.steps[0].checks[1]: unknown check "pod.no-such-check"');
  expect(condition.message).toContain('spec.matchers[0].event.messageRegex');

  await createTriageRequest(ns.name, 'uses-broken', { intent: 'broken.example.com', target: { kind: 'Pod', name: 'x' } });
  const request = await triaged(ns.name, 'uses-broken');
  expect(request.status?.verdict).toBe('Failed');
  expect(request.status?.conditions?.find((c) => c.type === 'Complete')).toMatchObject({ reason: 'InvalidTemplate' });
  expect(request.status?.envelope).toBeUndefined();
});

test('a template named like a built-in overrides it, and the envelope says so', async () => {
  await kubectlOk(
    ['apply', '-f', '-'],
    `apiVersion: triage.dev/v1alpha1
kind: TriageTemplate
metadata: {name: pvc-binding}
spec:
  version: "2-local"
  targetKinds: [PersistentVolumeClaim, Namespace]
  steps: [{name: claim, checks: [claim.binding]}]
`,
  );
  expect(await accepted('pvc-binding')).toMatchObject({ status: 'True' });
  await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'data' }, spec: { storageClassName: 'nope', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  await createTriageRequest(ns.name, 'overridden', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'data' } });
  const request = await triaged(ns.name, 'overridden');
  expect(request.status?.envelope?.template).toMatchObject({ name: 'pvc-binding', version: '2-local', source: 'Override' });
  expect(request.status?.envelope?.rootCause?.code).toBe('StorageClassNotFound');
  await kubectlOk(['delete', 'triagetemplate', 'pvc-binding']);
});

test('a finding code accepted on the object is reported as suppressed, not hidden', async () => {
  await kube().core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: {
      metadata: { name: 'parked', annotations: { 'triage.dev/accept': 'StorageClassNotFound' } },
      spec: { storageClassName: 'coming-later', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
  await createTriageRequest(ns.name, 'parked', { intent: 'pvc-binding', target: { kind: 'PersistentVolumeClaim', name: 'parked' } });
  const request = await triaged(ns.name, 'parked');
  expect(request.status?.envelope?.rootCause).toBeUndefined();
  expect(request.status?.envelope?.findings).toEqual([expect.objectContaining({ code: 'StorageClassNotFound', severity: 'Info', suppressed: true })]);
  expect(request.status?.verdict).toBe('Healthy');
});
