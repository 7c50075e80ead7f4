import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { parse as parseJUnit } from 'junit2json';
import type { TriageResult } from '../../src/cli/result';
import { readClusterInfo } from './support/cluster-info';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { kubectlOk } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { repoRoot, runProgram, type ScriptResult } from './support/scripts';
import { tokenKubeconfig } from './support/service-account';
import { useTestNamespace } from './support/test-namespace';
import { recordTranscript, verifyTranscripts } from './support/transcripts';

// `kubectl triage` as a user runs it: through kubectl's plugin mechanism (an executable named
// kubectl-triage on PATH), with the user's kubeconfig, against the real cluster and operator; then
// --local with no operator, and --from-file with no cluster at all.
const ns = useTestNamespace('e2e-plugin');
const image = 'registry.k8s.io/pause:3.10';
const pluginDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-plugins-'));

beforeAll(() => {
  // kubectl finds plugins on PATH by name: a wrapper stands in for what `npm install -g` links.
  fs.writeFileSync(
    path.join(pluginDir, 'kubectl-triage'),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'dist/cli/kubectl-triage.js')}" "$@"\n`,
    { mode: 0o755 },
  );
});

afterAll(async () => {
  await stopAllOperators();
});

/** `kubectl triage ARGS` through the real kubectl, the user's kubeconfig in KUBECONFIG as kubectl passes it on. */
function kubectlTriage(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ScriptResult> {
  const info = readClusterInfo();
  return runProgram(path.join(info.binDir, 'kubectl'), ['triage', ...args], {
    env: { PATH: `${pluginDir}:${process.env.PATH ?? ''}`, KUBECONFIG: info.kubeconfig, NO_COLOR: '', ...env },
  });
}

async function apply(manifest: string): Promise<void> {
  await kubectlOk(['apply', '-n', ns.name, '-f', '-'], manifest);
}

const podManifest = (name: string, extra = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: ${name}}}\nspec:\n  containers: [{name: app, image: ${image}}]\n${extra}`;

async function podCondition(name: string, test: (pod: { phase?: string; scheduled?: string; ready?: string }) => boolean): Promise<void> {
  await eventually(`pod ${name} in the expected state`, async () => {
    const pod = await kube().core.readNamespacedPod({ name, namespace: ns.name });
    const condition = (type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;
    return test({ phase: pod.status?.phase, scheduled: condition('PodScheduled'), ready: condition('Ready') }) ? true : undefined;
  });
}

beforeAll(async () => {
  // One broken object per intent family, and one healthy pod; the cluster's own controllers set their state.
  await apply(podManifest('picky', '  nodeSelector: {disktype: nvme-that-no-node-has}\n'));
  await apply(podManifest('healthy'));
  await apply(
    'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: scratch}\nspec: {storageClassName: fast-ssd, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n',
  );
  await apply('apiVersion: v1\nkind: Service\nmetadata: {name: orphan}\nspec: {selector: {app: nothing-has-this-label}, ports: [{port: 80}]}\n');
  await apply(
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: storefront}\nspec:\n  ingressClassName: no-such-class\n  defaultBackend: {service: {name: orphan, port: {number: 80}}}\n',
  );
  await apply(
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stuck}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: stuck}}\n  template:\n    metadata: {labels: {app: stuck}}\n    spec:\n      nodeSelector: {disktype: nvme-that-no-node-has}\n      containers: [{name: app, image: ${image}}]\n`,
  );
  await podCondition('picky', (p) => p.scheduled === 'False');
  await podCondition('healthy', (p) => p.ready === 'True');
});

describe('--local: the diagnosis in the plugin, no operator running', () => {
  test('a Pending pod: the intent is chosen from its state, NodeAffinityMismatch, exit 1, nothing created', async () => {
    const result = await kubectlTriage(['pod/picky', '-n', ns.name, '--local']);
    recordTranscript('local', `kubectl triage pod/picky -n ${ns.name} --local`, result);
    expect(result.stderr).toContain('Intent scheduling-failures (chosen for a Pod not bound to a node');
    expect(result.stdout).toContain('NodeAffinityMismatch');
    expect(result.stdout).toMatch(/Root cause {2}NodeAffinityMismatch/);
    expect(result.code).toBe(1);
    const requests = await kubectlOk(['get', 'triagerequests', '-n', ns.name, '-o', 'name']);
    expect(requests).toBe('');
  });

  test('a healthy pod exits 0', async () => {
    const result = await kubectlTriage(['pod/healthy', '-n', ns.name, '--local', '-o', 'json']);
    expect((JSON.parse(result.stdout) as TriageResult).verdict).toBe('Healthy');
    expect(result.code).toBe(0);
  });

  test('with no operator, the operator path says so and exits 2 after its timeout', async () => {
    const result = await kubectlTriage(['pod/picky', '-n', ns.name, '--timeout', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no verdict for TriageRequest .* after 2 s: is the operator running/);
    // The request it created is cleaned up all the same.
    expect(await kubectlOk(['get', 'triagerequests', '-n', ns.name, '-o', 'name'])).toBe('');
  });
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-dump-'));

describe('--from-file: a dump, no cluster at all', () => {
  beforeAll(async () => {
    // What an admin attaches to a ticket: the namespace's objects and Events, and the cluster-scoped objects they refer to.
    fs.writeFileSync(
      path.join(dir, 'namespace.yaml'),
      await kubectlOk(['get', 'pods,pvc,services,endpointslices,ingresses,deployments,replicasets,events', '-n', ns.name, '-o', 'yaml']),
    );
    // Nodes only of the cluster-scoped kinds: other test files create and delete StorageClasses while this one runs.
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), await kubectlOk(['get', 'nodes', '-o', 'yaml']));
  });

  const offline = (args: readonly string[]) =>
    runProgram(process.execPath, [path.join(repoRoot, 'dist/cli/kubectl-triage.js'), ...args, '--from-file', dir], {
      env: { KUBECONFIG: path.join(dir, 'no-such-kubeconfig'), HOME: dir },
    });

  test('the same verdict from the dump with no kubeconfig and no reachable cluster', async () => {
    const result = await offline(['pod/picky', '-n', ns.name]);
    recordTranscript('from-file', `kubectl triage pod/picky -n ${ns.name} --from-file ./dump/`, result);
    expect(result.stderr).toMatch(/Read \d+ objects .* from /);
    expect(result.stderr).toMatch(/Diagnosed as of \S+ \(the dump's newest timestamp\)/);
    expect(result.stdout).toMatch(/Root cause {2}NodeAffinityMismatch/);
    expect(result.code).toBe(1);
  });

  test('a kind the dump does not hold is NotCollected, never "none exist": Inconclusive, exit 2', async () => {
    // The dump holds no StorageClass (none was asked for): whether fast-ssd exists cannot be told from it.
    const result = await offline(['pvc/scratch', '-n', ns.name]);
    recordTranscript('not-collected', `kubectl triage pvc/scratch -n ${ns.name} --from-file ./dump/`, result);
    expect(result.stdout).toContain('unavailable: storageClass (NotCollected)');
    expect(result.stdout).not.toContain('StorageClassNotFound');
    expect(result.code).toBe(2);
  });

  test('-o junit over the dump is read by a JUnit reader: one failing verdict case, findings as cases', async () => {
    const result = await offline(['-n', ns.name, '-o', 'junit']);
    expect(result.code).toBe(1);
    const report = await parseJUnit(result.stdout);
    const suites = report !== undefined && report !== null && 'testsuite' in report ? (report.testsuite ?? []) : [];
    expect(suites).toHaveLength(1);
    const cases = suites[0]?.testcase ?? [];
    const names = cases.map((c) => c.name);
    expect(names).toContain('verdict');
    // namespace-health finds the broken objects the dump can prove: the pod no node fits, the Service that selects nothing.
    expect(names).toEqual(expect.arrayContaining(['NodeAffinityMismatch', 'SelectorMatchesNoPods']));
    expect(cases.find((c) => c.name === 'verdict')?.failure).toBeDefined();
  });
});

describe('against the operator', () => {
  beforeAll(async () => {
    await startOperator();
  });

  test.each([
    ['pod/picky', 'scheduling-failures', 'NodeAffinityMismatch'],
    ['pvc/scratch', 'pvc-binding', 'StorageClassNotFound'],
    ['svc/orphan', 'service-no-endpoints', 'SelectorMatchesNoPods'],
    ['ingress/storefront', 'ingress-pending', 'IngressClassNotFound'],
    ['deploy/stuck', 'rollout-stuck', 'NodeAffinityMismatch'],
  ])('%s → %s: created, waited for, rendered, exit 1, cleaned up', async (target, intent, code) => {
    const result = await kubectlTriage([target, '-n', ns.name]);
    if (target === 'pod/picky') recordTranscript('operator', `kubectl triage ${target} -n ${ns.name}`, result);
    expect(result.stderr).toContain(`Intent ${intent} (chosen for`);
    expect(result.stderr).toMatch(new RegExp(`Created TriageRequest ${ns.name}/`));
    expect(result.stdout).toMatch(new RegExp(`Root cause {2}${code}`));
    expect(result.stdout).toContain('proof [');
    expect(result.code).toBe(1);
    expect(await kubectlOk(['get', 'triagerequests', '-n', ns.name, '-o', 'name'])).toBe('');
  });

  test('the namespace itself (no target): namespace-health ranks every broken object', async () => {
    const result = await kubectlTriage(['-n', ns.name, '-o', 'yaml']);
    const parsed = yaml.load(result.stdout) as TriageResult;
    expect(parsed.intent).toBe('namespace-health');
    expect(parsed.verdict).toBe('RootCauseFound');
    expect(parsed.envelope?.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['StorageClassNotFound', 'SelectorMatchesNoPods', 'IngressClassNotFound']),
    );
    expect(result.code).toBe(1);
  });

  test('a healthy pod: Healthy, exit 0; an explicit --intent is used as given', async () => {
    const result = await kubectlTriage(['pod/healthy', '-n', ns.name, '--intent', 'crashloop', '-o', 'json']);
    expect(result.stderr).not.toContain('chosen for');
    const parsed = JSON.parse(result.stdout) as TriageResult;
    expect([parsed.intent, parsed.verdict, parsed.source]).toEqual(['crashloop', 'Healthy', 'operator']);
    expect(result.code).toBe(0);
  });

  test('--keep, then describe, show and list: the request stays, describe reads the answer first, list counts by severity', async () => {
    const kept = await kubectlTriage(['pvc/scratch', '-n', ns.name, '--keep']);
    const name = /Kept TriageRequest \S+\/(\S+)/.exec(kept.stderr)?.[1] ?? '';
    expect(name).toMatch(/^persistentvolumeclaim-scratch-/);
    // kubectl describe sorts status fields by name: the answer comes before the conditions and the envelope's anchors.
    const described = await kubectlOk(['describe', 'tr', name, '-n', ns.name]);
    const at = (text: string) => described.indexOf(text);
    expect(at('  Answer:\n    RootCauseFound: StorageClassNotFound\n')).toBeGreaterThan(0);
    expect(at('Answer:')).toBeLessThan(at('Conditions:'));
    expect(at('Conditions:')).toBeLessThan(at('Anchors:'));
    const shown = await kubectlTriage(['show', `tr/${name}`, '-n', ns.name]);
    expect(shown.stdout).toContain('StorageClassNotFound');
    expect(shown.code).toBe(1);
    const listed = await kubectlTriage(['list', '-n', ns.name]);
    recordTranscript('list', `kubectl triage list -n ${ns.name}`, listed);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(name)) ?? '';
    expect(row.split(/\s{2,}/).slice(1, 7)).toEqual(['pvc-binding', `PersistentVolumeClaim/scratch`, 'RootCauseFound', 'StorageClassNotFound', '1', '0']);
    const all = await kubectlTriage(['list', '-A']);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+INTENT/);
  });

  test('a user without RBAC to create TriageRequests is told so, exit 2', async () => {
    const result = await kubectlTriage(['pod/picky', '-n', ns.name], { KUBECONFIG: await viewerKubeconfig() });
    expect(result.stderr).toMatch(/cannot create a TriageRequest in namespace .*: forbidden by RBAC: .*cannot create resource "triagerequests"/);
    expect(result.code).toBe(2);
  });
});

describe('without a cluster', () => {
  test('explain a code, and a typo gets suggestions', async () => {
    const result = await kubectlTriage(['explain', 'StorageClassNotFound']);
    recordTranscript('explain', 'kubectl triage explain StorageClassNotFound', result);
    expect(result.stdout).toMatch(/^StorageClassNotFound\n {2}severity: {4}Critical/);
    const typo = await kubectlTriage(['explain', 'StorageClasNotFound']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean StorageClassNotFound');
  });

  test('intents lists the built-in ones', async () => {
    const result = await kubectlTriage(['intents']);
    recordTranscript('intents', 'kubectl triage intents', result);
    expect(result.stdout).toMatch(/^INTENT\s+SOURCE\s+TARGETS\s+DESCRIPTION/);
    expect(result.stdout).toMatch(/\npvc-binding\s+BuiltIn\s+PersistentVolumeClaim,Pod,Namespace/);
  });

  test('usage mistakes name the argument and exit 2', async () => {
    const result = await kubectlTriage(['frobnicate/x']);
    expect(result.stderr).toContain('"frobnicate/x" is not KIND/NAME');
    expect(result.code).toBe(2);
    expect((await kubectlTriage(['pod/x', '-o', 'xml'])).stderr).toContain('--output xml: must be one of text, json, yaml, junit');
  });
});

test('docs/cli.md shows what these commands print today', () => {
  verifyTranscripts(path.join(repoRoot, 'docs/cli.md'), { [ns.name]: 'shop', [dir]: './dump/' });
});

/** A kubeconfig of a ServiceAccount that may read but not create TriageRequests. */
async function viewerKubeconfig(): Promise<string> {
  const name = 'triage-viewer';
  await apply(`apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}}\n`);
  await apply(
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ${name}}\nrules: [{apiGroups: [triage.dev], resources: [triagerequests], verbs: [get, list]}, {apiGroups: [''], resources: [pods], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ${name}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name}}\nsubjects: [{kind: ServiceAccount, name: ${name}, namespace: ${ns.name}}]\n`,
  );
  const token = await kubectlOk(['create', 'token', name, '-n', ns.name]);
  return tokenKubeconfig(kube().config, name, token.trim(), 'plugin-viewer', ns.name);
}
