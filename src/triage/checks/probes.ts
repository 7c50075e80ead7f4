import type { EventRecord } from '../objects';
import { REDACTED } from '../redact';
import { escapeName, type ContainerPod, type ContainerSpec, type ContainerView, type Terminated } from './containers';

// How the kubelet's liveness and startup probes show on a pod: the probe in the spec (quoted without
// header values), and the Killing/Unhealthy Events the kubelet records when a probe fails.

/** What a probe checks and how patiently, e.g. "HTTP GET :8080/healthz, timeout 1s, period 10s, failureThreshold 3". */
export function probeSummary(probe: unknown): string {
  if (typeof probe !== 'object' || probe === null) return '';
  const p = probe as {
    httpGet?: { path?: string; port?: number | string };
    tcpSocket?: { port?: number | string };
    grpc?: { port?: number };
    exec?: unknown;
    timeoutSeconds?: number;
    periodSeconds?: number;
    failureThreshold?: number;
  };
  // An exec probe's command is not quoted: it may carry credentials on its command line.
  const what =
    p.httpGet !== undefined
      ? `HTTP GET :${String(p.httpGet.port ?? '')}${p.httpGet.path ?? '/'}`
      : p.tcpSocket !== undefined
        ? `TCP :${String(p.tcpSocket.port ?? '')}`
        : p.grpc !== undefined
          ? `gRPC :${String(p.grpc.port ?? '')}`
          : 'exec';
  return `${what}, timeout ${p.timeoutSeconds ?? 1}s, period ${p.periodSeconds ?? 10}s, failureThreshold ${p.failureThreshold ?? 3}`;
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A probe with its HTTP header values replaced: a header value is free text (a token, a key) whatever the header's name. */
function withoutHeaderValues(probe: unknown): unknown {
  if (!isRecord(probe) || !isRecord(probe.httpGet) || !Array.isArray(probe.httpGet.httpHeaders)) return probe;
  const headers: readonly unknown[] = probe.httpGet.httpHeaders;
  return { ...probe, httpGet: { ...probe.httpGet, httpHeaders: headers.map((h) => (isRecord(h) && h.value !== undefined ? { ...h, value: REDACTED } : h)) } };
}

/** The pod as a probe anchor may quote it: same identity and paths, header values hidden. */
export function quotablePod(pod: ContainerPod): ContainerPod {
  const hide = (specs: readonly ContainerSpec[] | undefined) =>
    specs?.map((spec) => ({ ...spec, ...Object.fromEntries(PROBES.filter((p) => spec[p] !== undefined).map((p) => [p, withoutHeaderValues(spec[p])])) }));
  if (pod.spec === undefined) return pod;
  const containers = hide(pod.spec.containers);
  const initContainers = hide(pod.spec.initContainers);
  return { ...pod, spec: { ...pod.spec, ...(containers === undefined ? {} : { containers }), ...(initContainers === undefined ? {} : { initContainers }) } };
}

/** The kubelet's Events about probe kills of one container, and which probe killed it. */
export interface ProbeKills {
  readonly killing?: EventRecord;
  readonly unhealthy?: EventRecord;
  readonly probe: 'liveness' | 'startup';
}

/**
 * Liveness/startup probe kills of this container, from the kubelet's Killing and Unhealthy Events. A
 * startup-probe kill restarts the container the same way: it is reported as LivenessProbeFailing, and
 * the message names the probe.
 */
export function probeKills(pod: ContainerPod, events: readonly EventRecord[], view: ContainerView): ProbeKills | undefined {
  const killing = events.find(
    (e) => e.reason === 'Killing' && new RegExp(`^(?:Init container|Container) ${escapeName(view.name)} failed (liveness|startup) probe`).test(e.message),
  );
  // An Unhealthy Event's text does not name the container; the kubelet's fieldPath (spec.containers{web}) does.
  // Without one, it is this container's only when no other container has such a probe.
  const probed = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const ownField = `spec.${view.init ? 'initContainers' : 'containers'}{${view.name}}`;
  const isMine = (e: EventRecord, probe: 'livenessProbe' | 'startupProbe') =>
    e.fieldPath !== undefined && e.fieldPath !== ''
      ? e.fieldPath === ownField
      : probed.filter((s) => s[probe] !== undefined).length === 1 && view.spec?.[probe] !== undefined;
  const startupKill = killing !== undefined && /failed startup probe/.test(killing.message);
  const unhealthy = events.find(
    (e) =>
      e.reason === 'Unhealthy' &&
      ((!startupKill && e.message.startsWith('Liveness probe failed') && isMine(e, 'livenessProbe')) ||
        (e.message.startsWith('Startup probe failed') && isMine(e, 'startupProbe'))),
  );
  if (killing === undefined && unhealthy === undefined) return undefined;
  const probe = startupKill || (killing === undefined && unhealthy?.message.startsWith('Startup') === true) ? 'startup' : 'liveness';
  return { ...(killing === undefined ? {} : { killing }), ...(unhealthy === undefined ? {} : { unhealthy }), probe };
}

/** Whether the probe kill ended this termination: Killing seen while it ran, or a signal-shaped exit. */
export function killedByProbe(kills: ProbeKills, terminated: Terminated | undefined): boolean {
  if (terminated === undefined) return true;
  const code = terminated.exitCode ?? 0;
  const started = Date.parse(terminated.startedAt ?? '');
  const finished = Date.parse(terminated.finishedAt ?? '');
  const killed = Date.parse(kills.killing?.lastSeen ?? '');
  if (!Number.isNaN(started) && !Number.isNaN(finished) && !Number.isNaN(killed)) {
    // A kill while this run lasted ended it; one before it started ended an earlier run.
    if (killed >= started - 1000 && killed <= finished + 1000) return true;
    if (killed < started - 1000) return false;
  }
  // The kubelet sends SIGTERM, then SIGKILL after the grace period: 143, 137, or 0 from a clean shutdown.
  return code === 0 || code === 137 || code === 143;
}
