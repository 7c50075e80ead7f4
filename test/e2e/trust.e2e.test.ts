import { randomBytes } from 'node:crypto';
import { EVIDENCE, type EvidenceKey } from '../../src/triage/evidence';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { kubectl } from './support/kubectl';
import { metricSum, startOperator, stopAllOperators, type OperatorProcess } from './support/operator';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged, type TriageRequestResource } from './support/triage';

// The fast part of the fault and abuse suite (issue "Trust"): each attack the red team used, kept as a
// test on the real control plane. The long part (1,000-request bursts, minute-long outages, Continuous
// requests at rest) is `make fault-test`.
const ns = useTestNamespace('e2e-trust');
const victim = useTestNamespace('e2e-victim');
const suffix = randomBytes(3).toString('hex');
const templates = {
  hostile: `redos-${suffix}.example.com`,
  cluster: `wide-${suffix}.example.com`,
  nodes: `nodes-${suffix}.example.com`,
  largest: `largest-${suffix}.example.com`,
};
let leader: OperatorProcess;

async function templateAccepted(name: string): Promise<{ status: string; message: string }> {
  return eventually(`template ${name} accepted or refused`, async () => {
    const template = (await kube().custom.getClusterCustomObject({ group: 'triage.dev', version: 'v1alpha1', plural: 'triagetemplates', name })) as {
      status?: { conditions?: { type: string; status: string; message: string }[] };
    };
    return template.status?.conditions?.find((c) => c.type === 'Accepted');
  });
}

async function applyTemplate(name: string, spec: Record<string, unknown>): Promise<void> {
  await kube().custom.createClusterCustomObject({
    group: 'triage.dev',
    version: 'v1alpha1',
    plural: 'triagetemplates',
    body: { apiVersion: 'triage.dev/v1alpha1', kind: 'TriageTemplate', metadata: { name }, spec },
  });
}

/** Wall time from create to a written status, per request: the latency an admin sees. */
async function latencies(prefix: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = Date.now();
    await createTriageRequest(ns.name, `${prefix}-${i}`, { intent: 'pvc-binding' });
    await triaged(ns.name, `${prefix}-${i}`, 30_000);
    times.push(Date.now() - started);
  }
  return times.sort((a, b) => a - b);
}

const median = (values: readonly number[]) => values[Math.floor(values.length / 2)] ?? 0;

beforeAll(async () => {
  const election = ['--leader-elect=true', `--leader-election-namespace=${ns.name}`, '--leader-election-id=triage-operator'];
  leader = await startOperator({ identity: `trust-a-${suffix}`, args: election });
  await eventually('the first replica leads', async () => (metricSum(await leader.metrics(), 'leader_election_master_status') === 1 ? true : undefined));
  await startOperator({ identity: `trust-b-${suffix}`, args: election });
});

afterAll(async () => {
  await stopAllOperators();
  for (const name of Object.values(templates)) await kubectl(['delete', 'triagetemplate', name, '--ignore-not-found']);
});

describe('a catastrophic-backtracking matcher', () => {
  test('matches a hostile Event while two replicas keep serving other requests at their normal latency', async () => {
    const before = await latencies('before', 8);
    await applyTemplate(templates.hostile, {
      targetKinds: ['Pod'],
      matchers: [{ event: { reason: 'Hostile', messageRegex: '(a+)+$' }, finding: { code: 'Hostile', severity: 'Warning', message: 'matched' } }],
    });
    // Accepted: the linear-time engine runs this pattern safely, so there is nothing to refuse.
    expect(await templateAccepted(templates.hostile)).toMatchObject({ status: 'True' });
    const pod = await kube().core.createNamespacedPod({
      namespace: ns.name,
      body: { metadata: { name: 'target' }, spec: { containers: [{ name: 'c', image: 'example.com/c:1' }], nodeName: 'no-such-node' } },
    });
    const now = new Date();
    // 27 a's and a '!' froze a backtracking engine for 33.6 s; 1,000 would never end.
    await kube().core.createNamespacedEvent({
      namespace: ns.name,
      body: {
        metadata: { name: `target.${Date.now()}` },
        involvedObject: { kind: 'Pod', namespace: ns.name, name: 'target', uid: pod.metadata?.uid ?? '' },
        reason: 'Hostile',
        type: 'Warning',
        message: `${'a'.repeat(1000)}!`,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'tenant' },
      },
    });
    await createTriageRequest(ns.name, 'hostile', { intent: templates.hostile, target: { kind: 'Pod', name: 'target' } });
    const after = await latencies('after', 8);
    const hostile = await triaged(ns.name, 'hostile', 30_000);

    process.stderr.write(
      `[e2e] create->status latency (ms), median/max: before ${median(before)}/${before.at(-1) ?? 0}, after the hostile matcher ${median(after)}/${after.at(-1) ?? 0}\n`,
    );
    expect(hostile.status?.verdict).toBe('Healthy');
    // A frozen loop shows up as tens of seconds; the same replicas answer as fast as before (noise allowed).
    expect(median(after)).toBeLessThanOrEqual(3 * median(before) + 500);
    expect(metricSum(await leader.metrics(), 'leader_election_master_status')).toBe(1);
    expect(process.kill(leader.pid, 0)).toBe(true);
  });

  test('a pattern that needs backtracking is refused at kubectl apply, naming the field', async () => {
    const result = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: triage.dev/v1alpha1
kind: TriageTemplate
metadata: {name: backref-${suffix}.example.com}
spec:
  targetKinds: [Pod]
  matchers:
  - event: {messageRegex: '(\\w+) \\1'}
    finding: {code: Repeated, severity: Warning, message: repeated}
`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('spec.matchers[0].event.messageRegex');
    expect(result.stderr).toContain('linear time');
  });
});

describe('the namespace boundary from an untrusted namespace', () => {
  test('every way of reaching another namespace, a cluster scope or nodes is Rejected and quotes nothing of the victim', async () => {
    await kube().core.createNamespacedPod({
      namespace: victim.name,
      body: { metadata: { name: 'secret-workload' }, spec: { containers: [{ name: 'c', image: 'example.com/c:1' }] } },
    });
    await applyTemplate(templates.cluster, { targetKinds: ['Namespace', 'Pod'], scope: 'Cluster', steps: [{ name: 'pods', checks: ['pod.crashloop'] }] });
    await applyTemplate(templates.nodes, { targetKinds: ['Namespace'], steps: [{ name: 'nodes', checks: ['node.health'] }] });
    await templateAccepted(templates.cluster);
    await templateAccepted(templates.nodes);
    const attacks: Record<string, Record<string, unknown>> = {
      'namespace-field': { intent: 'namespace-health', target: { kind: 'Namespace', namespace: victim.name } },
      'namespace-name': { intent: 'namespace-health', target: { kind: 'Namespace', name: victim.name } },
      'pod-elsewhere': { intent: 'crashloop', target: { kind: 'Pod', name: 'secret-workload', namespace: victim.name } },
      'selector-elsewhere': { intent: 'crashloop', target: { kind: 'Pod', selector: { matchLabels: { app: 'x' } }, namespace: victim.name } },
      'cluster-health': { intent: 'cluster-health' },
      'node-target': { intent: 'node-pressure', target: { kind: 'Node', name: 'kwok-node-1' } },
      'custom-cluster-scope': { intent: templates.cluster },
      'custom-over-nodes': { intent: templates.nodes },
    };
    for (const [name, spec] of Object.entries(attacks)) await createTriageRequest(ns.name, `attack-${name}`, spec);
    const results: TriageRequestResource[] = [];
    for (const name of Object.keys(attacks)) results.push(await triaged(ns.name, `attack-${name}`));
    const verdicts = Object.fromEntries(
      results.map((r) => [r.metadata.name, `${r.status?.verdict ?? ''}/${r.status?.conditions?.find((c) => c.type === 'Complete')?.reason ?? ''}`]),
    );
    expect(verdicts).toEqual(Object.fromEntries(Object.keys(attacks).map((name) => [`attack-${name}`, 'Rejected/NamespaceNotTrusted'])));
    for (const request of results) expect(JSON.stringify(request.status)).not.toContain('secret-workload');
  });

  test('a Namespace target named twice differently, or selected, is refused at kubectl apply', async () => {
    const twice = await kubectl(
      ['apply', '-n', ns.name, '-f', '-'],
      `apiVersion: triage.dev/v1alpha1
kind: TriageRequest
metadata: {name: twice}
spec: {intent: namespace-health, target: {kind: Namespace, name: ${ns.name}, namespace: ${victim.name}}}
`,
    );
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('spec.target.namespace');
    const selector = await kubectl(
      ['apply', '-n', ns.name, '-f', '-'],
      `apiVersion: triage.dev/v1alpha1
kind: TriageRequest
metadata: {name: bad-selector}
spec: {intent: crashloop, target: {kind: Pod, selector: {matchExpressions: [{key: "app", operator: In}], matchLabels: {"bad key!": "x"}}}}
`,
    );
    expect(selector.code).not.toBe(0);
    expect(selector.stderr).toContain('spec.target.selector.matchExpressions[0].values');
    expect(selector.stderr).toContain('spec.target.selector.matchLabels');
  });
});

describe('bounded output', () => {
  test('a request and a template at the CRD limits get a status of at most 16 KiB', async () => {
    const text = (n: number) => 'x'.repeat(n);
    await applyTemplate(templates.largest, {
      targetKinds: ['Pod', 'Namespace'],
      steps: Array.from({ length: 10 }, (_, i) => ({ name: `${text(60)}${i}`, checks: ['pod.crashloop', 'pod.image-pull', 'pod.scheduling'] })),
      // Unknown keys are refused (Accepted=False): the 32 longest known ones, mostly never read by these checks (a long missing list).
      requiredEvidence: (Object.keys(EVIDENCE) as EvidenceKey[]).sort((a, b) => b.length - a.length).slice(0, 32),
      matchers: Array.from({ length: 50 }, (_, i) => ({
        event: { reason: 'Loud' },
        finding: { code: `Loud${i}`, severity: 'Warning', message: `{name} ${text(500)}` },
        nextAction: { description: text(512), command: `kubectl ${text(500)}`, safety: 'ReadOnly' },
      })),
    });
    expect(await templateAccepted(templates.largest)).toMatchObject({ status: 'True' });
    const labels = Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [`${'p'.repeat(200)}.example.com/${'k'.repeat(60)}${String(i).padStart(2, '0')}`, 'v'.repeat(63)]),
    );
    for (let i = 0; i < 5; i += 1) {
      const pod = await kube().core.createNamespacedPod({
        namespace: ns.name,
        body: { metadata: { name: `loud-${i}`, labels }, spec: { containers: [{ name: 'c', image: 'example.com/c:1' }], nodeName: 'no-such-node' } },
      });
      const now = new Date();
      await kube().core.createNamespacedEvent({
        namespace: ns.name,
        body: {
          metadata: { name: `loud-${i}.${Date.now()}` },
          involvedObject: { kind: 'Pod', namespace: ns.name, name: `loud-${i}`, uid: pod.metadata?.uid ?? '' },
          reason: 'Loud',
          type: 'Warning',
          message: text(20_000),
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: 'tenant' },
        },
      });
    }
    await createTriageRequest(ns.name, 'largest', {
      intent: templates.largest,
      target: { kind: 'Pod', selector: { matchLabels: labels } },
      bounds: { maxSteps: 10, timeoutSeconds: 120 },
    });
    const request = await triaged(ns.name, 'largest');
    const bytes = Buffer.byteLength(JSON.stringify(request.status), 'utf8');
    process.stderr.write(`[e2e] status at the CRD limits: ${bytes} bytes\n`);
    expect(request.status?.verdict).toBe('RootCauseFound');
    expect(bytes).toBeLessThanOrEqual(16 * 1024);
  });

  test('made-up intents do not grow /metrics', async () => {
    const size = async () =>
      (await leader.metrics()).split('\n').filter((line) => !line.startsWith('#') && !line.startsWith('process_') && !line.startsWith('nodejs_')).length;
    await createTriageRequest(ns.name, 'made-up-warmup', { intent: `warmup-${suffix}.example.com` });
    await triaged(ns.name, 'made-up-warmup');
    const before = await size();
    for (let i = 0; i < 200; i += 1) await createTriageRequest(ns.name, `made-up-${i}`, { intent: `made-up-${i}-${suffix}.example.com` });
    for (let i = 0; i < 200; i += 20) await triaged(ns.name, `made-up-${i}`);
    await triaged(ns.name, 'made-up-199');
    const after = await size();
    process.stderr.write(`[e2e] /metrics series before and after 200 made-up intents: ${before} -> ${after}\n`);
    expect(after - before).toBeLessThanOrEqual(5);
    expect(await leader.metrics()).not.toContain(`made-up-1-${suffix}`);
  });
});

describe('Events announced from status', () => {
  test('a SIGKILL in a burst loses no Event: each transition is announced once', async () => {
    const burst = 60;
    for (let i = 0; i < burst; i += 1) await createTriageRequest(ns.name, `burst-${i}`, { intent: 'pvc-binding' });
    // Kill the leader while the burst is being worked through; the other replica takes over.
    await eventually(
      'some of the burst triaged',
      async () => (metricSum(await leader.metrics(), 'triage_status_writes_total', { result: 'ok' }) >= 10 ? true : undefined),
      { intervalMs: 20 },
    );
    await leader.kill();
    for (let i = 0; i < burst; i += 1) await triaged(ns.name, `burst-${i}`, 90_000);
    const announced = await eventually(
      'every burst transition announced',
      async () => {
        const requests = await Promise.all(Array.from({ length: burst }, (_, i) => triaged(ns.name, `burst-${i}`)));
        return requests.every((r) => (r.status?.announcedTransitions ?? 0) === (r.status?.transitions ?? -1)) ? requests : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const events = (await kube().events.listNamespacedEvent({ namespace: ns.name })).items.filter(
      (e) => e.reportingController === 'triage.dev/triage-operator',
    );
    const perRequest = new Map<string, number>();
    for (const event of events) perRequest.set(event.regarding?.uid ?? '', (perRequest.get(event.regarding?.uid ?? '') ?? 0) + 1);
    const missing = announced.filter((r) => (perRequest.get(r.metadata.uid) ?? 0) !== r.status?.transitions).map((r) => r.metadata.name);
    expect(missing).toEqual([]);
  });
});
