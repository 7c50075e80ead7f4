import { createHash } from 'node:crypto';
import https from 'node:https';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, ConnectionError } from './errors';

/** Observes every request the operator makes (for `rest_client_requests_total`). */
export type RequestObserver = (verb: string, resource: string, code: string) => void;

export interface ListResult<T> {
  readonly metadata: { readonly resourceVersion?: string };
  readonly items: T[];
}

export const MERGE_PATCH = 'application/merge-patch+json';

/** Kubernetes verbs as the apiserver's metrics name them. */
function verbOf(method: string, path: string, query: URLSearchParams): string {
  if (method === 'GET') {
    if (query.get('watch') === 'true') return 'WATCH';
    return isCollectionPath(path) ? 'LIST' : 'GET';
  }
  return method;
}

// /api/v1/pods, /api/v1/namespaces/x/pods and /apis/g/v/namespaces/x/res are collections; one more segment is an object.
function isCollectionPath(path: string): boolean {
  const parts = path.split('/').filter((p) => p !== '');
  const afterVersion = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  return afterVersion.length === 1 || (afterVersion[0] === 'namespaces' && afterVersion.length === 3);
}

function resourceOf(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  const afterVersion = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const rest = afterVersion[0] === 'namespaces' && afterVersion.length >= 3 ? afterVersion.slice(2) : afterVersion;
  return rest.length > 2 ? `${rest[0] ?? ''}/${rest[2] ?? ''}` : (rest[0] ?? '');
}

/** Certificates and keys as JSON-comparable values (Buffers as base64). */
function tlsMaterial(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return Array.isArray(value) ? value.map(tlsMaterial) : (value ?? null);
}

/**
 * A small JSON client on the kubeconfig's credentials. It returns objects exactly as the apiserver
 * sends them (string timestamps), the same shape the watch stream delivers, so cached objects have
 * one shape whether they came from a list or a watch.
 */
export class KubeClient {
  // One keep-alive agent per set of TLS credentials: client-node makes a new agent on every call, which
  // would cost a TLS handshake per request (two per triage) on both the operator and the apiserver.
  private agent: { readonly credentials: string; readonly agent: https.Agent } | undefined;

  constructor(
    readonly config: KubeConfig,
    private readonly observe: RequestObserver = () => undefined,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  /** A long-lived keep-alive agent with the TLS material of the agent client-node just created; renewed when that changes. */
  private keepAliveAgent(created: unknown): https.Agent | undefined {
    if (!(created instanceof https.Agent)) return undefined;
    const tls = created.options;
    const credentials = createHash('sha256')
      .update(
        JSON.stringify([
          tlsMaterial(tls.ca),
          tlsMaterial(tls.cert),
          tlsMaterial(tls.key),
          tlsMaterial(tls.pfx),
          tls.rejectUnauthorized ?? null,
          tls.servername ?? '',
        ]),
      )
      .digest('hex');
    if (this.agent?.credentials !== credentials) {
      this.agent = { credentials, agent: new https.Agent({ ...tls, keepAlive: true, maxSockets: 16 }) };
    }
    return this.agent.agent;
  }

  get serverUrl(): string {
    const cluster = this.config.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    return cluster.server;
  }

  async get<T>(path: string, query: Record<string, string> = {}, accept = 'application/json'): Promise<T> {
    return JSON.parse(await this.request('GET', path, query, undefined, undefined, accept)) as T;
  }

  /** GET of a non-JSON endpoint, e.g. /metrics. */
  async getText(path: string): Promise<string> {
    return this.request('GET', path, {}, undefined, undefined, 'text/plain');
  }

  /** GET that answers undefined for 404. */
  async getOptional<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error: unknown) {
      if (error instanceof ApiError && error.isNotFound) return undefined;
      throw error;
    }
  }

  /**
   * Lists a whole collection in pages, so a 150,000-pod cluster is not one giant response. The first
   * page asks for no resourceVersion: a consistent read, served from the apiserver's watch cache since
   * Kubernetes 1.31 (ConsistentListFromCache), and the continue tokens page that same snapshot.
   * `onPage` sees (and may replace) each page's items before they are kept.
   */
  async listAll<T>(path: string, pageSize = 500, accept = 'application/json', onPage?: (items: T[]) => void): Promise<ListResult<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const query: Record<string, string> = { limit: String(pageSize) };
      if (continueToken !== undefined) query.continue = continueToken;
      const page = await this.get<{ metadata?: { resourceVersion?: string; continue?: string }; items?: T[] }>(path, query, accept);
      const pageItems = page.items ?? [];
      onPage?.(pageItems);
      // One at a time: spreading a 500-item page into push's arguments is fine, but a server may send more.
      for (const item of pageItems) items.push(item);
      resourceVersion = page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue !== undefined && page.metadata.continue !== '' ? page.metadata.continue : undefined;
    } while (continueToken !== undefined);
    return { metadata: resourceVersion === undefined ? {} : { resourceVersion }, items };
  }

  async create<T>(path: string, body: unknown): Promise<T> {
    return JSON.parse(await this.request('POST', path, {}, body)) as T;
  }

  async replace<T>(path: string, body: unknown): Promise<T> {
    return JSON.parse(await this.request('PUT', path, {}, body)) as T;
  }

  /** DELETE; a 404 (already gone) is not an error. */
  async delete(path: string): Promise<void> {
    try {
      await this.request('DELETE', path, {});
    } catch (error: unknown) {
      if (!(error instanceof ApiError && error.isNotFound)) throw error;
    }
  }

  async mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return JSON.parse(await this.request('PATCH', path, {}, patch, MERGE_PATCH)) as T;
  }

  private async request(
    method: string,
    path: string,
    query: Record<string, string>,
    body?: unknown,
    contentType = 'application/json',
    accept = 'application/json',
  ): Promise<string> {
    const url = new URL(this.serverUrl + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const options: https.RequestOptions = { method, headers: { Accept: accept }, timeout: this.requestTimeoutMs };
    try {
      // Credentials are read per request (a token file rotates; an exec plugin may fail and recover): a failure here is transient.
      await this.config.applyToHTTPSOptions(options);
    } catch (error: unknown) {
      throw new ConnectionError(method, path, error);
    }
    options.agent = url.protocol === 'https:' ? this.keepAliveAgent(options.agent) : undefined;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      // applyToHTTPSOptions fills headers as an object (Authorization), never as a raw array.
      const headers = (options.headers ?? {}) as http.OutgoingHttpHeaders;
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(payload);
      options.headers = headers;
    }
    const verb = verbOf(method, path, url.searchParams);
    const resource = resourceOf(path);
    let response: { status: number; text: string };
    try {
      response = await send(url, options, payload);
    } catch (error: unknown) {
      this.observe(verb, resource, '<error>');
      throw new ConnectionError(method, path, error);
    }
    this.observe(verb, resource, String(response.status));
    if (response.status >= 200 && response.status < 300) return response.text;
    throw toApiError(response.status, response.text, method, path);
  }
}

function send(url: URL, options: https.RequestOptions, payload: string | undefined): Promise<{ status: number; text: string }> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`request timed out after ${String(options.timeout)} ms`)));
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

function toApiError(status: number, text: string, method: string, path: string): ApiError {
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string; details?: { causes?: { reason?: unknown }[] } };
    // StatusCause's type travels as `reason` in JSON.
    const causes = (parsed.details?.causes ?? []).flatMap((cause) => (typeof cause.reason === 'string' ? [cause.reason] : []));
    return new ApiError(status, parsed.reason ?? 'Unknown', parsed.message ?? text, method, path, causes);
  } catch {
    return new ApiError(status, 'Unknown', text.slice(0, 200), method, path);
  }
}
