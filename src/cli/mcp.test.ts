import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Envelope } from '../crds/envelope';
import type { TriageRequestObject } from '../crds/triage-request';
import { PluginError } from './errors';
import { createMcpServer, DEFAULT_TIMEOUT_SECONDS, MAX_LISTED_TRIAGES, type McpDeps, type TriageCall } from './mcp';
import type { TriageResult } from './result';

// The MCP tools over the SDK's in-memory transport, with a fake cluster: what an assistant sees.

const envelope: Envelope = {
  intent: 'scheduling-failures',
  template: { name: 'scheduling-failures', version: '1', hash: 'h', source: 'BuiltIn' },
  target: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'u1' },
  summary: 'Pod shop/web-0 cannot be scheduled: no node matches its nodeSelector',
  rootCause: {
    code: 'NodeAffinityMismatch',
    confidence: 0.9,
    message: 'no node matches the nodeSelector disktype=nvme',
    chain: [{ kind: 'Pod', namespace: 'shop', name: 'web-0' }],
    anchors: ['a1'],
  },
  findings: [
    {
      code: 'NodeAffinityMismatch',
      severity: 'Critical',
      object: { kind: 'Pod', namespace: 'shop', name: 'web-0' },
      message: 'no node matches',
      anchors: ['a1', 'a2'],
    },
  ],
  evidence: { completeness: 1, threshold: 0.8, present: ['pod'], missing: [], unavailable: [] },
  anchors: [
    {
      id: 'a1',
      object: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'u1', resourceVersion: '42' },
      fieldPath: 'status.conditions[type=PodScheduled].message',
      excerpt: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
      observedAt: '2026-12-01T10:00:00Z',
    },
    {
      id: 'a2',
      object: { kind: 'Event', namespace: 'shop', name: 'web-0.18ed6', uid: 'e1', resourceVersion: '40' },
      event: { uid: 'e1', reason: 'FailedScheduling', count: 4, lastSeen: '2026-12-01T09:59:00Z' },
      excerpt: '0/3 nodes are available',
      observedAt: '2026-12-01T10:00:00Z',
    },
  ],
  nextActions: [{ description: 'See node labels', command: 'kubectl get nodes --show-labels', safety: 'ReadOnly' }],
  steps: [{ name: 'pod', status: 'Done', durationMs: 1, evidenceKeys: ['pod'] }],
  bounds: { stepsUsed: 1, maxSteps: 3, timeoutMs: 15000, truncated: false },
  timing: { startedAt: '2026-12-01T10:00:00Z', completedAt: '2026-12-01T10:00:00Z', durationMs: 3 },
  inputs: { fingerprint: 'f', objectCount: 4 },
};

const diagnosis: TriageResult = {
  request: 'shop/pod-web-0-abcde',
  source: 'operator',
  intent: 'scheduling-failures',
  target: 'Pod/web-0',
  verdict: 'RootCauseFound',
  envelope,
};

function fakeDeps(overrides: Partial<McpDeps> = {}): McpDeps & { calls: TriageCall[]; logged: string[] } {
  const calls: TriageCall[] = [];
  const logged: string[] = [];
  const requests: TriageRequestObject[] = [
    {
      metadata: { name: 'why-web', namespace: 'shop', creationTimestamp: '2026-12-01T09:58:00Z' },
      spec: { intent: 'scheduling-failures' },
      status: { verdict: 'RootCauseFound', target: 'Pod/web-0', envelope },
    },
  ];
  return {
    calls,
    logged,
    triage: (call) => {
      calls.push(call);
      return Promise.resolve(diagnosis);
    },
    getTriage: () => Promise.resolve(diagnosis),
    listTriages: () => Promise.resolve(requests),
    intents: () =>
      Promise.resolve([{ name: 'pvc-binding', source: 'BuiltIn', targetKinds: ['PersistentVolumeClaim', 'Pod'], description: 'Why a claim is unbound.' }]),
    now: () => new Date('2026-12-01T10:00:00Z'),
    log: (line) => logged.push(line),
    ...overrides,
  };
}

async function connect(deps: McpDeps): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '1.0.0' });
  await Promise.all([createMcpServer(deps).connect(serverSide), client.connect(clientSide)]);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('the MCP server', () => {
  let client: Client;
  let deps: ReturnType<typeof fakeDeps>;

  beforeEach(async () => {
    deps = fakeDeps();
    client = await connect(deps);
  });

  afterEach(async () => {
    await client.close();
  });

  test('lists five tools, each with an input and an output schema; only triage writes', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['explain_code', 'get_triage', 'list_intents', 'list_triages', 'triage']);
    for (const tool of tools) {
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.description?.length).toBeGreaterThan(80);
      expect(tool.annotations?.readOnlyHint).toBe(tool.name !== 'triage');
    }
    const triage = tools.find((t) => t.name === 'triage');
    expect(Object.keys(triage?.inputSchema.properties ?? {})).toEqual(['target', 'namespace', 'intent', 'local', 'timeoutSeconds']);
    expect(triage?.description).toContain('cite them by id');
  });

  test('explain_code: a known code, case-blind', async () => {
    const result = await call(client, 'explain_code', { code: 'storageclassnotfound' });
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toMatchObject({ known: true });
    expect(textOf(result).split('\n')[0]).toBe('StorageClassNotFound');
  });

  test('explain_code: a typo gets the nearest codes', async () => {
    const result = await call(client, 'explain_code', { code: 'OOMKiled' });
    expect(result.structuredContent).toMatchObject({ code: 'OOMKiled', known: false, suggestions: expect.arrayContaining(['OOMKilled']) as string[] });
    expect(textOf(result)).toMatch(/^No root-cause code "OOMKiled"\. Did you mean .*OOMKilled/);
  });

  test('list_intents: the rows as structured content and text', async () => {
    const result = await call(client, 'list_intents');
    expect(result.structuredContent).toEqual({
      intents: [{ name: 'pvc-binding', source: 'BuiltIn', targetKinds: ['PersistentVolumeClaim', 'Pod'], description: 'Why a claim is unbound.' }],
    });
    expect(textOf(result)).toBe('pvc-binding (BuiltIn; PersistentVolumeClaim, Pod): Why a claim is unbound.');
  });

  test('triage: kubectl spelling of the target, defaults filled; the envelope as structured content, anchors cited in the text', async () => {
    const result = await call(client, 'triage', { target: 'po/web-0', namespace: 'shop' });
    expect(deps.calls).toEqual([{ target: { kind: 'Pod', name: 'web-0' }, namespace: 'shop', local: false, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS }]);
    expect(result.structuredContent).toEqual(diagnosis);
    const text = textOf(result);
    expect(text).toContain('Root cause  NodeAffinityMismatch');
    expect(text).toContain('[a1] Pod shop/web-0 status.conditions[type=PodScheduled].message (uid u1, resourceVersion 42)');
    expect(text).toContain(
      '[a2] Event FailedScheduling x4, last seen 2026-12-01T09:59:00Z (Event shop/web-0.18ed6, uid e1, resourceVersion 40): 0/3 nodes are available  — cited by NodeAffinityMismatch',
    );
    expect(text).toMatch(/\[a1\] .* cited by root cause, NodeAffinityMismatch$/m);
  });

  test('triage: an object target, an intent and local', async () => {
    await call(client, 'triage', { target: { kind: 'PersistentVolumeClaim', name: 'data' }, intent: 'pvc-binding', local: true, timeoutSeconds: 5 });
    expect(deps.calls).toEqual([{ target: { kind: 'PersistentVolumeClaim', name: 'data' }, intent: 'pvc-binding', local: true, timeoutSeconds: 5 }]);
  });

  test.each([
    [{ target: 'nonsense' }, /"nonsense" is not KIND\/NAME .* at target/],
    [{ target: 'pod/' }, /"pod\/" is not KIND\/NAME .* at target/],
    [{ target: { kind: 'Widget', name: 'x' } }, /kind: Invalid option: expected one of "Pod".* at target/],
    [{ target: 42 }, /must be "KIND\/NAME" .* at target/],
    [{ target: 'po/x', intent: 'Scheduling-Failures' }, /must be a lowercase DNS name at intent/],
    [{ target: 'po/x', intent: 'pvc-bindng' }, /must be a built-in intent .* at intent/],
    [{ target: 'po/x', namespace: 'my_ns' }, /at namespace/],
    [{ target: 'po/x', timeoutSeconds: 0 }, /at timeoutSeconds/],
    [{ target: 'po/x', nmespace: 'shop' }, /Unrecognized key: "nmespace"/],
    // A name is a path segment of the request: anything but a Kubernetes name could make it another request.
    [{ target: 'pod/x/../../events?watch=true' }, /is not a Kubernetes object name .* at target/],
    [{ target: 'po/Web_0' }, /is not a Kubernetes object name .* at target/],
    [{ target: { kind: 'Pod', name: 'x/../../events?watch=true' } }, /must be a Kubernetes object name.* at target\.name/],
    [{ target: { kind: 'Pod', name: 'a'.repeat(254) } }, /Too big: expected string to have <=253 characters at target\.name/],
  ])('triage %j: a validation error naming the argument, nothing run', async (args, message) => {
    const result = await call(client, 'triage', args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Input validation error/);
    expect(textOf(result)).toMatch(message);
    expect(deps.calls).toEqual([]);
  });

  test('get_triage and list_triages: bad names are refused by field', async () => {
    expect(textOf(await call(client, 'get_triage', { namespace: 'shop' }))).toMatch(/at name/);
    expect(textOf(await call(client, 'get_triage', { namespace: 'Shop', name: 'x' }))).toMatch(/at namespace/);
    expect(textOf(await call(client, 'list_triages', { namespace: 'a b' }))).toMatch(/at namespace/);
  });

  test('get_triage: the result like triage; list_triages: rows and the table', async () => {
    expect((await call(client, 'get_triage', { namespace: 'shop', name: 'why-web' })).structuredContent).toEqual(diagnosis);
    const listed = await call(client, 'list_triages', { namespace: 'shop' });
    expect(listed.structuredContent).toEqual({
      triages: [
        {
          namespace: 'shop',
          name: 'why-web',
          intent: 'scheduling-failures',
          target: 'Pod/web-0',
          verdict: 'RootCauseFound',
          rootCause: 'NodeAffinityMismatch',
          summary: envelope.summary,
          findings: { critical: 1, warning: 0, info: 0 },
          createdAt: '2026-12-01T09:58:00.000Z',
        },
      ],
      total: 1,
      truncated: false,
    });
    expect(textOf(listed)).toMatch(/^NAME\s+INTENT.*\nwhy-web\s+scheduling-failures\s+Pod\/web-0\s+RootCauseFound\s+NodeAffinityMismatch\s+1\s+0\s+0\s+2m$/);
  });
});

describe('list_triages of many requests', () => {
  test(`the newest ${MAX_LISTED_TRIAGES} rows, by namespace and name, with the total and truncated: true`, async () => {
    const many: TriageRequestObject[] = Array.from({ length: 250 }, (_, i) => ({
      metadata: {
        name: `r-${String(i).padStart(3, '0')}`,
        namespace: i % 2 === 0 ? 'a' : 'b',
        creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      },
      spec: { intent: 'scheduling-failures' },
    }));
    const client = await connect(fakeDeps({ listTriages: () => Promise.resolve(many) }));
    const result = await call(client, 'list_triages', { allNamespaces: true });
    const structured = result.structuredContent as { triages: { namespace: string; name: string }[]; total: number; truncated: boolean };
    expect([structured.triages.length, structured.total, structured.truncated]).toEqual([MAX_LISTED_TRIAGES, 250, true]);
    // r-050 to r-249 are the newest; a's before b's, each by name.
    const names = structured.triages.map((row) => `${row.namespace}/${row.name}`);
    expect([names[0], names[99], names[100], names.at(-1)]).toEqual(['a/r-050', 'a/r-248', 'b/r-051', 'b/r-249']);
    const lines = textOf(result).split('\n');
    expect(lines).toHaveLength(1 + MAX_LISTED_TRIAGES + 1);
    expect(lines.at(-1)).toBe('(the newest 200 of 250 TriageRequests; list one namespace, or get_triage one by name)');
    await client.close();
  });
});

describe('failures are tool results, the server keeps serving', () => {
  const refusal =
    'cannot create a TriageRequest in namespace shop: forbidden by RBAC: triagerequests.triage.dev is forbidden: User "system:serviceaccount:shop:viewer" cannot create resource "triagerequests" in API group "triage.dev" in the namespace "shop"';

  test('an RBAC refusal: isError with the apiserver message', async () => {
    const deps = fakeDeps({ triage: () => Promise.reject(new PluginError(refusal)) });
    const client = await connect(deps);
    const result = await call(client, 'triage', { target: 'po/web-0' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(refusal);
    expect(deps.logged).toEqual([`kubectl-triage mcp: triage: ${refusal}`]);
    expect((await call(client, 'explain_code', { code: 'OOMKilled' })).isError).toBeUndefined();
    await client.close();
  });

  test('an unexpected error: isError with its message, the stack only in the log', async () => {
    const deps = fakeDeps({ listTriages: () => Promise.reject(new TypeError('boom')) });
    const client = await connect(deps);
    const result = await call(client, 'list_triages');
    expect([result.isError, textOf(result)]).toEqual([true, 'boom']);
    expect(deps.logged[0]).toMatch(/^kubectl-triage mcp: list_triages: TypeError: boom\n\s+at /);
    await client.close();
  });
});
