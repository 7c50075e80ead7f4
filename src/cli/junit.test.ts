import { parse, type TestCase, type TestSuite, type TestSuites } from 'junit2json';
import { Envelope } from '../crds/envelope';
import { renderJUnit } from './junit';
import type { TriageResult } from './result';

const POD = { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'uid-pod-web-0', resourceVersion: '109' };

/** A valid envelope (checked against the CRD's schema) with what a test sets. */
function envelope(overrides: Partial<Envelope>): Envelope {
  return Envelope.parse({
    intent: 'scheduling-failures',
    template: { name: 'scheduling-failures', version: '1', hash: 'sha256:a4f890918a9d7f3b', source: 'BuiltIn' },
    target: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'uid-pod-web-0' },
    summary: 'Pod shop/web-0 is scheduled and running',
    findings: [],
    evidence: { completeness: 1, threshold: 0.8, present: ['pod', 'target'], missing: [], unavailable: [] },
    anchors: [],
    nextActions: [],
    steps: [{ name: 'target', status: 'Done', durationMs: 3, evidenceKeys: ['target'] }],
    bounds: { stepsUsed: 1, maxSteps: 3, timeoutMs: 15000, truncated: false },
    timing: { startedAt: '2026-11-21T12:00:00.000Z', completedAt: '2026-11-21T12:00:00.042Z', durationMs: 42 },
    inputs: { fingerprint: 'sha256:0', objectCount: 3 },
    ...overrides,
  });
}

const rootCauseFound: TriageResult = {
  source: 'file',
  intent: 'scheduling-failures',
  target: 'Pod shop/web-0',
  verdict: 'RootCauseFound',
  envelope: envelope({
    summary: 'Pod shop/web-0 requests 2 cpu; the most free on a node that fits its other requests is 1.5 (node-c)',
    rootCause: {
      code: 'InsufficientResources',
      confidence: 0.9,
      message: 'Pod shop/web-0 requests 2 cpu; the most free on a node that fits its other requests is 1.5 (node-c)',
      chain: [POD],
      anchors: ['a1'],
    },
    findings: [
      {
        code: 'NodeCordoned',
        severity: 'Warning',
        object: { apiVersion: 'v1', kind: 'Node', name: 'node-d' },
        message: 'Node node-d is cordoned',
        anchors: ['a2'],
      },
      { code: 'PodPending', severity: 'Info', object: POD, message: 'Pod shop/web-0 is Pending', anchors: [] },
      {
        code: 'NodeNotReady',
        severity: 'Critical',
        object: { kind: 'Node', name: 'node-e' },
        message: 'Node node-e is NotReady',
        anchors: [],
        suppressed: true,
      },
    ],
    anchors: [
      {
        id: 'a1',
        object: POD,
        fieldPath: 'status.conditions[type=PodScheduled].message',
        excerpt: '0/3 nodes are available: 3 Insufficient cpu.',
        observedAt: '2026-11-21T12:00:00.000Z',
      },
      {
        id: 'a2',
        object: { apiVersion: 'v1', kind: 'Node', name: 'node-d' },
        fieldPath: 'spec.unschedulable',
        excerpt: 'true',
        observedAt: '2026-11-21T12:00:00.000Z',
      },
    ],
    nextActions: [{ description: 'See what runs on the nodes', command: 'kubectl describe nodes', safety: 'ReadOnly' }],
  }),
};

const healthy: TriageResult = {
  request: 'shop/storefront-scheduling',
  source: 'operator',
  intent: 'scheduling-failures',
  target: 'Deployment/storefront',
  verdict: 'Healthy',
  envelope: envelope({
    target: { kind: 'Deployment', namespace: 'shop', name: 'storefront' },
    summary: 'Deployment shop/storefront: all 3 pods are scheduled',
  }),
};

const rejected: TriageResult = {
  request: 'shop/peek',
  source: 'operator',
  intent: 'pvc-binding',
  target: 'PersistentVolumeClaim other/data',
  verdict: 'Rejected',
  conditions: [
    {
      type: 'Complete',
      status: 'False',
      reason: 'NamespaceNotTrusted',
      message: 'spec.target.namespace: shop may not triage other',
      lastTransitionTime: '2026-11-21T12:00:00Z',
    },
  ],
};

async function parsed(results: readonly TriageResult[]): Promise<TestSuites> {
  const output = await parse(renderJUnit(results));
  // A lone <testsuite> root has testcases of its own; <testsuites> has none.
  if (output === null || output === undefined || 'testcase' in output) throw new Error('no <testsuites> root');
  return output;
}

function suite(root: TestSuites, index: number): TestSuite {
  const found = root.testsuite?.[index];
  if (found === undefined) throw new Error(`no testsuite ${index}`);
  return found;
}

/** XML 1.0's Char production, negated: C0 controls but tab and line breaks, surrogates, U+FFFE and U+FFFF. */
const forbiddenInXml = (code: number): boolean =>
  (code < 0x20 && ![0x9, 0xa, 0xd].includes(code)) || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff;

const byName = (s: TestSuite, name: string): TestCase | undefined => s.testcase?.find((c) => c.name === name);

test('totals, one testsuite per result, one testcase per finding and one verdict', async () => {
  const root = await parsed([rootCauseFound, healthy, rejected]);
  // 3 findings + verdict, verdict, verdict: failures = Warning finding + RootCauseFound verdict; the Rejected request is an error.
  expect(root).toMatchObject({ tests: 6, failures: 2, errors: 1, time: 0.084 });
  expect(root.testsuite?.map((s) => s.name)).toEqual([
    'scheduling-failures Pod shop/web-0',
    'scheduling-failures Deployment/storefront',
    'pvc-binding PersistentVolumeClaim other/data',
  ]);
  expect(suite(root, 0)).toMatchObject({ tests: 4, failures: 2, errors: 0, skipped: 1, time: 0.042, timestamp: '2026-11-21T12:00:00' });
  expect(suite(root, 1)).toMatchObject({ tests: 1, failures: 0, errors: 0, skipped: 0 });
  expect(suite(root, 2)).toMatchObject({ tests: 1, failures: 0, errors: 1, skipped: 0, time: 0 });
});

test('findings: Critical and Warning fail with their message and proofs, Info passes with output, accepted ones are skipped', async () => {
  const s = suite(await parsed([rootCauseFound]), 0);
  expect(s.testcase?.map((c) => `${c.classname ?? ''} ${c.name ?? ''}`)).toEqual([
    'scheduling-failures.Pod NodeCordoned',
    'scheduling-failures.Pod PodPending',
    'scheduling-failures.Pod NodeNotReady',
    'scheduling-failures.Pod verdict',
  ]);
  const cordoned = byName(s, 'NodeCordoned');
  expect(cordoned?.failure?.[0]).toMatchObject({ type: 'Warning', message: 'Node node-d is cordoned' });
  expect(cordoned?.failure?.[0]?.inner).toContain('proof [a2] Node node-d spec.unschedulable: true');
  expect(byName(s, 'PodPending')).toMatchObject({ 'system-out': [expect.stringContaining('Pod shop/web-0 is Pending')] });
  expect(byName(s, 'PodPending')?.failure).toBeUndefined();
  expect(byName(s, 'NodeNotReady')?.skipped?.[0]?.message).toBe('accepted: Node node-e is NotReady');
});

test('verdict: RootCauseFound fails with the summary, the chain and the proof; Healthy passes; Rejected without envelope is an error', async () => {
  const root = await parsed([rootCauseFound, healthy, rejected]);
  const found = byName(suite(root, 0), 'verdict')?.failure?.[0];
  expect(found).toMatchObject({ type: 'RootCauseFound', message: rootCauseFound.envelope?.summary });
  expect(found?.inner).toContain('root cause: InsufficientResources (confidence 0.9)');
  expect(found?.inner).toContain('chain: Pod shop/web-0');
  expect(found?.inner).toContain('proof [a1] Pod shop/web-0 status.conditions[type=PodScheduled].message: 0/3 nodes are available: 3 Insufficient cpu.');
  const fine = byName(suite(root, 1), 'verdict');
  expect(fine?.failure).toBeUndefined();
  expect(fine?.['system-out']?.[0]).toContain('all 3 pods are scheduled');
  const refused = byName(suite(root, 2), 'verdict');
  expect(refused).toMatchObject({ classname: 'pvc-binding.PersistentVolumeClaim' });
  expect(refused?.error?.[0]).toMatchObject({ type: 'Rejected', message: 'NamespaceNotTrusted: spec.target.namespace: shop may not triage other' });
});

test('Inconclusive fails too', async () => {
  const result: TriageResult = { ...healthy, verdict: 'Inconclusive', envelope: envelope({ summary: 'nodes could not be read (NotCollected)' }) };
  const verdict = byName(suite(await parsed([result]), 0), 'verdict');
  expect(verdict?.failure?.[0]).toMatchObject({ type: 'Inconclusive', message: 'nodes could not be read (NotCollected)' });
});

test('hostile text stays text and the document stays well-formed', async () => {
  const hostile = 'a <b> & "c" \'d\' ]]> <![CDATA[x]]> \u0001\u0008\u001f\uFFFE\uD800 end\nline two\ttab';
  const result: TriageResult = {
    source: 'local',
    intent: 'crashloop</testsuite><testsuite name="injected">',
    target: 'Pod shop/<web>&',
    verdict: 'RootCauseFound',
    envelope: envelope({
      summary: hostile,
      findings: [{ code: 'ApplicationError', severity: 'Critical', object: POD, message: hostile, anchors: ['a1'] }],
      anchors: [{ id: 'a1', object: POD, fieldPath: 'status.message', excerpt: hostile, observedAt: '2026-11-21T12:00:00.000Z' }],
    }),
  };
  const xml = renderJUnit([result]);
  // xml2js (under junit2json) is lenient: it reads a raw control character, a `<` in an attribute or a
  // `]]>` in text without complaint, so well-formedness is checked here too: only our tags and entities.
  expect(Array.from(xml, (c) => c.codePointAt(0) ?? 0).filter(forbiddenInXml)).toEqual([]);
  expect(xml).not.toContain(']]>');
  expect(xml.match(/<(?!\?xml |\/?(?:testsuites|testsuite|testcase|properties|property|failure|error|skipped|system-out)[\s/>])/g)).toBeNull();
  expect(xml.match(/&(?!(?:amp|lt|gt|quot|apos|#10|#13|#9);)/g)).toBeNull();
  const root = await parsed([result]);
  expect(root.testsuite).toHaveLength(1);
  expect(suite(root, 0).name).toBe('crashloop</testsuite><testsuite name="injected"> Pod shop/<web>&');
  const visible = 'a <b> & "c" \'d\' ]]> <![CDATA[x]]> \\u0001\\u0008\\u001f\\ufffe\\ud800 end\nline two\ttab';
  expect(byName(suite(root, 0), 'ApplicationError')?.failure?.[0]).toMatchObject({ type: 'Critical', message: visible });
  expect(byName(suite(root, 0), 'ApplicationError')?.failure?.[0]?.inner).toContain(`proof [a1] Pod shop/web-0 status.message: ${visible}`);
});

test('no results: an empty, well-formed document', async () => {
  expect(await parsed([])).toMatchObject({ tests: 0, failures: 0, errors: 0 });
});
