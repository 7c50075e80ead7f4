import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { TLSSocket } from 'node:tls';
import { Counter, type Registry } from 'prom-client';
import { hostOf, isLoopbackHost } from '../config';
import { ApiError } from '../kube/errors';
import type { Logger } from '../logger';
import { mapPayload, payloadProblems, WebhookPayload, type MappingTable } from './mapping';
import { AlertRequests, type AlertRequestCache, type AlertRequestClient } from './requests';
import { BodyTimeout, BodyTooLarge, readBody } from '../http-body';

// The optional Alertmanager webhook receiver (--alert-receiver-bind-address): Alertmanager posts
// alert groups here and each firing alert it can map becomes a TriageRequest.

export const ALERTS_PATH = '/alerts';
/** A group of 1000 alerts with their labels is a few hundred KiB: 1 MiB is generous and still bounded. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const BODY_TIMEOUT_MS = 10_000;
/** Posts handled at once; more get 503 and Alertmanager retries. */
export const MAX_IN_FLIGHT = 4;
/** Alertmanager posts once per group per group_interval: 10 a second with bursts of 20 is far above that and still bounded. */
export const RATE_PER_SECOND = 10;
export const RATE_BURST = 20;
/** Refusals logged per second at most: an unauthenticated flood must not flood the log too. */
const REFUSAL_LOGS_PER_SECOND = 5;

/** A token bucket: `take()` is false when empty. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The receiver's metrics, registered in the operator's registry. */
export class AlertMetrics {
  readonly received: Counter<'status'>;
  readonly mapped: Counter;
  readonly ignored: Counter<'reason'>;
  readonly created: Counter;
  readonly removed: Counter;
  readonly refused: Counter<'code'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.received = new Counter({
      name: 'triage_alerts_received_total',
      help: 'Alerts received from Alertmanager, by status.',
      labelNames: ['status'],
      registers,
    });
    this.mapped = new Counter({ name: 'triage_alerts_mapped_total', help: 'Firing alerts mapped to a target and intent.', registers });
    this.ignored = new Counter({
      name: 'triage_alerts_ignored_total',
      help: 'Firing alerts without a request, by reason (UnknownAlert, MissingLabel, InvalidName; Refused: the apiserver refused the create).',
      labelNames: ['reason'],
      registers,
    });
    this.created = new Counter({ name: 'triage_alert_requests_created_total', help: 'TriageRequests created for alerts.', registers });
    this.removed = new Counter({ name: 'triage_alert_requests_removed_total', help: 'TriageRequests removed after their alert resolved.', registers });
    this.refused = new Counter({ name: 'triage_alert_posts_refused_total', help: 'Posts refused, by HTTP status.', labelNames: ['code'], registers });
  }
}

export interface AlertReceiverOptions {
  /** host:port, or a port alone (then 127.0.0.1). */
  readonly bindAddress: string;
  /** The bearer token Alertmanager must send; never logged. Without it, a client certificate is required (tls.clientCa). */
  readonly token?: string;
  /** Serve HTTPS with this certificate and key (PEM); with clientCa, every caller must present a certificate it signed. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
  readonly table: MappingTable;
  readonly client: AlertRequestClient;
  readonly cache: AlertRequestCache;
  /** Until the cache has synced, posts get 503 (Alertmanager retries): a resolved alert must find its request. */
  readonly ready: () => boolean;
  readonly clusterNamespace: string;
  readonly resolvedDelayMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly now?: () => Date;
  readonly maxBodyBytes?: number;
  readonly ratePerSecond?: number;
  readonly rateBurst?: number;
  /** How often the periodic sweep of resolved requests runs (default 60 s, or the delay when shorter). */
  readonly sweepIntervalMs?: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Why a caller's TLS client certificate is not accepted, or undefined when it is (or none is required). */
export function clientCertificateRefusal(request: http.IncomingMessage, required: boolean): string | undefined {
  if (!required) return undefined;
  const socket = request.socket;
  if (!(socket instanceof TLSSocket)) return 'unauthorized: a client certificate is required (HTTPS)';
  if (socket.authorized) return undefined;
  // No certificate at all leaves the peer certificate empty; a bad one comes with the verification error.
  const sent = Object.keys(socket.getPeerCertificate()).length > 0;
  // Node sets it to the verification error's code (a string), though typed as an Error.
  const error: unknown = socket.authorizationError;
  return `unauthorized: client certificate not accepted (${sent ? (error instanceof Error ? error.message : String(error)) : 'none sent'})`;
}

/** Whether `Authorization` carries the token, compared in constant time. */
export function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token));
}

/** Where to listen: a port alone means loopback. */
export function receiverListenAddress(bindAddress: string): { readonly host: string; readonly port: number } {
  const host = hostOf(bindAddress);
  return { host: host === '' ? '127.0.0.1' : host, port: Number(bindAddress.slice(bindAddress.lastIndexOf(':') + 1)) };
}

export interface AlertReceiver {
  readonly server: http.Server;
  readonly requests: AlertRequests;
  /** Stops the deletion timer and closes the server. */
  close(): Promise<void>;
}

/** Serves POST /alerts until closed; deletes resolved alerts' requests on a timer. */
export async function startAlertReceiver(options: AlertReceiverOptions): Promise<AlertReceiver> {
  const { logger } = options;
  const now = options.now ?? (() => new Date());
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const metrics = new AlertMetrics(options.registry);
  const rate = new TokenBucket(options.ratePerSecond ?? RATE_PER_SECOND, options.rateBurst ?? RATE_BURST);
  const refusalLogs = new TokenBucket(REFUSAL_LOGS_PER_SECOND, REFUSAL_LOGS_PER_SECOND);
  const requests = new AlertRequests({
    client: options.client,
    cache: options.cache,
    clusterNamespace: options.clusterNamespace,
    resolvedDelayMs: options.resolvedDelayMs,
    now,
    onCreated: () => {
      metrics.created.inc();
    },
    onRemoved: () => {
      metrics.removed.inc();
    },
  });
  let inFlight = 0;

  const answer = (response: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  const refuse = (request: http.IncomingMessage, response: http.ServerResponse, status: number, reason: string, headers: Record<string, string> = {}) => {
    metrics.refused.inc({ code: String(status) });
    // The reason is ours, never the request's headers: the token cannot reach the log.
    if (refusalLogs.take()) logger.warn('Alert post refused', { status, reason, remoteAddress: request.socket.remoteAddress ?? 'unknown' });
    answer(response, status, { error: reason }, headers);
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const declared = Number(request.headers['content-length'] ?? '0');
    let text: string;
    try {
      if (declared > maxBody) throw new BodyTooLarge();
      text = await readBody(request, maxBody, BODY_TIMEOUT_MS);
    } catch (error: unknown) {
      if (error instanceof BodyTooLarge) refuse(request, response, 413, `request body over ${maxBody} bytes`, { Connection: 'close' });
      else if (error instanceof BodyTimeout) refuse(request, response, 408, `request body not received within ${BODY_TIMEOUT_MS} ms`, { Connection: 'close' });
      else refuse(request, response, 400, 'request body could not be read');
      return;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      refuse(request, response, 400, 'the body is not JSON');
      return;
    }
    const parsed = WebhookPayload.safeParse(document);
    if (!parsed.success) {
      refuse(request, response, 400, `not an Alertmanager webhook payload: ${payloadProblems(parsed.error)}`);
      return;
    }
    const payload = parsed.data;
    for (const alert of payload.alerts) metrics.received.inc({ status: alert.status });
    const mapped = mapPayload(payload, options.table);
    for (const ignored of mapped.ignored) metrics.ignored.inc({ reason: ignored.reason });
    if (mapped.ignored.length > 0) logger.debug('Alerts ignored', { ignored: mapped.ignored.slice(0, 10).map((i) => i.detail) });
    let created = 0;
    let refused = 0;
    for (const alert of mapped.firing) {
      metrics.mapped.inc();
      try {
        if ((await requests.fire(alert)) === 'Created') {
          created++;
          logger.info('TriageRequest created for alert', { alertname: alert.alertname, fingerprint: alert.fingerprint, target: `${alert.kind}/${alert.name}` });
        }
      } catch (error: unknown) {
        // Refused for good (its namespace is gone, a quota, a policy): a retry would fail the same way, so the others go on.
        if (!(error instanceof ApiError) || error.isTransient) throw error;
        refused++;
        metrics.ignored.inc({ reason: 'Refused' });
        logger.warn('TriageRequest for alert refused by the apiserver', { alertname: alert.alertname, fingerprint: alert.fingerprint, error: error.message });
      }
    }
    const resolved = await requests.resolve(mapped.resolved);
    answer(response, 200, { created, firing: mapped.firing.length, refused, resolved, ignored: mapped.ignored.length });
  };

  if (options.token === undefined && options.tls?.clientCa === undefined) throw new Error('the alert receiver needs a bearer token or a client CA');
  const handler: http.RequestListener = (request, response) => {
    if ((request.url ?? '/').split('?')[0] !== ALERTS_PATH) {
      refuse(request, response, 404, `not found: the Alertmanager webhook endpoint is ${ALERTS_PATH}`);
      return;
    }
    if (request.method !== 'POST') {
      refuse(request, response, 405, 'method not allowed: POST only', { Allow: 'POST' });
      return;
    }
    const certificate = clientCertificateRefusal(request, options.tls?.clientCa !== undefined);
    if (certificate !== undefined) {
      refuse(request, response, 401, certificate);
      return;
    }
    if (options.token !== undefined && !authorized(request.headers.authorization, options.token)) {
      refuse(request, response, 401, 'unauthorized: send Authorization: Bearer <the receiver token>', { 'WWW-Authenticate': 'Bearer realm="triage-operator"' });
      return;
    }
    if (!rate.take()) {
      refuse(request, response, 429, 'too many posts: retry shortly', { 'Retry-After': '1' });
      return;
    }
    if (!options.ready() || inFlight >= MAX_IN_FLIGHT) {
      refuse(request, response, 503, options.ready() ? 'busy: retry shortly' : 'caches not synced yet: retry shortly', { 'Retry-After': '1' });
      return;
    }
    inFlight++;
    handle(request, response)
      .catch((error: unknown) => {
        // A failed apiserver call: 503 makes Alertmanager retry, and every step is idempotent.
        logger.error('Alert post failed', { error: error instanceof Error ? error.message : String(error) });
        if (!response.headersSent) answer(response, 503, { error: 'could not write to the cluster: retry' }, { 'Retry-After': '5' });
      })
      .finally(() => {
        inFlight--;
      });
  };
  const tls = options.tls;
  // With a client CA, the handshake asks for a certificate but lets a bad one through, so the refusal is a logged 401 rather than a silent reset.
  const server =
    tls === undefined
      ? http.createServer(handler)
      : https.createServer(
          { cert: tls.cert, key: tls.key, ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false }) },
          handler,
        );

  // Sockets and header reads are bounded too: a client that opens connections and sends nothing holds little and not for long.
  server.maxConnections = 64;
  server.headersTimeout = BODY_TIMEOUT_MS;
  server.requestTimeout = 2 * BODY_TIMEOUT_MS;

  // Pending deletions are checked every second; the sweep (restarts, a full map) less often.
  const sweepEvery = Math.max(1000, Math.min(options.sweepIntervalMs ?? 60_000, options.resolvedDelayMs));
  let lastSweep = 0;
  let ticking = false;
  const timer = setInterval(() => {
    if (ticking || !options.ready()) return;
    ticking = true;
    const sweep = Date.now() - lastSweep >= sweepEvery;
    if (sweep) lastSweep = Date.now();
    (sweep ? requests.deleteDue().then(() => requests.sweep()) : requests.deleteDue())
      .catch((error: unknown) => {
        logger.warn('Removing resolved alert requests failed; retrying', { error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        ticking = false;
      });
  }, 1000);
  timer.unref();
  // The operator closes the server alone (closeServer): the timer goes with it.
  server.once('close', () => {
    clearInterval(timer);
  });

  const { host, port } = receiverListenAddress(options.bindAddress);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  logger.info('Serving the Alertmanager receiver', { address: `${host}:${port}`, path: ALERTS_PATH });
  if (!isLoopbackHost(host))
    logger.warn('Alert receiver on a non-loopback address: its bearer token crosses the network in clear text unless TLS is in front', { host });
  return {
    server,
    requests,
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}
