import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { eventually } from './support/eventually';
import { operatorKubeconfig } from './support/service-account';
import { kubectl, kubectlOk } from './support/kubectl';
import { startOperator } from './support/operator';
import { useOwnCluster } from './support/own-cluster';
import { runHackScript } from './support/scripts';
import { StatusRecorder } from './support/status-recorder';
import { createTriageRequest, triaged } from './support/triage';

// A cluster of its own: this test restarts its apiserver and edits the operator's ClusterRole.
const cluster = useOwnCluster('stale', 1);
const namespace = 'stale';
const serviceAccount = 'system:serviceaccount:triage-system:triage-operator';
const role = 'triage-operator-manager';
let saKubeconfig = '';
let admin: KubeConfig;

beforeAll(async () => {
  admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfig());
  const { core } = cluster.clients();
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await kubectlOk(['apply', '-f', 'config/manager/namespace.yaml'], undefined, cluster.kubeconfig());
  await kubectlOk(['apply', '-k', 'config/rbac'], undefined, cluster.kubeconfig());
  // The backend exists (no pods behind it); the IngressClass the Ingresses name does not.
  await core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
  saKubeconfig = await operatorKubeconfig(core, admin, 'stale-sa');
});

afterAll(() => {
  if (saKubeconfig !== '') fs.rmSync(path.dirname(saKubeconfig), { recursive: true, force: true });
});

async function createIngress(name: string): Promise<void> {
  await admin.makeApiClient(NetworkingV1Api).createNamespacedIngress({
    namespace,
    body: { metadata: { name }, spec: { ingressClassName: 'no-such-class', defaultBackend: { service: { name: 'web', port: { number: 80 } } } } },
  });
}

function request(name: string, ingress: string) {
  return createTriageRequest(namespace, name, { intent: 'ingress-pending', target: { kind: 'Ingress', name: ingress } }, cluster.clients().custom);
}

async function canListIngresses(): Promise<boolean> {
  const answer = await kubectl(
    ['auth', 'can-i', 'list', 'ingresses.networking.k8s.io', '--all-namespaces', `--as=${serviceAccount}`],
    undefined,
    cluster.kubeconfig(),
  );
  return answer.stdout.trim() === 'yes';
}

async function component(action: 'stop' | 'start', name: string): Promise<void> {
  const result = await runHackScript('component.sh', cluster.env, { args: [action, name] });
  if (result.code !== 0) throw new Error(`component.sh ${action} ${name} failed:\n${result.stderr}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an informer whose watch fails after it synced', () => {
  test('answers NotSynced, never "not found", while it cannot list, and the right answer within seconds of getting access back', async () => {
    const operator = await startOperator({ kubeconfig: saKubeconfig });
    const probe = async () => (await fetch(`${operator.probesUrl}/readyz`)).status;

    // Before: an Ingress the operator can see gets the right answer.
    await createIngress('control');
    await request('control', 'control');
    const control = await triaged(namespace, 'control', 30_000, cluster.clients().custom);
    const expected = control.status?.envelope?.rootCause?.code;
    expect(expected).toBe('IngressClassNotFound');

    // Take ingresses out of the operator's ClusterRole. Open watches outlive an RBAC change, so restart
    // the apiserver: every watch fails, every informer must relist, and the Ingress one is refused.
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const original = await rbac.readClusterRole({ name: role });
    const reduced: V1ClusterRole = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role, resourceVersion: original.metadata?.resourceVersion },
      rules: (original.rules ?? []).map((rule) => ({
        apiGroups: rule.apiGroups,
        verbs: rule.verbs,
        resources: (rule.resources ?? []).filter((resource) => resource !== 'ingresses'),
      })),
    };
    await rbac.replaceClusterRole({ name: role, body: reduced });
    await eventually('ingresses no longer listable', async () => ((await canListIngresses()) ? undefined : true));
    const logBefore = operator.log().length;
    await component('stop', 'kube-apiserver');
    const down = Date.now();
    // The TriageRequest cache lost its watch: this replica cannot answer, so it is not ready.
    await eventually('readyz false while the apiserver is down', async () => ((await probe()) === 503 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    await component('start', 'kube-apiserver');
    const up = Date.now();
    await eventually('readyz true again', async () => ((await probe()) === 200 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
    process.stderr.write(`[e2e] apiserver down ${up - down} ms; the operator was ready again ${Date.now() - up} ms after it was back\n`);

    const recorder = new StatusRecorder(admin, namespace);
    await recorder.start();
    try {
      // The window: the Ingress exists, the operator's Ingress cache cannot list it.
      await createIngress('shop');
      const during: string[] = [];
      for (let i = 1; i <= 6; i += 1) {
        during.push(`during-${String(i)}`);
        await request(`during-${String(i)}`, 'shop');
        await sleep(1_000);
      }
      for (const name of during) await triaged(namespace, name, 30_000, cluster.clients().custom);

      await kubectlOk(['apply', '-f', 'config/rbac/role.yaml'], undefined, cluster.kubeconfig());
      const restored = Date.now();
      const after: string[] = [];
      let recoveredAt: number | undefined;
      while (recoveredAt === undefined) {
        if (Date.now() - restored > 30_000)
          throw new Error(`no right answer 30 s after the ClusterRole was restored; writes: ${JSON.stringify(recorder.writes)}`);
        const name = `after-${String(after.length + 1)}`;
        after.push(name);
        await request(name, 'shop');
        await sleep(500);
        recoveredAt = recorder.writes.find((write) => after.includes(write.name) && write.status.envelope?.rootCause?.code === expected)?.at;
      }
      const recoveryMs = recoveredAt - restored;
      for (const name of after) await triaged(namespace, name, 30_000, cluster.clients().custom);
      await sleep(1_000);

      const shop = recorder.writes.filter((write) => write.name.startsWith('during-') || write.name.startsWith('after-'));
      // Never "not found": the Ingress existed for every one of these requests.
      for (const write of shop) expect(`${write.name}: ${write.status.envelope?.summary ?? ''}`).not.toMatch(/not found/i);
      for (const write of shop) {
        const right = write.status.envelope?.rootCause?.code === expected;
        const unavailable = (write.status.envelope?.evidence.unavailable ?? []).filter((u) => u.key === 'target').map((u) => u.reason);
        if (!right) {
          expect({ name: write.name, verdict: write.status.verdict }).toEqual({ name: write.name, verdict: 'Inconclusive' });
          expect(unavailable.length === 1 && ['NotSynced', 'Forbidden'].includes(unavailable[0] ?? '')).toBe(true);
        }
      }
      // The window was real: every request in it was answered, Inconclusive.
      const inWindow = shop.filter((write) => during.includes(write.name) && write.at < restored);
      expect(new Set(inWindow.map((write) => write.name)).size).toBe(during.length);
      expect(inWindow.every((write) => write.status.verdict === 'Inconclusive')).toBe(true);
      expect(recoveryMs).toBeLessThan(15_000);
      // An answer given while a cache caught up is checked again: the window's requests end right too.
      for (const name of during) {
        await eventually(
          `${name} re-checked after the cache recovered`,
          () => Promise.resolve(recorder.writes.some((write) => write.name === name && write.status.envelope?.rootCause?.code === expected) ? true : undefined),
          { timeoutMs: 30_000 },
        );
      }
      process.stderr.write(
        `[e2e] stale window: ${String(inWindow.length)} answers while the Ingress cache could not list, all Inconclusive (${[...new Set(inWindow.flatMap((w) => w.status.envelope?.evidence.unavailable.map((u) => `${u.key}:${u.reason}`) ?? []))].join(', ')}), 0 "not found"; ` +
          `right answer ${String(recoveryMs)} ms after the ClusterRole was restored\n`,
      );
    } finally {
      recorder.stop();
    }

    // One warning for the Ingress cache's whole failure streak, one line when it recovered.
    const log = operator.log().slice(logBefore);
    const ingressLines = log.split('\n').filter((line) => line.includes('"kind":"Ingress"'));
    expect(ingressLines.filter((line) => line.includes('"level":"warn"'))).toHaveLength(1);
    expect(ingressLines.filter((line) => line.includes('"message":"Informer recovered"'))).toHaveLength(1);
    expect(ingressLines.filter((line) => line.includes('"message":"Informer relisting"') && line.includes('"level":"info"')).length).toBeGreaterThanOrEqual(1);
    const warnings = log.split('\n').filter((line) => line.includes('"level":"warn"'));
    process.stderr.write(`[e2e] warn lines from the apiserver restart to the end: ${String(warnings.length)}\n`);
  });
});
