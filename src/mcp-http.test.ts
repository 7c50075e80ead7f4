import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from './logger';
import { bearerToken, callerKubeConfig, mcpListenAddress, startMcpHttpServer } from './mcp-http';
import { closeServer } from './server';

// The operator's MCP endpoint before any tool runs: where it listens, whose credentials it uses, and
// the requests it refuses. Tool calls with real tokens are in test/e2e/mcp.e2e.test.ts.

function operatorConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://10.0.0.1:6443', caData: 'Q0E=', skipTLSVerify: false }],
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
