import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { bearerToken, callerKubeConfig, mcpListenAddress, rebindingRefusal, startMcpHttpServer } from './mcp-http';
import { closeServer } from './server';

// The operator's MCP endpoint before any tool runs: where it listens, whose credentials it uses, and
// the requests it refuses. Tool calls with real tokens are in test/e2e/mcp.e2e.test.ts.

function operatorConfig(server = 'https://10.0.0.1:6443', caData = 'Q0E='): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server, caData, skipTLSVerify: false }],
    users: [{ name: 'operator', token: 'operator-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'operator' }],
    currentContext: 'ctx',
  });
  return config;
}

describe('the MCP endpoint', () => {
  test('a port alone, or an empty host, listens on loopback; a host is kept', () => {
    expect([mcpListenAddress('8090'), mcpListenAddress(':8090'), mcpListenAddress('0.0.0.0:9000')]).toEqual([
      { host: '127.0.0.1', port: 8090 },
      { host: '127.0.0.1', port: 8090 },
      { host: '0.0.0.0', port: 9000 },
    ]);
  });

  test('a loopback endpoint refuses another Host or Origin (DNS rebinding), whatever the port', () => {
    expect([
      rebindingRefusal({ host: '127.0.0.1:8090' }),
      rebindingRefusal({ host: 'localhost:9000', origin: 'http://localhost:6274' }),
      rebindingRefusal({ host: '[::1]:8090' }),
    ]).toEqual([undefined, undefined, undefined]);
    expect(rebindingRefusal({ host: 'evil.example:8090' })).toMatch(/^forbidden: Host "evil.example:8090"/);
    expect(rebindingRefusal({ host: '127.0.0.1.evil.example' })).toMatch(/^forbidden: Host/);
    expect(rebindingRefusal({})).toMatch(/^forbidden: Host ""/);
    expect(rebindingRefusal({ host: 'localhost:8090', origin: 'https://evil.example' })).toMatch(/^forbidden: Origin "https:\/\/evil.example"/);
    expect(rebindingRefusal({ host: 'localhost:8090', origin: 'null' })).toMatch(/^forbidden: Origin "null"/);
  });

  describe('--mcp-bind-address and --mcp-allow-remote', () => {
    const load = (...argv: string[]) => loadConfig(argv, {});
    const problems = (...argv: string[]) => {
      try {
        load(...argv);
        return [];
      } catch (error: unknown) {
        return error instanceof ConfigError ? error.problems : [String(error)];
      }
    };

    test('loopback binds are served: a port alone, 127.0.0.1, localhost', () => {
      for (const address of ['8090', ':8090', '127.0.0.1:8090', 'localhost:65535'])
        expect(load(`--mcp-bind-address=${address}`)).toMatchObject({ mcpBindAddress: address, mcpAllowRemote: false });
    });

    test('a port over 65535, or 0: a ConfigError naming the flag', () => {
      expect(problems('--mcp-bind-address=127.0.0.1:70000')).toEqual(['--mcp-bind-address (env MCP_BIND_ADDRESS): the port must be 1 to 65535']);
      expect(problems('--mcp-bind-address=0')).toEqual(['--mcp-bind-address (env MCP_BIND_ADDRESS): the port must be 1 to 65535']);
    });

    test('another host is refused (tokens in clear text) unless --mcp-allow-remote says TLS is in front', () => {
      expect(problems('--mcp-bind-address=0.0.0.0:8090')).toEqual([
        "--mcp-bind-address (env MCP_BIND_ADDRESS): 0.0.0.0 is not a loopback address: callers' bearer tokens would cross the network in clear text; bind 127.0.0.1 (kubectl port-forward reaches it), or put TLS in front and set --mcp-allow-remote",
      ]);
      expect(load('--mcp-bind-address=0.0.0.0:8090', '--mcp-allow-remote')).toMatchObject({ mcpBindAddress: '0.0.0.0:8090', mcpAllowRemote: true });
      expect(loadConfig([], { MCP_BIND_ADDRESS: '10.0.0.5:8090', MCP_ALLOW_REMOTE: 'true' })).toMatchObject({ mcpAllowRemote: true });
    });

    test('on a non-loopback address the endpoint warns at start', async () => {
      const logger = createLogger('error', { silent: true });
      const warn = jest.spyOn(logger, 'warn');
      const server = await startMcpHttpServer({ bindAddress: '0.0.0.0:0', kubeConfig: operatorConfig(), logger });
      await closeServer(server);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('TLS must be in front'), { host: '0.0.0.0' });
    });
  });

  test("a caller's kubeconfig: the operator's apiserver and CA, the caller's token, never the operator's", () => {
    const config = callerKubeConfig(operatorConfig(), 'caller-token');
    expect(config.getCurrentCluster()).toMatchObject({ server: 'https://10.0.0.1:6443', caData: 'Q0E=' });
    expect(config.getCurrentUser()).toMatchObject({ token: 'caller-token' });
    expect(JSON.stringify(config.exportConfig())).not.toContain('operator-token');
  });

  test('the bearer token, strictly', () => {
    expect([bearerToken('Bearer abc.def'), bearerToken('bearer abc'), bearerToken('Basic abc'), bearerToken('Bearer '), bearerToken(undefined)]).toEqual([
      'abc.def',
      'abc',
      undefined,
      undefined,
      undefined,
    ]);
  });

  describe('refusals', () => {
    let server: http.Server;
    let url: string;

    beforeAll(async () => {
      server = await startMcpHttpServer({
        bindAddress: '0',
        kubeConfig: operatorConfig(),
        logger: createLogger('error', { silent: true }),
        maxBodyBytes: 1000,
      });
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await closeServer(server);
    });

    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const post = (body: string, headers: Record<string, string> = {}, path = '/mcp') =>
      fetch(`${url}${path}`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
      });

    test('no token: 401 with WWW-Authenticate, before anything is read', async () => {
      const response = await post(initialize);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="triage-operator"');
      expect(await response.json()).toMatchObject({ error: { message: expect.stringContaining('Authorization: Bearer') as string } });
    });

    test('another Host: 403, before anything is read', async () => {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const request = http.request(`${url}/mcp`, { method: 'POST', headers: { Host: 'evil.example', Authorization: 'Bearer t' } }, (response) => {
          response.resume();
          resolve(response.statusCode);
        });
        request.on('error', reject);
        request.end(initialize);
      });
      expect(status).toBe(403);
    });

    test('a body over the limit: 413; not JSON: 400; GET: 405; another path: 404', async () => {
      const auth = { Authorization: 'Bearer t' };
      expect((await post('x'.repeat(5000), auth)).status).toBe(413);
      expect((await post('{not json', auth)).status).toBe(400);
      expect((await fetch(`${url}/mcp`, { headers: auth })).status).toBe(405);
      expect((await post(initialize, auth, '/other')).status).toBe(404);
    });

    test('with a token, the protocol is served (initialize needs no cluster)', async () => {
      const response = await post(initialize, { Authorization: 'Bearer t' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ result: { serverInfo: { name: 'kubectl-triage' } } });
    });
  });
});

/** A self-signed certificate for 127.0.0.1, made for this run (nothing secret is kept in the repository). */
function selfSigned(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-http-test-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ]),
      { stdio: 'ignore' },
    );
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An apiserver over TLS that knows TriageRequests in namespace shop; a created one is never answered. */
class FakeApiserver {
  readonly seen: string[] = [];
  readonly tokens = new Set<string>();
  connections = 0;
  private readonly server: https.Server;
  private readonly tls = selfSigned();

  constructor() {
    this.server = https.createServer({ key: this.tls.key, cert: this.tls.cert }, (request, response) => {
      this.seen.push(`${request.method ?? ''} ${request.url ?? ''}`);
      this.tokens.add(request.headers.authorization ?? '');
      const base = '/apis/triage.dev/v1alpha1/namespaces/shop/triagerequests';
      const object = { apiVersion: 'triage.dev/v1alpha1', kind: 'TriageRequest', spec: { intent: 'scheduling-failures' } };
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method === 'POST' && request.url === base) {
          const { metadata } = JSON.parse(Buffer.concat(chunks).toString()) as { metadata: { name?: string; generateName?: string } };
          reply(201, { ...object, metadata: { name: metadata.name ?? `${metadata.generateName ?? ''}abcde`, namespace: 'shop', generation: 1 } });
        } else if (request.url?.startsWith(`${base}/`) === true)
          reply(200, { ...object, metadata: { name: request.url.slice(base.length + 1), namespace: 'shop', generation: 1 } });
        else reply(404, { kind: 'Status', reason: 'NotFound', message: 'not found', code: 404 });
      });
    });
    this.server.on('secureConnection', () => {
      this.connections++;
    });
  }

  async start(): Promise<KubeConfig> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return operatorConfig(`https://127.0.0.1:${port}`, Buffer.from(this.tls.cert).toString('base64'));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the MCP endpoint against an apiserver', () => {
  const apiserver = new FakeApiserver();
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    server = await startMcpHttpServer({
      bindAddress: '0',
      kubeConfig: await apiserver.start(),
      logger: createLogger('error', { silent: true }),
      maxInFlight: 1,
      bodyTimeoutMs: 300,
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });

  afterAll(async () => {
    await closeServer(server);
    // Callers' connections are pooled in https.globalAgent: let go of them so the fake can stop.
    https.globalAgent.destroy();
    await apiserver.stop();
  });

  const toolCall = (id: number, name: string, args: Record<string, unknown>) =>
    JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const post = (body: string, token: string, signal?: AbortSignal) =>
    fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${token}` },
      ...(signal === undefined ? {} : { signal }),
    });
  const ping = (token = 't') => post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }), token);

  /** Pings until the one slot is free; what the apiserver had seen by then. */
  async function slotFreed(): Promise<string[]> {
    const deadline = Date.now() + 5000;
    while ((await ping()).status !== 200) {
      if (Date.now() > deadline) throw new Error('the slot was never freed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return [...apiserver.seen];
  }

  /** Starts a triage and waits until it polls its request: it holds the slot until aborted. */
  async function waitingTriage(): Promise<{ abort: () => Promise<unknown> }> {
    const before = apiserver.seen.length;
    const gone = new AbortController();
    const body = toolCall(1, 'triage', { target: 'pod/web-0', namespace: 'shop', intent: 'scheduling-failures', timeoutSeconds: 60 });
    const answered = post(body, 'caller-a', gone.signal).catch((error: unknown) => error);
    await until('the triage to poll its request', () => apiserver.seen.slice(before).some((line) => line.startsWith(`GET ${REQUESTS}/pod-web-0-`)));
    return {
      abort: () => {
        gone.abort();
        return answered;
      },
    };
  }

  const REQUESTS = '/apis/triage.dev/v1alpha1/namespaces/shop/triagerequests';
  const deletes = (seen: readonly string[]) => seen.filter((line) => line.startsWith(`DELETE ${REQUESTS}/pod-web-0-`));

  test('a caller gone mid-triage: its TriageRequest is deleted, then its slot is freed, exactly once', async () => {
    const first = await waitingTriage();
    expect((await ping()).status).toBe(503);
    expect(await first.abort()).toMatchObject({ name: 'AbortError' });
    expect(deletes(await slotFreed())).toHaveLength(1);
    // Released once, not twice: the one slot still admits one request at a time.
    const second = await waitingTriage();
    expect((await ping()).status).toBe(503);
    await second.abort();
    expect(deletes(await slotFreed())).toHaveLength(2);
  }, 20_000);

  test('callers share one connection pool to the apiserver; each call carries its own token', async () => {
    const before = apiserver.connections;
    for (let i = 0; i < 20; i++) {
      const response = await post(toolCall(2, 'get_triage', { namespace: 'shop', name: 'why' }), `token-${i}`);
      expect(await response.json()).toMatchObject({ result: { structuredContent: { request: 'shop/why' } } });
    }
    expect(apiserver.connections - before).toBeLessThanOrEqual(1);
    for (let i = 0; i < 20; i++) expect(apiserver.tokens).toContain(`Bearer token-${i}`);
  });

  test('a stalled upload gets 408 and holds no slot meanwhile', async () => {
    const { port } = server.address() as AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc"');
    // The only slot is free while the body dribbles in.
    expect((await ping()).status).toBe(200);
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('request body not received within 300 ms');
  });
});
