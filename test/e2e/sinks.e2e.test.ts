import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Ajv from 'ajv';
import { kube, apiStatus } from './support/kube';
import { kubectlOk } from './support/kubectl';
import { operatorKubeconfig } from './support/service-account';
import { eventually } from './support/eventually';
import { metricSum, startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { repoRoot } from './support/scripts';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, getTriageRequest, type TriageRequestResource } from './support/triage';

// TriageSink: a real receiver on loopback gets one payload per transition of a Continuous request
// (one more for the delivery it refused), none for unchanged re-runs, each valid against the published schema.
const ns = useTestNamespace('e2e-sinks');
const rbacNs = useTestNamespace('e2e-sinks-rbac');
const sinkName = `e2e-${ns.name}`;
const secretName = `sink-token-${ns.name}`;
const operatorNamespace = 'triage-system';
const missingClass = `missing-${ns.name}`;
const token = `e2e-bearer-${ns.name}`;

interface Delivery {
  readonly key: string;
  readonly status: number;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}

const deliveries: Delivery[] = [];
let server: http.Server;
let url = '';
let operator: OperatorProcess;

beforeAll(async () => {
  let first = true;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // The first delivery is refused: the operator must retry it, with the same idempotency key.
      const status = first ? 500 : 200;
      first = false;
      deliveries.push({
        key: String(req.headers['idempotency-key']),
        status,
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/triage`;
  await kube()
    .core.createNamespace({ body: { metadata: { name: operatorNamespace } } })
    .catch((error: unknown) => {
      if (apiStatus(error) !== 409) throw error;
    });
  await kube().core.createNamespacedSecret({ namespace: operatorNamespace, body: { metadata: { name: secretName }, stringData: { token } } });
  await kube().raw.create('/apis/triage.dev/v1alpha1/triagesinks', {
    apiVersion: 'triage.dev/v1alpha1',
    kind: 'TriageSink',
    metadata: { name: sinkName },
    spec: { url, secretRef: { name: secretName, key: 'token' }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } } },
  });
  operator = await startOperator({ args: ['--cluster-name=e2e-local'] });
});

afterAll(async () => {
  await stopAllOperators();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  // The refused ones too, should the apiserver have let one through.
  for (const name of [sinkName, `${sinkName}-rbac`, `${sinkName}-plain`, `${sinkName}-none`, `${sinkName}-userinfo`])
    await kube()
      .raw.delete(`/apis/triage.dev/v1alpha1/triagesinks/${name}`)
      .catch(() => undefined);
  await kube()
    .core.deleteNamespacedSecret({ name: secretName, namespace: operatorNamespace })
    .catch(() => undefined);
});

const claim = (storageClassName: string) => ({
  metadata: { name: 'data' },
  spec: { storageClassName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});

/** Waits until the request has announced `transitions` transitions and the receiver accepted each one's payload. */
async function settled(transitions: number): Promise<TriageRequestResource> {
  return eventually(
    `transition ${transitions} announced and delivered`,
    async () => {
      const request = await getTriageRequest(ns.name, 'watch');
      const { status } = request;
      if (status?.transitions !== transitions || status.announcedTransitions !== transitions) return undefined;
      return deliveries.some((d) => d.status === 200 && d.key === `${request.metadata.uid}/${transitions}`) ? request : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

/** An unchanged re-run: the diagnosis runs again (counted), the transition count stays, and nothing more is delivered. */
async function unchangedRerun(change: () => Promise<unknown>): Promise<void> {
  const runs = async () => metricSum(await operator.metrics(), 'triage_runs_total', { intent: 'pvc-binding' });
  const before = await getTriageRequest(ns.name, 'watch');
  const runsBefore = await runs();
  const delivered = deliveries.length;
  await change();
  await eventually('the re-run', async () => ((await runs()) > runsBefore ? true : undefined));
  // A payload would follow the status write within milliseconds: give it well over that to show up.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await getTriageRequest(ns.name, 'watch')).status?.transitions).toBe(before.status?.transitions);
  expect(deliveries.length).toBe(delivered);
}

test('one payload per transition (and one retry), none for unchanged re-runs, each valid against docs/sink-payload.schema.json', async () => {
  await kube().core.createNamespacedPersistentVolumeClaim({ namespace: ns.name, body: claim(missingClass) });
  await createTriageRequest(ns.name, 'watch', { intent: 'pvc-binding', mode: 'Continuous', target: { kind: 'PersistentVolumeClaim', name: 'data' } });

  // 1: StorageClassNotFound, delivered on the second attempt.
  const broken = await settled(1);
  const uid = broken.metadata.uid;
  expect(deliveries.map((d) => [d.key, d.status])).toEqual([
    [`${uid}/1`, 500],
    [`${uid}/1`, 200],
  ]);

  // An unchanged re-run: an unrelated annotation on the claim changes what the request read, not its outcome.
  await unchangedRerun(() =>
    kube().core.patchNamespacedPersistentVolumeClaim({
      name: 'data',
      namespace: ns.name,
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'e2e/touch': '1' } }],
    }),
  );

  // 2: the claim is deleted: the target is gone, a different verdict or root cause.
  await kube().core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name });
  await eventually('claim gone', async () =>
    (await kube().core.listNamespacedPersistentVolumeClaim({ namespace: ns.name })).items.length === 0 ? true : undefined,
  );
  const gone = await settled(2);
  const second = gone.status?.verdict;
  expect([second, gone.status?.envelope?.rootCause?.code]).not.toEqual(['RootCauseFound', 'StorageClassNotFound']);

  // 3: the claim again, naming the missing class: StorageClassNotFound once more.
  await kube().core.createNamespacedPersistentVolumeClaim({ namespace: ns.name, body: claim(missingClass) });
  const again = await settled(3);
  expect(again.status?.envelope?.rootCause?.code).toBe('StorageClassNotFound');
  await unchangedRerun(() =>
    kube().core.patchNamespacedPersistentVolumeClaim({
      name: 'data',
      namespace: ns.name,
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'e2e/touch': '2' } }],
    }),
  );

  // Exactly one accepted payload per transition; the only other request was the refused first attempt.
  const accepted = deliveries.filter((d) => d.status === 200);
  expect(accepted.map((d) => d.key)).toEqual([`${uid}/1`, `${uid}/2`, `${uid}/3`]);
  expect(deliveries).toHaveLength(4);
  expect(accepted.map((d) => [d.body.verdict, d.body.previousVerdict])).toEqual([
    ['RootCauseFound', undefined],
    [second, 'RootCauseFound'],
    ['RootCauseFound', second],
  ]);
  expect(accepted[0]?.body).toMatchObject({
    apiVersion: 'triage.dev/v1alpha1',
    kind: 'TriageTransition',
    cluster: 'e2e-local',
    request: { namespace: ns.name, name: 'watch', uid },
    rootCause: { code: 'StorageClassNotFound' },
  });

  // The credential travels in the header only, never in a payload.
  expect(deliveries.every((d) => d.authorization === `Bearer ${token}`)).toBe(true);
  expect(JSON.stringify(deliveries.map((d) => d.body))).not.toContain(token);

  const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, 'docs/sink-payload.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true }).compile(schema);
  for (const delivery of deliveries) expect([delivery.key, validate(delivery.body), validate.errors ?? null]).toEqual([delivery.key, true, null]);

  // The sink's status and the delivery metrics say the same.
  const sink = await eventually('sink status', async () => {
    const object = await kube().raw.get<{
      status?: { lastDelivery?: { idempotencyKey?: string }; consecutiveFailures?: number; conditions?: { type: string; status: string }[] };
    }>(`/apis/triage.dev/v1alpha1/triagesinks/${sinkName}`);
    return object.status?.lastDelivery?.idempotencyKey === `${uid}/3` ? object : undefined;
  });
  expect(sink.status).toMatchObject({ consecutiveFailures: 0, conditions: [{ type: 'Ready', status: 'True' }] });
  const metrics = await operator.metrics();
  expect(metricSum(metrics, 'triage_sink_deliveries_total', { sink: sinkName, result: 'Delivered' })).toBe(3);
  expect(metricSum(metrics, 'triage_sink_retries_total', { sink: sinkName })).toBe(1);
});

test('the apiserver refuses a sink with plain http to a remote host, credentials in the URL, or no URL at all', async () => {
  const create = (name: string, spec: Record<string, unknown>) =>
    kube().raw.create('/apis/triage.dev/v1alpha1/triagesinks', { apiVersion: 'triage.dev/v1alpha1', kind: 'TriageSink', metadata: { name }, spec });
  await expect(create(`${sinkName}-plain`, { url: 'http://hooks.example.com/x' })).rejects.toThrow(/must be an https:\/\/ URL/);
  await expect(create(`${sinkName}-none`, { format: 'Slack' })).rejects.toThrow(/set url, or a secretRef with use: URL/);
  await expect(create(`${sinkName}-userinfo`, { url: 'https://user:pass@hooks.example.com/x' })).rejects.toThrow(/must be an https:\/\/ URL/);
});

test('as the ServiceAccount: no Secret access without config/rbac/sinks (SecretForbidden on the sink), delivered with it', async () => {
  await stopAllOperators();
  await kubectlOk(['apply', '-f', 'config/manager/namespace.yaml']);
  await kubectlOk(['apply', '-k', 'config/rbac']);
  const kubeconfig = await operatorKubeconfig(kube().core, kube().config, 'sinks');
  const sinkPath = `/apis/triage.dev/v1alpha1/triagesinks/${sinkName}-rbac`;
  type SinkState = { status?: { lastDelivery?: { idempotencyKey?: string }; conditions?: { type: string; status: string; reason: string }[] } };
  const readyOf = async (key: string) => {
    const sink = await kube().raw.get<SinkState>(sinkPath);
    return sink.status?.lastDelivery?.idempotencyKey === key ? sink.status.conditions?.find((c) => c.type === 'Ready') : undefined;
  };
  const before = deliveries.length;
  await kube().raw.create('/apis/triage.dev/v1alpha1/triagesinks', {
    apiVersion: 'triage.dev/v1alpha1',
    kind: 'TriageSink',
    metadata: { name: `${sinkName}-rbac` },
    spec: { url, secretRef: { name: 'triage-sink-webhook', key: 'token' }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': rbacNs.name } } },
  });
  try {
    await startOperator({ kubeconfig });
    await kube().core.createNamespacedPersistentVolumeClaim({ namespace: rbacNs.name, body: claim(missingClass) });
    const request = await createTriageRequest(rbacNs.name, 'watch', {
      intent: 'pvc-binding',
      mode: 'Continuous',
      target: { kind: 'PersistentVolumeClaim', name: 'data' },
    });
    const forbidden = await eventually('SecretForbidden on the sink', () => readyOf(`${request.metadata.uid}/1`), { timeoutMs: 90_000 });
    expect(forbidden).toMatchObject({ status: 'False', reason: 'SecretForbidden' });
    expect(deliveries.length).toBe(before);

    // The example grants get on that one name (and creates the Secret with a placeholder token).
    await kubectlOk(['apply', '-k', 'config/rbac/sinks']);
    await kube().core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: rbacNs.name });
    const ready = await eventually('delivered after the grant', () => readyOf(`${request.metadata.uid}/2`), { timeoutMs: 90_000 });
    expect(ready).toMatchObject({ status: 'True', reason: 'Delivered' });
    expect(deliveries.slice(before).map((d) => [d.key, d.authorization])).toEqual([[`${request.metadata.uid}/2`, 'Bearer replace-me']]);
  } finally {
    await stopAllOperators();
    await kubectlOk(['delete', '-k', 'config/rbac/sinks', '--ignore-not-found']);
    fs.rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
  }
});
