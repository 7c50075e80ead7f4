import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { TriageResult } from '../../src/cli/result';
import { readClusterInfo } from './support/cluster-info';
import { eventually } from './support/eventually';
import { kube } from './support/kube';
import { kubectlOk } from './support/kubectl';
import { startOperator, stopAllOperators } from './support/operator';
import { repoRoot } from './support/scripts';
import { tokenKubeconfig } from './support/service-account';
import { useTestNamespace } from './support/test-namespace';
import { createTriageRequest, triaged } from './support/triage';

// `kubectl triage mcp` as an assistant's MCP client runs it: the SDK's own Client spawning the plugin
// over stdio with a kubeconfig, against the real cluster and operator; then as a ServiceAccount whose
// RBAC reads but may not create TriageRequests; then the operator's own endpoint (--mcp-bind-address)
// over streamable HTTP, each call made with the caller's ServiceAccount token.
const ns = useTestNamespace('e2e-mcp');
const image = 'registry.k8s.io/pause:3.10';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-mcp-'));
const clients: Client[] = [];

interface Session {
  readonly client: Client;
  /** What the server wrote to stderr so far (stdout is the protocol). */
  readonly stderr: () => string;
}

async function connect(kubeconfig: string): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(repoRoot, 'dist/cli/kubectl-triage.js'), 'mcp', '--kubeconfig', kubeconfig],
    cwd: repoRoot,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, stderr: () => stderr };
}

async function call(session: Session, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  // A triage waits for the operator: longer than the SDK's default 60 s request timeout on a busy machine is a failure all the same.
  return (await session.client.callTool({ name, arguments: args }, undefined, { timeout: 90_000 })) as CallToolResult;
}

const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** A ServiceAccount of the test namespace bound to a Role with these rules, and a token for it. */
async function serviceAccountToken(name: string, rules: string): Promise<string> {
  await kubectlOk(
    ['apply', '-n', ns.name, '-f', '-'],
    [
      `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}}`,
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ${name}}\nrules:\n${rules}`,
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ${name}}\n` +
        `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name}}\nsubjects: [{kind: ServiceAccount, name: ${name}, namespace: ${ns.name}}]`,
    ].join('\n---\n'),
  );
  const token = await eventually(`a token for the ${name} ServiceAccount`, () =>
    kube().core.createNamespacedServiceAccountToken({ namespace: ns.name, name, body: { spec: { expirationSeconds: 3600, audiences: [] } } }),
  );
  return token.status?.token ?? '';
}

const READ_PODS = '- {apiGroups: [""], resources: [pods, events], verbs: [get, list, watch]}\n';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

async function triageRequestNames(): Promise<string> {
  return kubectlOk(['get', 'triagerequests', '-n', ns.name, '-o', 'name']);
}

let admin: Session;
let mcpPort = 0;

beforeAll(async () => {
  await kubectlOk(
    ['apply', '-n', ns.name, '-f', '-'],
    `apiVersion: v1\nkind: Pod\nmetadata: {name: picky}\nspec:\n  nodeSelector: {disktype: nvme-that-no-node-has}\n  containers: [{name: app, image: ${image}}]\n`,
  );
  await eventually('pod picky unschedulable', async () => {
    const pod = await kube().core.readNamespacedPod({ name: 'picky', namespace: ns.name });
    return pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status === 'False' ? true : undefined;
  });
  mcpPort = await freePort();
  // A port alone: the endpoint listens on 127.0.0.1.
  await startOperator({ args: [`--mcp-bind-address=${mcpPort}`] });
  admin = await connect(readClusterInfo().kubeconfig);
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await stopAllOperators();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the SDK client lists the five tools, each with input and output schemas', async () => {
  const { tools } = await admin.client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['explain_code', 'get_triage', 'list_intents', 'list_triages', 'triage']);
  expect(tools.every((t) => t.outputSchema !== undefined && (t.description ?? '').length > 0)).toBe(true);
  expect(admin.stderr()).toContain('kubectl-triage mcp: serving');
});

test('triage of a Pending pod: RootCauseFound, the envelope with anchors as structured content, the rendered text, the request cleaned up', async () => {
  const result = await call(admin, 'triage', { target: 'pod/picky', namespace: ns.name });
  expect(result.isError).toBeUndefined();
  const structured = result.structuredContent as unknown as TriageResult;
  expect([structured.source, structured.intent, structured.verdict]).toEqual(['operator', 'scheduling-failures', 'RootCauseFound']);
  const envelope = structured.envelope;
  expect(envelope?.rootCause?.code).toBe('NodeAffinityMismatch');
  const anchorIds = envelope?.anchors.map((a) => a.id) ?? [];
  expect(anchorIds.length).toBeGreaterThan(0);
  // Every anchor the root cause cites is in the envelope, and in the text an assistant reads.
  const cited = envelope?.rootCause?.anchors ?? [];
  expect(cited.length).toBeGreaterThan(0);
  expect(anchorIds).toEqual(expect.arrayContaining(cited));
  const text = textOf(result);
  expect(text).toMatch(/Root cause {2}NodeAffinityMismatch/);
  for (const id of cited) expect(text).toMatch(new RegExp(`^  \\[${id}\\] .* cited by root cause`, 'm'));
  expect(text).toMatch(
    new RegExp(`\\[a\\d+\\] Pod ${ns.name}/picky status\\.conditions\\[type=PodScheduled\\]\\.message \\(uid [0-9a-f-]+, resourceVersion \\d+\\): 0/3 nodes`),
  );
  expect(text).toContain('Anchors (evidence; cite by id)');
  expect(admin.stderr()).toMatch(new RegExp(`Created TriageRequest ${ns.name}/pod-picky-`));
  expect(await triageRequestNames()).toBe('');
});

test('triage with local: the same cause, nothing created', async () => {
  const result = await call(admin, 'triage', { target: { kind: 'Pod', name: 'picky' }, namespace: ns.name, intent: 'scheduling-failures', local: true });
  expect((result.structuredContent as unknown as TriageResult).envelope?.rootCause?.code).toBe('NodeAffinityMismatch');
  expect((result.structuredContent as unknown as TriageResult).source).toBe('local');
  expect(await triageRequestNames()).toBe('');
});

test.each([
  ['target "nonsense"', { target: 'nonsense', namespace: 'default' }, /"nonsense" is not KIND\/NAME .* at target/],
  ['an intent with capitals', { target: 'pod/picky', intent: 'Scheduling-Failures' }, /must be a lowercase DNS name at intent/],
  ['a namespace with "_"', { target: 'pod/picky', namespace: 'my_namespace' }, /at namespace/],
])('%s: a validation error naming the argument, nothing created', async (_what, args, message) => {
  const result = await call(admin, 'triage', args);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(/Input validation error/);
  expect(textOf(result)).toMatch(message);
  expect(await triageRequestNames()).toBe('');
});

test('explain_code of a typo suggests the right code', async () => {
  const result = await call(admin, 'explain_code', { code: 'NodeAfinityMismatch' });
  expect(result.structuredContent).toMatchObject({ known: false, suggestions: expect.arrayContaining(['NodeAffinityMismatch']) as string[] });
  expect(textOf(result)).toContain('Did you mean NodeAffinityMismatch');
});

test('get_triage and list_triages read a request applied beside the workload', async () => {
  await createTriageRequest(ns.name, 'why-picky', { intent: 'scheduling-failures', target: { kind: 'Pod', name: 'picky' } });
  await triaged(ns.name, 'why-picky');
  const got = await call(admin, 'get_triage', { namespace: ns.name, name: 'why-picky' });
  expect((got.structuredContent as unknown as TriageResult).envelope?.rootCause?.code).toBe('NodeAffinityMismatch');
  const listed = await call(admin, 'list_triages', { namespace: ns.name });
  expect(listed.structuredContent).toMatchObject({ triages: [{ name: 'why-picky', verdict: 'RootCauseFound', rootCause: 'NodeAffinityMismatch' }] });
  expect(textOf(listed)).toMatch(/^why-picky\s+scheduling-failures\s+Pod\/picky\s+RootCauseFound\s+NodeAffinityMismatch/m);
  await kubectlOk(['delete', 'triagerequest', 'why-picky', '-n', ns.name]);
});

test('the client closing stdin ends the server with exit 0, after it has talked to the apiserver; stdout carries only protocol', async () => {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/cli/kubectl-triage.js'), 'mcp', '--kubeconfig', readClusterInfo().kubeconfig], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const messages = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_triages', arguments: { namespace: ns.name } } },
  ];
  child.stdin.write(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
  await eventually('the list_triages answer', () => Promise.resolve(stdout.includes('"id":2') ? true : undefined), { timeoutMs: 20_000, intervalMs: 50 });
  child.stdin.end();
  // A server that ignored the closed stdin would hang here until the test's timeout.
  expect(await exited).toBe(0);
  const lines = stdout.trim().split('\n');
  expect(lines.map((line) => (JSON.parse(line) as { jsonrpc: string }).jsonrpc)).toEqual(['2.0', '2.0']);
});

describe('as a ServiceAccount that may read but not create TriageRequests', () => {
  let viewer: Session;

  beforeAll(async () => {
    const token = await serviceAccountToken('viewer', `${READ_PODS}- {apiGroups: [triage.dev], resources: [triagerequests], verbs: [get, list, watch]}\n`);
    const file = tokenKubeconfig(kube().config, 'viewer', token, 'mcp-viewer', ns.name);
    viewer = await connect(file);
  });

  test('triage is refused with the apiserver message: forbidden, the user, the verb and the resource', async () => {
    const result = await call(viewer, 'triage', { target: 'pod/picky' });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain(`cannot create a TriageRequest in namespace ${ns.name}: forbidden by RBAC`);
    expect(text).toContain(`User "system:serviceaccount:${ns.name}:viewer" cannot create resource "triagerequests" in API group "triage.dev"`);
    expect(text).toContain('local: true');
  });

  test('the server still serves it afterwards, and reads what its RBAC allows', async () => {
    const listed = await call(viewer, 'list_triages');
    expect([listed.isError, listed.structuredContent]).toEqual([undefined, { triages: [], total: 0, truncated: false }]);
  });
});

describe("the operator's MCP endpoint over streamable HTTP, with the caller's own token", () => {
  let triager = '';
  let viewerToken = '';

  beforeAll(async () => {
    triager = await serviceAccountToken('triager', `${READ_PODS}- {apiGroups: [triage.dev], resources: [triagerequests], verbs: [create, get, delete]}\n`);
    viewerToken = await serviceAccountToken('viewer', `${READ_PODS}- {apiGroups: [triage.dev], resources: [triagerequests], verbs: [get, list, watch]}\n`);
  });

  async function httpSession(token: string): Promise<Session> {
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${mcpPort}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: 'e2e-http', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return { client, stderr: () => '' };
  }

  test('no token: 401, nothing served', async () => {
    const response = await fetch(`http://127.0.0.1:${mcpPort}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  test('a ServiceAccount allowed to create TriageRequests: the tools, and a diagnosis made with its identity', async () => {
    const session = await httpSession(triager);
    expect((await session.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'explain_code',
      'get_triage',
      'list_intents',
      'list_triages',
      'triage',
    ]);
    const result = await call(session, 'triage', { target: 'pod/picky', namespace: ns.name });
    expect(result.isError).toBeUndefined();
    const structured = result.structuredContent as unknown as TriageResult;
    expect([structured.verdict, structured.envelope?.rootCause?.code]).toEqual(['RootCauseFound', 'NodeAffinityMismatch']);
    expect(textOf(result)).toContain('Anchors (evidence; cite by id)');
    expect(await triageRequestNames()).toBe('');
    // Not the operator's identity: this ServiceAccount may not list, and the apiserver says so.
    const listed = await call(session, 'list_triages', { namespace: ns.name });
    expect(listed.isError).toBe(true);
    expect(textOf(listed)).toContain(`User "system:serviceaccount:${ns.name}:triager" cannot list resource "triagerequests"`);
  });

  test('a ServiceAccount without create: the refusal names it; local is not run in the operator', async () => {
    const session = await httpSession(viewerToken);
    const refused = await call(session, 'triage', { target: 'pod/picky', namespace: ns.name });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain(`User "system:serviceaccount:${ns.name}:viewer" cannot create resource "triagerequests" in API group "triage.dev"`);
    const local = await call(session, 'triage', { target: 'pod/picky', namespace: ns.name, local: true });
    expect(local.isError).toBe(true);
    expect(textOf(local)).toContain('local is not available from the operator');
  });

  test('a token the apiserver does not accept: every cluster call is refused as Unauthorized', async () => {
    const session = await httpSession('not-a-real-token');
    const result = await call(session, 'get_triage', { namespace: ns.name, name: 'anything' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Unauthorized/i);
  });
});
