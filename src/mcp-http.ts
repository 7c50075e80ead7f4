import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { clusterDeps, createMcpServer } from './cli/mcp';
import type { Logger } from './logger';

// The operator's optional MCP endpoint (--mcp-bind-address): the same tools as `kubectl triage mcp`,
// over streamable HTTP, stateless. Each request carries the caller's own Kubernetes bearer token and
// every tool call is made with it against the operator's apiserver: the apiserver authenticates and
// authorizes the caller, so the operator needs no impersonation or TokenReview rights and its own
// credentials are never used for a caller.

export const MCP_PATH = '/mcp';
/** A JSON-RPC request of these tools is a few hundred bytes: 1 MiB is generous and still bounded. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Requests served at once; more get 503 (a triage waits up to 120 s for its verdict). */
export const MAX_IN_FLIGHT = 32;

export interface McpHttpOptions {
  /** host:port, or a port alone (then 127.0.0.1: the endpoint is private unless a host is configured). */
  readonly bindAddress: string;
  /** The operator's kubeconfig: only its cluster (apiserver URL, CA) is used, never its user. */
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
  readonly maxInFlight?: number;
}

/** Where to listen: a port alone, or an empty host, means loopback. */
export function mcpListenAddress(bindAddress: string): { readonly host: string; readonly port: number } {
  const colon = bindAddress.lastIndexOf(':');
  const host = colon < 0 ? '' : bindAddress.slice(0, colon);
  return { host: host === '' ? '127.0.0.1' : host, port: Number(bindAddress.slice(colon + 1)) };
}

/** A kubeconfig for one caller: the operator's apiserver and CA, the caller's token as the only credential. */
export function callerKubeConfig(operator: KubeConfig, token: string): KubeConfig {
  const cluster = operator.getCurrentCluster();
  if (cluster === null) throw new Error('the operator kubeconfig has no current cluster');
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'mcp-caller', token }],
    contexts: [{ name: 'mcp-caller', cluster: cluster.name, user: 'mcp-caller' }],
    currentContext: 'mcp-caller',
  });
  return config;
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

class BodyTooLarge extends Error {}

function readBody(request: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Over the limit: stop keeping it; the 413 goes out with Connection: close, which ends the upload.
      if (size > limit) reject(new BodyTooLarge());
      else chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

/** A JSON-RPC error as an HTTP answer (no id: the request was not read as one). */
function refuse(response: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** Serves /mcp until the returned server is closed. */
export function startMcpHttpServer(options: McpHttpOptions): Promise<http.Server> {
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
  const { logger } = options;
  let inFlight = 0;

  const serve = async (request: http.IncomingMessage, response: http.ServerResponse, token: string): Promise<void> => {
    const declared = Number(request.headers['content-length'] ?? '0');
    let body: unknown;
    try {
      if (declared > maxBody) throw new BodyTooLarge();
      body = JSON.parse(await readBody(request, maxBody));
    } catch (error: unknown) {
      if (error instanceof BodyTooLarge) refuse(response, 413, -32600, `request body over ${maxBody} bytes`, { Connection: 'close' });
      else refuse(response, 400, -32700, 'parse error: the body is not JSON');
      return;
    }
    // Aborted when the caller goes away: a triage it started stops waiting and deletes its request.
    const gone = new AbortController();
    const deps = clusterDeps(
      { config: () => callerKubeConfig(options.kubeConfig, token), allowLocal: false },
      {
        out: () => undefined,
        err: (line) => {
          logger.debug('MCP progress', { detail: line.trim() });
        },
        stdoutIsTTY: false,
        stderrIsTTY: false,
        now: () => new Date(),
        signal: gone.signal,
      },
    );
    const server = createMcpServer({
      ...deps,
      log: (line) => {
        logger.info('MCP tool call failed', { detail: line.split('\n')[0] });
      },
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => {
      gone.abort();
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  };

  const httpServer = http.createServer((request, response) => {
    if ((request.url ?? '/').split('?')[0] !== MCP_PATH) {
      refuse(response, 404, -32601, `not found: the MCP endpoint is ${MCP_PATH}`);
      return;
    }
    // Stateless: no session to resume (GET) or end (DELETE).
    if (request.method !== 'POST') {
      refuse(response, 405, -32000, 'method not allowed: this MCP server is stateless, POST only', { Allow: 'POST' });
      return;
    }
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      refuse(response, 401, -32001, 'unauthorized: send Authorization: Bearer <your Kubernetes token>; every call is made with it', {
        'WWW-Authenticate': 'Bearer realm="triage-operator"',
      });
      return;
    }
    if (inFlight >= maxInFlight) {
      refuse(response, 503, -32000, `busy: ${maxInFlight} requests in flight, retry shortly`, { 'Retry-After': '1' });
      return;
    }
    inFlight++;
    serve(request, response, token)
      .catch((error: unknown) => {
        logger.error('MCP request failed', { error: error instanceof Error ? error.message : String(error) });
        if (!response.headersSent) refuse(response, 500, -32603, 'internal error');
        else response.end();
      })
      .finally(() => {
        inFlight--;
      });
  });

  const { host, port } = mcpListenAddress(options.bindAddress);
  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      logger.info('Serving MCP', { address: `${host}:${port}`, path: MCP_PATH });
      resolve(httpServer);
    });
  });
}
