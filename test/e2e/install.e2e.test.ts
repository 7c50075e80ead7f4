import fs from 'node:fs';
import path from 'node:path';
import { CoordinationV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { eventually } from './support/eventually';
import { kubectlOk } from './support/kubectl';
import { onRealNode, realNodeInfo, type RealNodeInfo } from './support/real-node';
import { useOwnCluster } from './support/own-cluster';
import { applySamples, awaitSampleVerdicts, kubectlWith } from './support/samples';
import { repoRoot, runHackScript, runProgram } from './support/scripts';
import { createTriageRequest, triaged } from './support/triage';

// The operator as an admin installs it: its own image (hack/build-image.sh, no registry) loaded into
// the real node's containerd, installed by the Helm chart and once by config/install.yaml, two
// replicas on the real kubelet. Checks what an admin checks on day one: probes green and one leader,
// every sample diagnosed, failover when the leader's pod goes, an upgrade that loses no request, and
// an uninstall that leaves only what the chart keeps (the CRDs). The cluster has no CRDs to begin with.
const cluster = useOwnCluster('install', 1, { realNodes: true, installCrds: false });
const RELEASE = 'triage-operator';
const NS = 'triage-system';
const SELECTOR = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=manager`;

let helm = '';
let imageRef = '';
let info: RealNodeInfo;

const kubectl = (args: readonly string[], input?: string) => kubectlOk(args, input, cluster.kubeconfig());

async function runHelm(args: readonly string[]): Promise<string> {
  const result = await runProgram(helm, [...args, '--kubeconfig', cluster.kubeconfig()]);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/**
 * What this cluster needs beyond the chart's defaults: the real node (tainted, so nothing lands there
 * by accident) and the way its pods reach the loopback apiserver (no kube-proxy here), the same two
 * settings a kube-proxy-free cluster passes (kubernetesService, as Cilium's chart does).
 */
function clusterValues(): string[] {
  const [tag] = imageRef.split(':').slice(-1);
  return [
    '--set',
    `image.tag=${tag}`,
    '--set',
    'kubernetesService.host=kubernetes.default.svc',
    '--set',
    `kubernetesService.port=${info.apiServerPortForPods}`,
    '--set-json',
    `hostAliases=${JSON.stringify([{ ip: info.apiServerAddressForPods, hostnames: ['kubernetes.default.svc'] }])}`,
    '--set-json',
    `nodeSelector=${JSON.stringify(onRealNode.nodeSelector)}`,
    '--set-json',
    `tolerations=${JSON.stringify(onRealNode.tolerations)}`,
  ];
}

async function managerPods(): Promise<V1Pod[]> {
  const out = await kubectl(['get', 'pods', '-n', NS, '-l', SELECTOR, '-o', 'json']);
  return (JSON.parse(out) as { items: V1Pod[] }).items;
}

const isReady = (pod: V1Pod) =>
  pod.metadata?.deletionTimestamp === undefined && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Waits for `count` Ready manager pods (none terminating) and returns them. */
function readyPods(count: number, timeoutMs = 120_000): Promise<V1Pod[]> {
  return eventually(
    `${count} Ready manager pods in ${NS}`,
    async () => {
      const pods = await managerPods();
      return pods.length === count && pods.every(isReady) ? pods : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

async function leaseHolder(): Promise<string | undefined> {
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfig());
  try {
    const lease = await config.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: NS, name: RELEASE });
    return lease.spec?.holderIdentity ?? undefined;
  } catch {
    return undefined;
  }
}

/** A request in `namespace` for the namespace itself: answered only while an operator leads. */
async function requestAnswered(namespace: string, name: string): Promise<string | undefined> {
  await createTriageRequest(namespace, name, { intent: 'namespace-health', target: { kind: 'Namespace', name: namespace } }, cluster.clients().custom);
  const request = await triaged(namespace, name, 90_000, cluster.clients().custom);
  return request.status?.verdict;
}

beforeAll(async () => {
  const tools = await runHackScript('build-tools.sh', {}, { echoProgress: true });
  if (tools.code !== 0) throw new Error(`build-tools.sh failed:\n${tools.stderr}`);
  helm = path.join(tools.stdout.trim(), 'helm');
  const image = await runHackScript('build-image.sh', {}, { echoProgress: true });
  if (image.code !== 0) throw new Error(`build-image.sh failed:\n${image.stderr}`);
  const imageDir = image.stdout.trim();
  imageRef = fs.readFileSync(path.join(imageDir, 'image-ref'), 'utf8').trim();
  const load = await runHackScript('real-node.sh', cluster.env, { args: ['load-image', path.join(imageDir, 'operator.tar')] });
  if (load.code !== 0) throw new Error(`real-node.sh load-image failed:\n${load.stderr}`);
  info = await realNodeInfo(cluster.kubeconfig());
}, 900_000);

describe('installed with the Helm chart', () => {
  let leader = '';

  test('two replicas from the image on the real node, probes green, one leader', async () => {
    await runHelm([
      'install',
      RELEASE,
      path.join(repoRoot, 'charts/triage-operator'),
      '--namespace',
      NS,
      '--create-namespace',
      ...clusterValues(),
      '--wait',
      '--timeout',
      '180s',
    ]);
    const pods = await readyPods(2);
    for (const pod of pods) {
      expect(pod.spec?.nodeName).toBe(info.nodeName);
      expect(pod.spec?.containers[0]?.image).toBe(imageRef);
      expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    }
    const names = pods.map((p) => p.metadata?.name ?? '');
    leader = await eventually(
      'a leader among the two pods',
      async () => {
        const holder = await leaseHolder();
        return holder !== undefined && names.includes(holder) ? holder : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Exactly one leads: the other replica reports it is not the leader on /metrics.
    const leading = await Promise.all(
      names.map(async (name) => {
        const metrics = await kubectl(['get', '--raw', `/api/v1/namespaces/${NS}/pods/${name}:8080/proxy/metrics`]).catch(() => '');
        return /^leader_election_master_status\{[^}]*\} 1$/m.test(metrics);
      }),
    );
    expect(leading.filter(Boolean)).toHaveLength(1);
    expect(names[leading.indexOf(true)]).toBe(leader);
    // The request gauge comes from the leader only, so sums over replicas count each request once.
    for (const name of names.filter((n) => n !== leader)) {
      const metrics = await kubectl(['get', '--raw', `/api/v1/namespaces/${NS}/pods/${name}:8080/proxy/metrics`]);
      expect(metrics).not.toMatch(/^triage_requests\{/m);
    }
  });

  test('every file in config/samples is applied and diagnosed; the template is accepted and used', async () => {
    const k = kubectlWith(cluster.kubeconfig());
    const samples = await applySamples(k);
    const results = await awaitSampleVerdicts(k, samples, { timeoutMs: 180_000 });
    expect(results.problems).toEqual([]);
    const verdicts = results.requests.map((r) => `${r.file} ${r.namespace}/${r.name}: ${r.verdict ?? 'none'}`);
    expect(verdicts.filter((line) => !/: (Healthy|RootCauseFound|Inconclusive)$/.test(line))).toEqual([]);
    expect(results.requests.length).toBeGreaterThanOrEqual(10);
    expect(results.templates.every((t) => t.accepted?.status === 'True' && t.usedBy.length > 0)).toBe(true);
  });

  test('deleting the leader pod: the other replica takes over and answers', async () => {
    await readyPods(2);
    await kubectl(['delete', 'pod', '-n', NS, leader, '--wait=false']);
    const holder = await eventually(
      'another replica to take the Lease',
      async () => {
        const current = await leaseHolder();
        // A leader stepping down on SIGTERM empties holderIdentity first: wait for a new name.
        return current !== undefined && current !== '' && current !== leader ? current : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    // The standby usually wins; the Deployment's replacement pod may win the race too. Either is a current pod.
    const current = (await managerPods()).map((p) => p.metadata?.name);
    expect(current).toContain(holder);
    expect(await requestAnswered('shop', 'after-failover')).toMatch(/^(Healthy|RootCauseFound|Inconclusive)$/);
    await readyPods(2);
  });

  test('helm upgrade with a changed value rolls both pods and loses no request', async () => {
    const before = new Set((await readyPods(2)).map((p) => p.metadata?.name));
    const upgrade = runHelm([
      'upgrade',
      RELEASE,
      path.join(repoRoot, 'charts/triage-operator'),
      '--namespace',
      NS,
      ...clusterValues(),
      '--set',
      'logLevel=debug',
      '--wait',
      '--timeout',
      '180s',
    ]);
    // Requests created while the pods roll: each must still be answered.
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      names.push(`during-upgrade-${i}`);
      await createTriageRequest(
        'shop',
        `during-upgrade-${i}`,
        { intent: 'namespace-health', target: { kind: 'Namespace', name: 'shop' } },
        cluster.clients().custom,
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    await upgrade;
    const after = await readyPods(2);
    for (const pod of after) {
      expect(before.has(pod.metadata?.name)).toBe(false);
      expect(pod.spec?.containers[0]?.args).toContain('--log-level=debug');
    }
    for (const name of names) {
      const request = await triaged('shop', name, 90_000, cluster.clients().custom);
      expect(`${name}: ${request.status?.verdict ?? 'none'}`).toMatch(/: (Healthy|RootCauseFound|Inconclusive)$/);
    }
  });

  test('helm uninstall leaves only the CRDs (and the requests in them) and the Lease the operator took', async () => {
    await runHelm(['uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '120s']);
    const label = `app.kubernetes.io/instance=${RELEASE}`;
    // The pods drain (the leader hands back its Lease) after the Deployment is gone.
    await eventually('the manager pods to exit', async () => ((await managerPods()).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000 });
    const left = await kubectl([
      'get',
      'all,serviceaccounts,roles,rolebindings,poddisruptionbudgets,networkpolicies,configmaps',
      '-A',
      '-l',
      label,
      '-o',
      'name',
    ]);
    const clusterLeft = await kubectl(['get', 'clusterroles,clusterrolebindings', '-l', label, '-o', 'name']);
    expect({ left: left.trim(), clusterLeft: clusterLeft.trim() }).toEqual({ left: '', clusterLeft: '' });
    expect(await kubectl(['get', 'crd', 'triagerequests.triage.dev', 'triagetemplates.triage.dev', '-o', 'name'])).toContain('triagerequests.triage.dev');
    expect(await kubectl(['get', 'triagerequests', '-n', 'shop', 'after-failover', '-o', 'name'])).toContain('after-failover');
    // The Lease is the operator's, not the chart's: it stays (released or expiring) until the namespace goes.
    expect(await leaseHolder()).toBeDefined();
  });
});

describe('installed with config/install.yaml', () => {
  test('kubectl apply -f: two Ready replicas, one leader, requests answered; kubectl delete removes it', async () => {
    // The one file as published, with this cluster's two settings added to the Deployment, as an admin
    // of a kube-proxy-free cluster would (a kustomize patch; here, edited before applying).
    const docs = yaml.loadAll(fs.readFileSync(path.join(repoRoot, 'config/install.yaml'), 'utf8')) as Record<string, unknown>[];
    const edited = docs.map((doc) => {
      if (doc.kind !== 'Deployment') return doc;
      const deployment = doc as { spec: { template: { spec: Record<string, unknown> & { containers: { env?: { name: string; value?: string }[] }[] } } } };
      const podSpec = deployment.spec.template.spec;
      podSpec.nodeSelector = onRealNode.nodeSelector;
      podSpec.tolerations = onRealNode.tolerations;
      podSpec.hostAliases = [{ ip: info.apiServerAddressForPods, hostnames: ['kubernetes.default.svc'] }];
      podSpec.containers[0]?.env?.push(
        { name: 'KUBERNETES_SERVICE_HOST', value: 'kubernetes.default.svc' },
        { name: 'KUBERNETES_SERVICE_PORT', value: info.apiServerPortForPods },
      );
      return doc;
    });
    const manifest = edited.map((doc) => yaml.dump(doc)).join('---\n');
    await kubectl(['apply', '-f', '-'], manifest);
    await kubectl(['rollout', 'status', '-n', NS, 'deployment/triage-operator', '--timeout=180s']);
    const pods = await readyPods(2);
    const names = pods.map((p) => p.metadata?.name ?? '');
    expect(pods.every((p) => p.spec?.containers[0]?.image === imageRef)).toBe(true);
    await eventually(
      'a leader among the two pods',
      async () => {
        const holder = await leaseHolder();
        return holder !== undefined && names.includes(holder) ? holder : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(await requestAnswered('shop', 'from-install-yaml')).toMatch(/^(Healthy|RootCauseFound|Inconclusive)$/);
    // Everything but the namespace and the CRDs (which hold the requests) goes.
    const removable = edited.filter((doc) => doc.kind !== 'Namespace' && doc.kind !== 'CustomResourceDefinition');
    await kubectl(['delete', '-f', '-', '--wait=true'], removable.map((doc) => yaml.dump(doc)).join('---\n'));
    expect((await managerPods()).filter(isReady)).toEqual([]);
  });
});
