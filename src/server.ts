import http from 'node:http';
import type { Metrics } from './metrics';

export interface Probes {
  /** Liveness: the process works (and, when leading, still renews its lease). */
  healthy(): boolean;
  /** Readiness: every informer cache has synced once, and the one holding the requests is in sync now. */
  ready(): boolean;
  /** One line per cache (state, objects, listed so far), shown when not ready or asked for with ?verbose. */
  readiness?(): readonly string[];
}

function parseBindAddress(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return { host: host === '' ? undefined : host, port: Number(address.slice(colon + 1)) };
}

function listen(server: http.Server, address: string): Promise<http.Server> {
  const { host, port } = parseBindAddress(address);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function answer(response: http.ServerResponse, ok: boolean, what: string): void {
  response.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
  response.end(ok ? 'ok\n' : `${what} failed\n`);
}

/** Like kube-apiserver's /readyz?verbose: the per-cache lines say what a slow start is still waiting for. */
function answerReady(response: http.ServerResponse, probes: Probes, verbose: boolean): void {
  const ready = probes.ready();
  const lines = !ready || verbose ? (probes.readiness?.() ?? []) : [];
  response.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' });
  response.end([...lines, ready ? 'ok' : 'readyz: caches not synced; failed'].join('\n') + '\n');
}

/** /healthz and /readyz on the probe address, as kubebuilder scaffolds do. */
export function startProbeServer(address: string, probes: Probes): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') answer(response, probes.healthy(), 'healthz');
    else if (path === '/readyz') answerReady(response, probes, new URLSearchParams((request.url ?? '').split('?')[1] ?? '').has('verbose'));
    else {
      response.writeHead(404);
      response.end();
    }
  });
  return listen(server, address);
}

/** Prometheus metrics on their own address. */
export function startMetricsServer(address: string, metrics: Metrics): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    if ((request.url ?? '/').split('?')[0] !== '/metrics') {
      response.writeHead(404);
      response.end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        response.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500);
        response.end(String(error));
      },
    );
  });
  return listen(server, address);
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}
