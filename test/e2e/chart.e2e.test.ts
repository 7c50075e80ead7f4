import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadConfig } from '../../src/config';
import { repoRoot, runHackScript, runProgram, type ScriptResult } from './support/scripts';

// The chart as a release pipeline checks it, no cluster needed: `helm lint --strict`, every rendered
// manifest validated against the Go types of its kind (manifest-check: client-go's scheme, the CRD
// types and the Prometheus Operator's), values.schema.json refusing bad values with the key named,
// and config/install.yaml equal to what the chart renders (the CRDs' drift is `npm run verify-generated`).
const CHART = path.join(repoRoot, 'charts/triage-operator');
let tools = '';

const helm = (args: readonly string[]): Promise<ScriptResult> => runProgram(path.join(tools, 'helm'), args);
const check = (manifest: string): Promise<ScriptResult> => runProgram(path.join(tools, 'manifest-check'), ['-'], { input: manifest });

/** Every optional part switched on, and the values a kube-proxy-free, locked-down cluster would set. */
const EVERYTHING_ON = [
  '--set',
  'metrics.serviceMonitor.enabled=true',
  '--set',
  'metrics.prometheusRule.enabled=true',
  '--set',
  'metrics.dashboard.enabled=true',
  '--set',
  'secretMetadata.enabled=true',
  '--set',
  'networkPolicy.egress.enabled=true',
  '--set-json',
  'networkPolicy.egress.apiServer=[{"cidr":"10.0.0.10/32","port":6443}]',
  '--set',
  'trust.namespaces={ops,platform}',
  '--set',
  'image.digest=sha256:' + 'a'.repeat(64),
  '--set',
  'kubernetesService.host=api.internal',
  '--set',
  'kubernetesService.port=6443',
  '--set-json',
  'hostAliases=[{"ip":"192.0.2.1","hostnames":["api.internal"]}]',
  '--set',
  'priorityClassName=system-cluster-critical',
  '--set',
  'clusterName=prod-eu-1',
  '--set',
  'policyReports.enabled=true',
  '--set',
  'sinks.secretNames={slack-webhook,pager-token}',
  '--set',
  'mcp.enabled=true',
  '--set',
  'alertReceiver.enabled=true',
  '--set',
  'alertReceiver.tokenSecret=alert-token',
  '--set',
  'alertReceiver.tlsSecret=alert-tls',
];

interface PodSpecView {
  containers: { args: string[]; ports?: { name: string }[]; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}

async function render(values: readonly string[], extra: readonly string[] = []): Promise<string> {
  const result = await helm(['template', 'triage-operator', CHART, '--namespace', 'triage-system', ...extra, ...values]);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return result.stdout;
}

const kinds = (manifest: string): string[] =>
  (yaml.loadAll(manifest) as ({ kind?: string } | null)[]).flatMap((doc) => (doc?.kind === undefined ? [] : [doc.kind])).sort();

beforeAll(async () => {
  const built = await runHackScript('build-tools.sh', {}, { echoProgress: true });
  if (built.code !== 0) throw new Error(`build-tools.sh failed:\n${built.stderr}`);
  tools = built.stdout.trim();
}, 900_000);

describe('the Helm chart', () => {
  test.each([
    ['default values', []],
    ['everything on', EVERYTHING_ON],
  ])('helm lint --strict: %s', async (_name, values) => {
    const result = await helm(['lint', '--strict', CHART, ...values]);
    const output = result.stdout + result.stderr;
    expect({ code: result.code, failed: /0 chart\(s\) failed/.test(output) ? 'none' : output }).toEqual({ code: 0, failed: 'none' });
  });

  test.each([
    ['default values', [], []],
    ['everything on, CRDs included', EVERYTHING_ON, ['--include-crds']],
    [
      'one replica, no leader election, no extras',
      [
        '--set',
        'replicaCount=1',
        '--set',
        'leaderElection.enabled=false',
        '--set',
        'networkPolicy.enabled=false',
        '--set',
        'rbac.aggregateToDefaultRoles=false',
      ],
      [],
    ],
  ])('every manifest rendered with %s is valid for its kind', async (_name, values, extra) => {
    const manifest = await render(values, extra);
    const result = await check(manifest);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(kinds(manifest).length);
  });

  test('the validator refuses what the apiserver would: an unknown field, a wrong type, an unknown kind', async () => {
    const bad = [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 1, replica: 2}',
      'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: "eighty"}]}',
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}',
    ];
    for (const doc of bad) {
      const result = await check(doc);
      expect({ doc, code: result.code }).toEqual({ doc, code: 1 });
      expect(result.stdout).toMatch(/^INVALID /m);
    }
  });

  test('everything on renders each optional part: ServiceMonitor, PrometheusRule with the rules, dashboard, secret RBAC, egress', async () => {
    const manifest = await render(EVERYTHING_ON);
    expect(kinds(manifest)).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule', 'ConfigMap', 'NetworkPolicy', 'PodDisruptionBudget']));
    const docs = yaml.loadAll(manifest) as Record<string, unknown>[];
    const rule = docs.find((d) => d.kind === 'PrometheusRule') as { spec: { groups: { rules: { alert?: string }[] }[] } };
    expect(rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert))).toContain('TriageOperatorNoLeader');
    const dashboard = docs.find((d) => d.kind === 'ConfigMap') as { data: Record<string, string> };
    expect((JSON.parse(dashboard.data['triage-operator.json'] ?? '{}') as { uid?: string }).uid).toBe('triage-operator');
    const deployment = docs.find((d) => d.kind === 'Deployment') as { spec: { template: { spec: { containers: { image: string; args: string[] }[] } } } };
    const [manager] = deployment.spec.template.spec.containers;
    expect(manager?.image).toBe(`localhost/triage-operator@sha256:${'a'.repeat(64)}`);
    expect(manager?.args).toEqual(
      expect.arrayContaining(['--trusted-namespaces=triage-system,ops,platform', '--watch-secret-metadata=true', '--leader-elect=true']),
    );
  });

  test('everything on wires the cluster name, the alert receiver, the MCP endpoint, PolicyReports and sink Secrets: flags the operator accepts, mounted Secrets, RBAC, Service and NetworkPolicy', async () => {
    const docs = yaml.loadAll(await render(EVERYTHING_ON)) as { kind: string; metadata: { name: string }; [key: string]: unknown }[];
    const named = <T>(kind: string, name: string): T => docs.find((d) => d.kind === kind && d.metadata.name === name) as T;
    const deployment = named<{ spec: { template: { spec: PodSpecView } } }>('Deployment', 'triage-operator');
    const pod = deployment.spec.template.spec;
    const [manager] = pod.containers;
    // The operator's own parser reads the rendered flags (the env the chart sets stands in for the pod's).
    const config = loadConfig(manager?.args ?? [], { POD_NAME: 'triage-operator-0', POD_NAMESPACE: 'triage-system' });
    expect(config).toMatchObject({
      clusterName: 'prod-eu-1',
      policyReports: true,
      mcpBindAddress: '127.0.0.1:8090',
      alertReceiverBindAddress: ':9094',
      alertReceiverTokenFile: '/etc/triage/alert-token/token',
      alertReceiverTlsCertFile: '/etc/triage/alert-tls/tls.crt',
      alertReceiverTlsKeyFile: '/etc/triage/alert-tls/tls.key',
      alertClusterNamespace: 'triage-system',
    });
    // Each file a flag names is on a mounted volume from the Secret the values name.
    const mounted = new Map(manager?.volumeMounts?.map((m) => [m.mountPath, pod.volumes?.find((v) => v.name === m.name)?.secret?.secretName]));
    expect(Object.fromEntries(mounted)).toEqual({ '/etc/triage/alert-token': 'alert-token', '/etc/triage/alert-tls': 'alert-tls' });
    expect(manager?.ports?.map((p) => p.name)).toContain('alerts');

    const sinkRole = named<{ rules: { resources: string[]; resourceNames: string[]; verbs: string[] }[] }>('Role', 'triage-operator-sink-secrets');
    expect(sinkRole.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['slack-webhook', 'pager-token'], verbs: ['get'] }]);
    const reports = named<{ rules: { apiGroups: string[]; resources: string[] }[] }>('ClusterRole', 'triage-operator-policy-reports');
    expect(reports.rules.flatMap((r) => r.resources)).toEqual(['policyreports']);
    expect(docs.filter((d) => d.kind.endsWith('Binding')).map((d) => d.metadata.name)).toEqual(
      expect.arrayContaining(['triage-operator-sink-secrets', 'triage-operator-policy-reports']),
    );
    const service = named<{ spec: { ports: { port: number; targetPort: string }[] } }>('Service', 'triage-operator-alerts');
    expect(service.spec.ports).toEqual([expect.objectContaining({ port: 9094, targetPort: 'alerts' })]);
    const policy = named<{ spec: { ingress: { ports: { port: string }[] }[] } }>('NetworkPolicy', 'triage-operator');
    expect(policy.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual(['metrics', 'alerts']);
  });

  test('default values leave the cluster name, the receiver, MCP, PolicyReports and sink Secrets off', async () => {
    const manifest = await render([]);
    expect(manifest).not.toMatch(/--alert-receiver|--mcp-bind-address|--policy-reports|--cluster-name|policyreports|sink-secrets|-alerts\b/);
  });

  test('the heap limit: Node is told it (about half the memory limit otherwise), and 0 leaves it to Node', async () => {
    expect(await render([])).toMatch(/name: NODE_OPTIONS\n\s+value: "--max-old-space-size=768"/);
    expect(await render(['--set', 'maxHeapMiB=1152'])).toContain('"--max-old-space-size=1152"');
    expect(await render(['--set', 'maxHeapMiB=0'])).not.toContain('NODE_OPTIONS');
  });

  test.each([
    [['--set', 'maxHeapMiB=-1'], 'maxHeapMiB'],
    [['--set', 'replicaCount=-1'], 'replicaCount'],
    [['--set', 'image.pullPolicy=Sometimes'], 'pullPolicy'],
    [['--set', 'logLevel=verbose'], 'logLevel'],
    [['--set', 'trust.namespaces={Not_A_Namespace}'], 'namespaces'],
    [['--set', 'metrics.port=70000'], 'port'],
    [['--set', 'replicas=3'], 'replicas'],
    [['--set', 'leaderElection.enabled=false'], 'leaderElection.enabled'],
    [['--set', 'kubernetesService.host=api.internal'], 'kubernetesService.port'],
    [['--set', 'networkPolicy.egress.enabled=true'], 'networkPolicy.egress.apiServer'],
    [['--set', 'alertReceiver.enabled=true'], 'alertReceiver.tokenSecret'],
    [['--set', 'alertReceiver.enabled=true', '--set', 'alertReceiver.tokenSecret=t', '--set', 'trust.releaseNamespace=false'], 'trust.releaseNamespace'],
    [['--set', 'sinks.secretNames={Not_A_Secret}'], 'secretNames'],
    [['--set', 'mcp.port=0'], 'port'],
    [['--set', 'clusterName=prod eu'], 'clusterName'],
  ])('values.schema.json refuses %j, naming %s', async (values, key) => {
    const result = await helm(['template', 'triage-operator', CHART, ...values]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(key);
  });

  test('config/install.yaml is what the chart renders (make install-yaml)', async () => {
    const rendered = await runHackScript('render-install.sh');
    expect(rendered.code).toBe(0);
    expect(rendered.stdout === fs.readFileSync(path.join(repoRoot, 'config/install.yaml'), 'utf8')).toBe(true);
    expect(kinds(rendered.stdout)).toEqual(expect.arrayContaining(['Namespace', 'CustomResourceDefinition', 'Deployment']));
  });
});
