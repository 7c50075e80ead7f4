import http from 'node:http';
import type https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { clusterDeps, createMcpServer, type McpDeps } from './cli/mcp';
import { hostOf, isLoopbackHost } from './config';
import type { Logger } from './logger';
import { BodyTimeout, BodyTooLarge, readBody } from './http-body';

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
/** How long a request body may take to arrive; a slower upload gets 408 (it never holds a slot: that is taken once the body is read). */
export const BODY_TIMEOUT_MS = 10_000;

export interface McpHttpOptions {
  /** host:port, or a port alone (then 127.0.0.1: the endpoint is private unless a host is configured). */
  readonly bindAddress: string;
  /** The operator's kubeconfig: only its cluster (apiserver URL, CA) is used, never its user. */
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
  readonly maxInFlight?: number;
  readonly bodyTimeoutMs?: number;
}

/** Where to listen: a port alone, or an empty host, means loopback. */
export function mcpListenAddress(bindAddress: string): { readonly host: string; readonly port: number } {
  const host = hostOf(bindAddress);
  return { host: host === '' ? '127.0.0.1' : host, port: Number(bindAddress.slice(bindAddress.lastIndexOf(':') + 1)) };
}

/** A caller's credentials without a connection pool of their own: every caller shares one to the operator's apiserver. */
class CallerKubeConfig extends KubeConfig {
  override async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    await super.applyToHTTPSOptions(options);
    // An agent per client left a TLS connection open per call; without one, the CA (the same for every caller) keys https.globalAgent's pool.
    delete options.agent;
  }
}

/** A kubeconfig for one caller: the operator's apiserver and CA, the caller's token as the only credential. */
export function callerKubeConfig(operator: KubeConfig, token: string): KubeConfig {
  const cluster = operator.getCurrentCluster();
  if (cluster === null) throw new Error('the operator kubeconfig has no current cluster');
  const config = new CallerKubeConfig();
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

/** Hostnames that are this machine, whatever the port (kubectl port-forward picks its own local port). */
function isLoopbackName(hostname: string): boolean {
  return hostname === '[::1]' || isLoopbackHost(hostname);
}

/** Why a loopback endpoint refuses a request as DNS rebinding, or undefined: its Host, and an Origin if sent, must name this machine. */
export function rebindingRefusal(headers: http.IncomingHttpHeaders): string | undefined {
  const hostname = (value: string) => {
    try {
      return new URL(value).hostname;
    } catch {
      return undefined;
    }
  };
  const host = headers.host ?? '';
  const hostName = hostname(`http://${host}`);
  if (hostName === undefined || !isLoopbackName(hostName)) return `forbidden: Host "${host}" is not this machine (this endpoint listens on loopback)`;
  const origin = headers.origin;
  if (origin !== undefined) {
    const originName = hostname(origin);
    if (originName === undefined || !isLoopbackName(originName)) return `forbidden: Origin "${origin}" is not this machine`;
  }
  return undefined;
}

/** The tools' cluster calls, each kept in `work` until it settles; none starts once the caller is gone. */
function tracked(deps: McpDeps, work: Set<Promise<unknown>>, gone: AbortSignal): McpDeps {
  const track = <T>(start: () => Promise<T>): Promise<T> => {
    if (gone.aborted) return Promise.reject(new Error('the caller has gone'));
    const promise = start();
    const settled = () => {
      work.delete(promise);
    };
    work.add(promise);
    promise.then(settled, settled);
    return promise;
  };
  return {
    ...deps,
    triage: (call, signal) => track(() => deps.triage(call, signal)),
    getTriage: (namespace, name) => track(() => deps.getTriage(namespace, name)),
    listTriages: (namespace, allNamespaces) => track(() => deps.listTriages(namespace, allNamespaces)),
    intents: () => track(() => deps.intents()),
  };
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
  const bodyTimeoutMs = options.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
  const { logger } = options;
  const { host, port } = mcpListenAddress(options.bindAddress);
  const loopback = isLoopbackHost(host);
  let inFlight = 0;

  /** One request's MCP server and transport; both let go of it when `gone` aborts, and its tool calls' signals abort with them. */
  const serve = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
    token: string,
    body: unknown,
    gone: AbortSignal,
    work: Set<Promise<unknown>>,
  ) => {
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
        signal: gone,
      },
    );
    const server = createMcpServer({
      ...tracked(deps, work, gone),
      log: (line) => {
        logger.info('MCP tool call failed', { detail: line.split('\n')[0] });
      },
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    gone.addEventListener(
      'abort',
      () => {
        void transport.close();
        void server.close();
      },
      { once: true },
    );
    await server.connect(transport);
    // Never settles when the caller goes mid-call (close() drops the pending answer): the slot is released on close, not here.
    await transport.handleRequest(request, response, body);
  };

  /** Reads the body (holding no slot), then serves it in a slot held until the response closes and the work it started has stopped. */
  const admit = async (request: http.IncomingMessage, response: http.ServerResponse, token: string, gone: AbortSignal): Promise<void> => {
    const declared = Number(request.headers['content-length'] ?? '0');
    let body: unknown;
    try {
      if (declared > maxBody) throw new BodyTooLarge();
      body = JSON.parse(await readBody(request, maxBody, bodyTimeoutMs));
    } catch (error: unknown) {
      if (gone.aborted) return;
      if (error instanceof BodyTooLarge) refuse(response, 413, -32600, `request body over ${maxBody} bytes`, { Connection: 'close' });
      else if (error instanceof BodyTimeout) refuse(response, 408, -32600, `request body not received within ${bodyTimeoutMs} ms`, { Connection: 'close' });
      else refuse(response, 400, -32700, 'parse error: the body is not JSON');
      return;
    }
    if (gone.aborted) return;
    if (inFlight >= maxInFlight) {
      refuse(response, 503, -32000, `busy: ${maxInFlight} requests in flight, retry shortly`, { 'Retry-After': '1' });
      return;
    }
    inFlight++;
    const work = new Set<Promise<unknown>>();
    // Exactly once, on close: the answer sent, or the caller gone (its triage then aborts and deletes its request before the slot frees).
    gone.addEventListener(
      'abort',
      () => {
        void Promise.allSettled([...work]).then(() => {
          inFlight--;
        });
      },
      { once: true },
    );
    await serve(request, response, token, body, gone, work).catch((error: unknown) => {
      logger.error('MCP request failed', { error: error instanceof Error ? error.message : String(error) });
      if (!response.headersSent) refuse(response, 500, -32603, 'internal error');
      else response.end();
    });
  };

  const httpServer = http.createServer((request, response) => {
    // Aborts when the response closes: answered, or the caller gone before it was.
    const closed = new AbortController();
    response.once('close', () => {
      closed.abort();
    });
    if ((request.url ?? '/').split('?')[0] !== MCP_PATH) {
      refuse(response, 404, -32601, `not found: the MCP endpoint is ${MCP_PATH}`);
      return;
    }
    // Stateless: no session to resume (GET) or end (DELETE).
    if (request.method !== 'POST') {
      refuse(response, 405, -32000, 'method not allowed: this MCP server is stateless, POST only', { Allow: 'POST' });
      return;
    }
    const rebinding = loopback ? rebindingRefusal(request.headers) : undefined;
    if (rebinding !== undefined) {
      refuse(response, 403, -32000, rebinding);
      return;
    }
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      refuse(response, 401, -32001, 'unauthorized: send Authorization: Bearer <your Kubernetes token>; every call is made with it', {
        'WWW-Authenticate': 'Bearer realm="triage-operator"',
      });
      return;
    }
    admit(request, response, token, closed.signal).catch((error: unknown) => {
      logger.error('MCP request failed', { error: error instanceof Error ? error.message : String(error) });
    });
  });

  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      logger.info('Serving MCP', { address: `${host}:${port}`, path: MCP_PATH });
      // Config refuses this without --mcp-allow-remote; with it, the network between callers and here must be TLS.
      if (!loopback) logger.warn('MCP endpoint on a non-loopback address: callers send bearer tokens over plain HTTP, so TLS must be in front of it', { host });
      resolve(httpServer);
    });
  });
}
