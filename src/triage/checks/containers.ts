import type { Code } from '../catalogue';
import type { NextAction, ObjectRef, Severity } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import type { Container, EventRecord, Pod } from '../objects';
import { parseQuantity } from '../quantity';
import { REDACTED, excerpt } from '../redact';
import { INDEX, ownerIndexValue, type KubeObject } from '../snapshot';
import type { Check } from './check';
import { crashedRecently, crashWindowLeft, podSettled, RECENT_CRASH_SECONDS } from './workload';

// Container-level checks, reading pod status the way a kubelet writes it (containerStatuses with
// state/lastState, restartCount, waiting reasons, termination exit codes and messages) and the
// kubelet's Events about the pod (BackOff, Failed, Unhealthy, Killing, FailedMount, ...).
// The operator caches no ConfigMaps or Secrets: what is missing is the kubelet's word, quoted as such.

const KIND = 'Pod';

// --- the kubelet's view of containers (raw apiserver JSON, every field optional) -------------------

interface Terminated {
  readonly exitCode?: number;
  readonly signal?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: Terminated;
}

interface ContainerStatus {
  readonly name: string;
  readonly image?: string;
  readonly ready?: boolean;
  readonly restartCount?: number;
  readonly state?: ContainerState;
  readonly lastState?: ContainerState;
}

interface KeyRef {
  readonly name?: string;
  readonly key?: string;
  readonly optional?: boolean;
}

interface ContainerSpec extends Container {
  readonly command?: readonly string[];
  readonly imagePullPolicy?: string;
  /** `Always` on an init container makes it a sidecar: it keeps running beside the app. */
  readonly restartPolicy?: string;
  readonly livenessProbe?: unknown;
  readonly readinessProbe?: unknown;
  readonly startupProbe?: unknown;
  readonly env?: readonly { readonly name: string; readonly valueFrom?: { readonly configMapKeyRef?: KeyRef; readonly secretKeyRef?: KeyRef } }[];
  readonly envFrom?: readonly { readonly configMapRef?: KeyRef; readonly secretRef?: KeyRef }[];
}

type ContainerPod = Pod & {
  readonly spec?: {
    readonly containers?: readonly ContainerSpec[];
    readonly initContainers?: readonly ContainerSpec[];
    readonly imagePullSecrets?: readonly { readonly name?: string }[];
    readonly restartPolicy?: string;
    readonly volumes?: readonly { readonly name: string; readonly configMap?: KeyRef; readonly secret?: { readonly secretName?: string } }[];
  };
  readonly status?: {
    /** Set when the pod failed as a whole (Evicted, NodeLost, ...): not a container's fault. */
    readonly reason?: string;
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
  };
};

/** One container as both spec and kubelet status see it, with the field paths anchors use. */
interface ContainerView {
  readonly name: string;
  readonly init: boolean;
  readonly spec: ContainerSpec | undefined;
  readonly status: ContainerStatus;
  /** e.g. `status.containerStatuses[name=app]` */
  readonly statusPath: string;
  /** e.g. `spec.containers[name=app]` */
  readonly specPath: string;
}

function containersOf(pod: ContainerPod): ContainerView[] {
  const views = (init: boolean): ContainerView[] => {
    const statuses = (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? [];
    const specs = (init ? pod.spec?.initContainers : pod.spec?.containers) ?? [];
    const list = init ? 'initContainerStatuses' : 'containerStatuses';
    const specList = init ? 'initContainers' : 'containers';
    return statuses.map((status) => ({
      name: status.name,
      init,
      spec: specs.find((s) => s.name === status.name),
      status,
      statusPath: `status.${list}[name=${status.name}]`,
      specPath: `spec.${specList}[name=${status.name}]`,
    }));
  };
  // The kubelet runs init containers first: their faults come first.
  return [...views(true), ...views(false)];
}

/**
 * Whether the container checks have anything to say about the pod: it is bound to a node (a pod
 * without one is pod.scheduling's), not Ready, not finished, and did not fail as a whole (evicted).
 */
function inScope(inv: Investigation, pod: ContainerPod): boolean {
  if ((pod.spec?.nodeName ?? '') === '' || podSettled(pod, (t) => inv.ageSeconds(t))) return false;
  return !(pod.status?.phase === 'Failed' && (pod.status.reason ?? '') !== '');
}

// --- shared helpers ------------------------------------------------------------------------------

/** Waiting reasons of a container whose image is not there (CRI-O adds RegistryUnavailable and SignatureValidationFailed). */
const PULL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable', 'SignatureValidationFailed']);
/** Waiting reasons where the runtime could not create or start the container process. */
const START_WAITING = new Set(['CreateContainerError', 'RunContainerError', 'StartError', 'PreCreateHookError', 'PreStartHookError', 'PostStartHookError']);
/** Termination reasons where the process never ran (the runtime failed to start it). */
const START_TERMINATED = new Set(['StartError', 'ContainerCannotRun']);
const MESSAGE_EXCERPT = 120;
/** Room for the last line or two of a log quoted from a termination message. */
const LAST_WORDS = 180;

const SIGNALS: Readonly<Record<number, string>> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM',
};

/** "exit code 139 (SIGSEGV)": codes above 128 are 128 + the signal that ended the process. */
export function exitCodeText(code: number): string {
  const signal = code > 128 ? SIGNALS[code - 128] : undefined;
  return `exit code ${code}${signal === undefined ? '' : ` (${signal})`}`;
}

function restarts(view: ContainerView): string {
  const count = view.status.restartCount ?? 0;
  // A first failure is caught before the kubelet restarted it (terminated, or a Job pod that never restarts).
  return count === 0 ? 'not restarted yet' : count === 1 ? 'restarted once' : `restarted ${count} times`;
}

/** A short one-line quote of kubelet or runtime text, placed last in a message (it may hold quotes of its own). */
function quote(text: string, max = MESSAGE_EXCERPT): string {
  return excerpt(text, max);
}

const TIMESTAMP = /^\[?\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\]?\s*/;
const TELLING = /\b(?:panic|fatal|error|exception|caused by|failed|failure|refused|denied|not found|cannot|unable)\b/i;
const STACK_FRAME = /^(?:at |File "|goroutine |\t|\.\.\. \d+ more|\/)/;

/**
 * The telling part of a termination message (often the tail of the log): the last line or two that
 * name an error, leading timestamps dropped; stack frames are skipped. The anchor keeps the whole text.
 */
export function lastWords(message: string): string {
  const lines = message.split(/\r?\n/).map((l) => l.replace(TIMESTAMP, '').trim()).filter((l) => l !== '' && !STACK_FRAME.test(l));
  const telling = lines.filter((l) => TELLING.test(l));
  const last = telling[telling.length - 1] ?? lines[lines.length - 1] ?? '';
  const before = telling[telling.length - 2];
  const words = before !== undefined && before.length + last.length <= LAST_WORDS ? `${before}; ${last}` : last;
  return excerpt(words, LAST_WORDS);
}

/** What a probe checks and how patiently, e.g. "HTTP GET :8080/healthz, timeout 1s, period 10s, failureThreshold 3". */
function probeSummary(probe: unknown): string {
  if (typeof probe !== 'object' || probe === null) return '';
  const p = probe as {
    httpGet?: { path?: string; port?: number | string }; tcpSocket?: { port?: number | string }; grpc?: { port?: number }; exec?: unknown;
    timeoutSeconds?: number; periodSeconds?: number; failureThreshold?: number;
  };
  // An exec probe's command is not quoted: it may carry credentials on its command line.
  const what = p.httpGet !== undefined
    ? `HTTP GET :${String(p.httpGet.port ?? '')}${p.httpGet.path ?? '/'}`
    : p.tcpSocket !== undefined ? `TCP :${String(p.tcpSocket.port ?? '')}` : p.grpc !== undefined ? `gRPC :${String(p.grpc.port ?? '')}` : 'exec';
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
function quotablePod(pod: ContainerPod): ContainerPod {
  const hide = (specs: readonly ContainerSpec[] | undefined) =>
    specs?.map((spec) => ({ ...spec, ...Object.fromEntries(PROBES.filter((p) => spec[p] !== undefined).map((p) => [p, withoutHeaderValues(spec[p])])) }));
  if (pod.spec === undefined) return pod;
  const containers = hide(pod.spec.containers);
  const initContainers = hide(pod.spec.initContainers);
  return { ...pod, spec: { ...pod.spec, ...(containers === undefined ? {} : { containers }), ...(initContainers === undefined ? {} : { initContainers }) } };
}

function who(view: ContainerView, ref: ObjectRef): string {
  return `${view.init ? 'Init container' : 'Container'} ${view.name} of Pod ${ref.namespace ?? ''}/${ref.name}`;
}

/** Events whose text names this container (kubelet messages say `container app` or `container=app`). */
function namesContainer(event: EventRecord, name: string): boolean {
  return new RegExp(`container[= ]"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?(?:\\s|$|,)`).test(event.message);
}

/** The newest Event matching `test` that is about this container: named in it, or the pod's only candidate. */
function eventFor(events: readonly EventRecord[], view: ContainerView, only: boolean, test: (e: EventRecord) => boolean): EventRecord | undefined {
  const matching = events.filter(test);
  return matching.find((e) => namesContainer(e, view.name)) ?? (only ? matching[0] : undefined);
}

interface Owner {
  /** `deployment`, `statefulset` or `daemonset`, as kubectl spells the resource. */
  readonly resource: string;
  readonly kind: string;
  readonly name: string;
  /** For a Deployment: the previous revision to roll back to, when the pod runs the newest one and an older ReplicaSet is kept. */
  readonly previous?: { readonly revision: number; readonly replicaSet: string };
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The workload that owns the pod, resolved through the cache (Pod → ReplicaSet → Deployment, or a StatefulSet/DaemonSet). */
function ownerOf(inv: Investigation, pod: ContainerPod): Owner | undefined {
  const namespace = pod.metadata?.namespace;
  const controller = (object: KubeObject) => (object.metadata?.ownerReferences ?? []).find((o) => o.controller === true);
  const podOwner = controller(pod);
  if (podOwner === undefined) return undefined;
  if (podOwner.kind === 'StatefulSet' || podOwner.kind === 'DaemonSet') {
    const found = inv.get(podOwner.kind, 'pod.owner', podOwner.name, namespace);
    return found.state === 'Found' ? { resource: podOwner.kind.toLowerCase(), kind: podOwner.kind, name: podOwner.name } : undefined;
  }
  if (podOwner.kind !== 'ReplicaSet') return undefined;
  const replicaSet = inv.get('ReplicaSet', 'pod.owner', podOwner.name, namespace);
  if (replicaSet.state !== 'Found') return undefined;
  const rsOwner = controller(replicaSet.object);
  if (rsOwner?.kind !== 'Deployment') return undefined;
  const deployment = inv.get('Deployment', 'pod.owner', rsOwner.name, namespace);
  if (deployment.state !== 'Found') return undefined;
  const revisionOf = (rs: KubeObject) => Number(rs.metadata?.annotations?.[REVISION] ?? 'NaN');
  const current = revisionOf(replicaSet.object);
  const siblings = inv.byIndex('ReplicaSet', 'pod.owner', INDEX.owner, ownerIndexValue(deployment.object)) ?? [];
  const newest = Math.max(current, ...siblings.map(revisionOf).filter((r) => !Number.isNaN(r)));
  const older = siblings
    .filter((rs) => revisionOf(rs) < current)
    .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  const previous = !Number.isNaN(current) && current === newest && older !== undefined ? { revision: revisionOf(older), replicaSet: older.metadata?.name ?? '' } : undefined;
  return { resource: 'deployment', kind: 'Deployment', name: rsOwner.name, ...(previous === undefined ? {} : { previous }) };
}

function rollbackAction(owner: Owner | undefined, namespace: string, what: string): NextAction[] {
  if (owner?.previous === undefined) return [];
  return [{
    description: `Roll Deployment ${namespace}/${owner.name} back to revision ${owner.previous.revision} (ReplicaSet ${owner.previous.replicaSet}) if ${what} came with the latest rollout: replaces the whole pod template (image, command, env, resources) with that revision's and rolls every pod`,
    command: `kubectl rollout undo deployment/${owner.name} -n ${namespace}`,
    safety: 'Mutating',
  }];
}

/** Twice a memory quantity, as a quantity kubectl accepts (whole Mi, or Gi when exact). */
export function doubledMemory(limit: string): string | undefined {
  const bytes = parseQuantity(limit);
  if (bytes === undefined || bytes <= 0) return undefined;
  const mebibytes = Math.ceil((2 * bytes) / 2 ** 20);
  return mebibytes % 1024 === 0 ? `${mebibytes / 1024}Gi` : `${mebibytes}Mi`;
}

// --- crashloop -----------------------------------------------------------------------------------

/** A process the runtime could not execute: the command, and why, from a runtime or shell message. */
export function parseExecFailure(text: string): { command?: string; why: 'missing' | 'not-executable' } | undefined {
  const why = (t: string): 'missing' | 'not-executable' => (/permission denied/i.test(t) ? 'not-executable' : 'missing');
  const patterns: readonly RegExp[] = [
    // runc/containerd: exec: "foo": executable file not found in $PATH; exec: "/app/run": permission denied
    /exec: "([^"]+)": (?:executable file not found|stat [^:]*: no such file or directory|permission denied)/i,
    // crun / CRI-O: executable file `foo` not found in $PATH
    /executable file [`'"]([^`'"]+)[`'"] not found/i,
    // runc: exec /docker-entrypoint.sh: no such file or directory (the file or its #! interpreter)
    /exec ([^\s:"]+): (?:no such file or directory|permission denied)/i,
    // a shell's own words when the termination message falls back to the log
    /(?:^|\s)(?:\/bin\/)?(?:ba|da|z)?sh: (?:line \d+: |\d+: )?([^\s:]+): (?:command )?not found/i,
    /(?:^|\s)(?:\/bin\/)?(?:ba|da|z)?sh: (?:line \d+: |\d+: )?([^\s:]+): Permission denied/i,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match !== null) return { command: match[1], why: why(match[0]) };
  }
  if (/executable file not found/i.test(text)) return { why: 'missing' };
  return undefined;
}

/** Which ConfigMap, Secret or key a kubelet CreateContainerConfigError / FailedMount message names. */
export function parseConfigMissing(text: string): { kind: 'ConfigMap' | 'Secret'; name: string; key?: string } | undefined {
  const key = /couldn't find key (\S+) in (ConfigMap|Secret) (?:[^/\s]+\/)?([^\s,;]+)/i.exec(text);
  if (key !== null) return { kind: key[2]?.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: key[3] ?? '', key: key[1] ?? '' };
  const object = /\b(configmaps?|secrets?) "([^"]+)" not found/i.exec(text);
  if (object !== null) return { kind: object[1]?.toLowerCase().startsWith('secret') === true ? 'Secret' : 'ConfigMap', name: object[2] ?? '' };
  return undefined;
}

/**
 * A volume's `items` naming a key its ConfigMap/Secret lacks: the kubelet's volume plugins say only
 * "configmap references non-existent config key: K" (or "secret ... secret key: K"); the object is the volume's.
 */
export function parseMissingVolumeKey(
  text: string,
  volume: { readonly name?: string; readonly configMap?: KeyRef; readonly secret?: { readonly secretName?: string } } | undefined,
): { kind: 'ConfigMap' | 'Secret'; name: string; key: string } | undefined {
  const match = /\b(configmap|secret) references non-existent (?:config|secret) key: (\S+)/i.exec(text);
  if (match === null) return undefined;
  const kind = match[1]?.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
  const name = (kind === 'Secret' ? volume?.secret?.secretName : volume?.configMap?.name) ?? '?';
  return { kind, name, key: match[2] ?? '' };
}

interface ContainerFinding {
  readonly code: Code;
  readonly severity: Severity;
  readonly confidence: number;
  readonly message: string;
  readonly anchors: readonly string[];
  readonly nextActions: readonly NextAction[];
  /** Whether it can explain the pod (a root-cause candidate) or is context beside it. */
  readonly cause: boolean;
  /** Seconds until the finding may no longer hold (a recent crash leaving its window): re-check then. */
  readonly recheckAfterSeconds?: number;
}

interface CrashContext {
  readonly inv: Investigation;
  readonly pod: ContainerPod;
  readonly ref: ObjectRef;
  readonly events: readonly EventRecord[];
  /** The container is the pod's only one in trouble: unnamed Events are about it. */
  readonly only: boolean;
  readonly owner: () => Owner | undefined;
}

/** The termination that explains the container's state: the current one, else the last before a restart. */
function lastTermination(view: ContainerView): { terminated: Terminated; path: string } | undefined {
  if (view.status.state?.terminated !== undefined) return { terminated: view.status.state.terminated, path: `${view.statusPath}.state.terminated` };
  if (view.status.lastState?.terminated !== undefined) return { terminated: view.status.lastState.terminated, path: `${view.statusPath}.lastState.terminated` };
  return undefined;
}

/** Whether the container is failing now (not just restarted once long ago): the trigger for a crashloop diagnosis. */
function troubled(inv: Investigation, view: ContainerView, pod: ContainerPod): boolean {
  const { state } = view.status;
  const waiting = state?.waiting?.reason ?? '';
  if (waiting === 'CrashLoopBackOff' || waiting === 'CreateContainerConfigError' || START_WAITING.has(waiting)) return true;
  const terminated = state?.terminated;
  if (terminated !== undefined) {
    // A finished init container (exit 0) is how init containers are meant to end.
    if ((terminated.exitCode ?? 0) !== 0 || terminated.reason === 'OOMKilled') return true;
    return !view.init && (pod.spec?.restartPolicy ?? 'Always') === 'Always' && (view.status.restartCount ?? 0) > 0;
  }
  if (state?.running !== undefined && (view.status.restartCount ?? 0) > 0) {
    // Caught between crashes: running again, and the last termination is recent (any end while not
    // ready; an abnormal one even when Ready, which a crash-looping container often is between crashes).
    if (crashedRecently(view.status, (t) => inv.ageSeconds(t))) return true;
    const age = inv.ageSeconds(view.status.lastState?.terminated?.finishedAt);
    return view.status.ready !== true && age !== undefined && age < RECENT_CRASH_SECONDS;
  }
  return false;
}

function describeAction(ref: ObjectRef): NextAction {
  return { description: 'Show the pod, its container states and recent events', command: `kubectl describe pod ${ref.name} -n ${ref.namespace ?? ''}`, safety: 'ReadOnly' };
}

function logsAction(view: ContainerView, ref: ObjectRef): NextAction {
  // A container still in its terminated state has no newer instance: its own logs are the last run's.
  const previous = view.status.state?.terminated === undefined;
  return {
    description: `Read container ${view.name}'s log${previous ? ' from before its last restart' : ''}`,
    command: `kubectl logs ${ref.name} -c ${view.name}${previous ? ' --previous' : ''} -n ${ref.namespace ?? ''}`,
    safety: 'ReadOnly',
  };
}

/**
 * Liveness/startup probe kills of this container, from the kubelet's Killing and Unhealthy Events. A
 * startup-probe kill restarts the container the same way: it is reported as LivenessProbeFailing, and
 * the message names the probe.
 */
function probeKills(c: CrashContext, view: ContainerView): { killing?: EventRecord; unhealthy?: EventRecord; probe: 'liveness' | 'startup' } | undefined {
  const killing = c.events.find((e) => e.reason === 'Killing' && new RegExp(`^(?:Init container|Container) ${view.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed (liveness|startup) probe`).test(e.message));
  // An Unhealthy Event's text does not name the container; the kubelet's fieldPath (spec.containers{web}) does.
  // Without one, it is this container's only when no other container has such a probe.
  const probed = [...(c.pod.spec?.containers ?? []), ...(c.pod.spec?.initContainers ?? [])];
  const ownField = `spec.${view.init ? 'initContainers' : 'containers'}{${view.name}}`;
  const isMine = (e: EventRecord, probe: 'livenessProbe' | 'startupProbe') =>
    e.fieldPath !== undefined && e.fieldPath !== '' ? e.fieldPath === ownField : probed.filter((s) => s[probe] !== undefined).length === 1 && view.spec?.[probe] !== undefined;
  const startupKill = killing !== undefined && /failed startup probe/.test(killing.message);
  const unhealthy = c.events.find(
    (e) =>
      e.reason === 'Unhealthy' &&
      ((!startupKill && e.message.startsWith('Liveness probe failed') && isMine(e, 'livenessProbe')) || (e.message.startsWith('Startup probe failed') && isMine(e, 'startupProbe'))),
  );
  if (killing === undefined && unhealthy === undefined) return undefined;
  const probe = startupKill || (killing === undefined && unhealthy?.message.startsWith('Startup') === true) ? 'startup' : 'liveness';
  return { ...(killing === undefined ? {} : { killing }), ...(unhealthy === undefined ? {} : { unhealthy }), probe };
}

/** Whether the probe kill ended this termination: Killing seen while it ran, or a signal-shaped exit. */
function killedByProbe(kills: { killing?: EventRecord; unhealthy?: EventRecord }, terminated: Terminated | undefined): boolean {
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

function diagnoseCrash(c: CrashContext, view: ContainerView): ContainerFinding[] {
  const { inv, pod, ref } = c;
  const ns = ref.namespace ?? '';
  const describe = describeAction(ref);
  const logs = logsAction(view, ref);
  const waiting = view.status.state?.waiting;
  const waitingReason = waiting?.reason ?? '';
  const waitingMessage = waiting?.message ?? '';
  // A Failed Event quoting this container's own error text is about it (or about a twin with the same fault).
  const failedEvent = (text: string) => eventFor(c.events, view, true, (e) => e.reason === 'Failed' && text !== '' && e.message.includes(text));
  const eventAnchors = (event: EventRecord | undefined) => (event === undefined ? [] : [inv.anchorEvent(event)]);

  if (waitingReason === 'CreateContainerConfigError') {
    const missing = parseConfigMissing(waitingMessage);
    const anchors = [inv.anchorField(KIND, pod, `${view.statusPath}.state.waiting.message`), ...eventAnchors(failedEvent(waitingMessage))];
    if (missing === undefined) {
      return [{
        code: 'ContainerCreateFailed', severity: 'Critical', confidence: 0.8, cause: true,
        message: `${who(view, ref)} cannot be created (CreateContainerConfigError): ${quote(waitingMessage)}`,
        anchors, nextActions: [describe],
      }];
    }
    const kindWord = missing.kind === 'Secret' ? 'secret' : 'configmap';
    const refField = missing.kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef';
    const fromField = missing.kind === 'Secret' ? 'secretRef' : 'configMapRef';
    // The reference in the spec that needs it: an env entry's key ref (its name, never a value) or an envFrom entry.
    const envEntry = view.spec?.env?.find((e) => e.valueFrom?.[refField]?.name === missing.name && (missing.key === undefined || e.valueFrom[refField].key === missing.key));
    const envFromIndex = view.spec?.envFrom?.findIndex((e) => e[fromField]?.name === missing.name) ?? -1;
    const specAnchor = envEntry !== undefined
      ? [inv.anchorField(KIND, pod, `${view.specPath}.env[name=${envEntry.name}].valueFrom.${refField}`)]
      : envFromIndex >= 0 ? [inv.anchorField(KIND, pod, `${view.specPath}.envFrom[${envFromIndex}].${fromField}`)] : [];
    const usedBy = envEntry === undefined ? '' : ` (env ${envEntry.name})`;
    const listKeys = `kubectl get ${kindWord} ${missing.name} -n ${ns} -o go-template='{{range $k, $v := .data}}{{println $k}}{{end}}'`;
    return [{
      code: 'ConfigMissing', severity: 'Critical', confidence: 1, cause: true,
      message: missing.key === undefined
        ? `${who(view, ref)} cannot start: the kubelet reports ${missing.kind} "${missing.name}" not found${usedBy}`
        : `${who(view, ref)} cannot start: the kubelet reports ${missing.kind} ${ns}/${missing.name} has no key ${missing.key}${usedBy}`,
      anchors: [...anchors, ...specAnchor],
      nextActions: [
        missing.key === undefined
          ? { description: `Check whether ${missing.kind} ${missing.name} exists in ${ns} (create it, or fix the name the pod refers to)`, command: `kubectl get ${kindWord} ${missing.name} -n ${ns}`, safety: 'ReadOnly' }
          : { description: `List the keys of ${missing.kind} ${missing.name} (names only, no values)`, command: listKeys, safety: 'ReadOnly' },
        describe,
      ],
    }];
  }

  const termination = lastTermination(view);
  const terminated = termination?.terminated;
  const startText = START_WAITING.has(waitingReason) ? waitingMessage : START_TERMINATED.has(terminated?.reason ?? '') ? (terminated?.message ?? '') : '';
  const exitCode = terminated?.exitCode;
  // A log tail may mention a missing tool in passing: the shell's words count only when it exited 126/127.
  const exec = parseExecFailure(startText !== '' ? startText : exitCode === 127 || exitCode === 126 ? (terminated?.message ?? '') : '');
  const commandAnchor = () => (view.spec?.command === undefined ? [] : [inv.anchorField(KIND, pod, `${view.specPath}.command`)]);

  if (terminated?.reason === 'OOMKilled') {
    const limit = view.spec?.resources?.limits?.memory;
    const owner = c.owner();
    const doubled = limit === undefined ? undefined : doubledMemory(limit);
    const raise: NextAction[] =
      owner === undefined || doubled === undefined || limit === undefined || view.init
        ? []
        : [{
            description: `Raise container ${view.name}'s memory limit in ${owner.kind} ${ns}/${owner.name} from ${limit} to ${doubled}: changes the pod template, so every pod is replaced by a rolling update (check node capacity and any LimitRange first)`,
            command: `kubectl set resources ${owner.resource}/${owner.name} -n ${ns} -c ${view.name} --limits=memory=${doubled}`,
            safety: 'Mutating',
          }];
    return [{
      code: 'OOMKilled', severity: 'Critical', confidence: 0.95, cause: true,
      message: limit === undefined
        ? `${who(view, ref)} was OOMKilled although it sets no memory limit: the node ran out of memory; ${restarts(view)}`
        : `${who(view, ref)} was OOMKilled: its memory use reached its limit of ${limit}; ${restarts(view)}`,
      anchors: [
        inv.anchorField(KIND, pod, `${termination?.path ?? ''}.reason`),
        ...(limit === undefined ? [] : [inv.anchorField(KIND, pod, `${view.specPath}.resources.limits.memory`)]),
        ...eventAnchors(eventFor(c.events, view, c.only, (e) => e.reason === 'BackOff' && e.message.startsWith('Back-off restarting'))),
      ],
      nextActions: [logs, describe, ...raise],
    }];
  }

  const kills = probeKills(c, view);
  if (kills !== undefined && killedByProbe(kills, terminated) && (terminated !== undefined || (view.status.restartCount ?? 0) > 0)) {
    const probeField = kills.probe === 'startup' ? 'startupProbe' : 'livenessProbe';
    const failure = kills.unhealthy?.message.replace(/^(Liveness|Startup) probe failed:\s*/, '');
    const probe = probeSummary(view.spec?.[probeField]);
    return [{
      code: 'LivenessProbeFailing', severity: 'Critical', confidence: kills.killing === undefined ? 0.75 : 0.9, cause: true,
      message: `${who(view, ref)} is killed and restarted by the kubelet because its ${kills.probe} probe fails (${probe === '' ? 'probe' : probe}; ${restarts(view)})${failure === undefined || failure === '' ? '' : `: ${quote(failure)}`}`,
      anchors: [
        ...eventAnchors(kills.killing),
        ...eventAnchors(kills.unhealthy),
        ...(view.spec?.[probeField] === undefined ? [] : [inv.anchorField(KIND, quotablePod(pod), `${view.specPath}.${probeField}`)]),
        ...(terminated === undefined ? [] : [inv.anchorField(KIND, pod, `${termination?.path ?? ''}.exitCode`)]),
      ],
      nextActions: [
        logs,
        { description: `Show container ${view.name}'s ${kills.probe} probe (path, port, delays, thresholds) to compare with how long the app takes to answer`, command: `kubectl get pod ${ref.name} -n ${ns} -o jsonpath='{.spec.${view.init ? 'initContainers' : 'containers'}[?(@.name=="${view.name}")].${probeField}}'`, safety: 'ReadOnly' },
        describe,
      ],
    }];
  }
  // No probe Events left (the kubelet's spam filter stops recording Killing on a busy pod; Events expire
  // after an hour), but a restarted container with a liveness or startup probe ended by SIGKILL/SIGTERM:
  // the kubelet's probe kill is by far the likeliest sender.
  const probeField = view.spec?.livenessProbe !== undefined ? 'livenessProbe' : view.spec?.startupProbe !== undefined ? 'startupProbe' : undefined;
  if (kills === undefined && probeField !== undefined && terminated !== undefined && (terminated.exitCode === 137 || terminated.exitCode === 143) && (view.status.restartCount ?? 0) > 0) {
    const probe = probeSummary(view.spec?.[probeField]);
    return [{
      code: 'LivenessProbeFailing', severity: 'Critical', confidence: 0.6, cause: true,
      message: `${who(view, ref)} ends with ${exitCodeText(terminated.exitCode)} and is restarted (${restarts(view)}); it has a ${probeField === 'startupProbe' ? 'startup' : 'liveness'} probe (${probe === '' ? 'probe' : probe}), so it is most likely killed by the kubelet for failing it (no probe Events remain to prove it)`,
      anchors: [
        inv.anchorField(KIND, pod, `${termination?.path ?? ''}.exitCode`),
        inv.anchorField(KIND, quotablePod(pod), `${view.specPath}.${probeField}`),
        inv.anchorField(KIND, pod, `${view.statusPath}.restartCount`),
      ],
      nextActions: [logs, describe],
    }];
  }
  // Probe kills that did not end the last run are context beside whatever did.
  const probeContext: ContainerFinding[] = kills === undefined
    ? []
    : [{
        code: 'LivenessProbeFailing', severity: 'Warning', confidence: 0.5, cause: false,
        message: `${who(view, ref)} also fails its ${kills.probe} probe, though its last termination was not a probe kill`,
        anchors: [...eventAnchors(kills.killing ?? kills.unhealthy)],
        nextActions: [describe],
      }];

  if (exec !== undefined || exitCode === 127 || exitCode === 126) {
    const notExecutable = exec?.why === 'not-executable' || (exec === undefined && exitCode === 126);
    const command = exec?.command === undefined ? 'its command' : `"${exec.command}"`;
    const what = notExecutable
      ? `${command} is not executable (permission denied)`
      : exec === undefined
        ? `its shell could not find the command it runs`
        : exec.command?.startsWith('/') === true
          ? `${command} (or the interpreter on its #! line) does not exist in the image`
          : `${command} is not found in the image's $PATH`;
    const textField = startText !== '' && START_WAITING.has(waitingReason) ? `${view.statusPath}.state.waiting.message` : `${termination?.path ?? ''}.message`;
    const owner = c.owner();
    return [
      {
        code: 'CommandNotFound', severity: 'Critical', confidence: exec !== undefined ? 0.95 : exitCode === 127 ? 0.8 : 0.75, cause: true,
        message: `${who(view, ref)} cannot run: ${what}${exitCode === undefined ? '' : ` (${START_TERMINATED.has(terminated?.reason ?? '') ? `${terminated?.reason ?? ''}, ` : ''}${exitCodeText(exitCode)})`}; ${restarts(view)}`,
        anchors: [
          ...(exec !== undefined ? [inv.anchorField(KIND, pod, textField)] : []),
          ...(exitCode === undefined ? [] : [inv.anchorField(KIND, pod, `${termination?.path ?? ''}.exitCode`)]),
          ...commandAnchor(),
          ...eventAnchors(exec === undefined ? undefined : eventFor(c.events, view, true, (e) => e.reason === 'Failed' && /exec/i.test(e.message) && e.message.includes(exec.command ?? 'executable file not found'))),
        ],
        nextActions: [
          { description: `Show the command and args container ${view.name} runs, to compare with what the image contains`, command: `kubectl get pod ${ref.name} -n ${ns} -o jsonpath='{.spec.${view.init ? 'initContainers' : 'containers'}[?(@.name=="${view.name}")].command}'`, safety: 'ReadOnly' },
          ...(exec === undefined ? [logs] : []),
          describe,
          ...rollbackAction(owner, ns, 'the command change'),
        ],
      },
      ...probeContext,
    ];
  }

  if (START_WAITING.has(waitingReason) || START_TERMINATED.has(terminated?.reason ?? '')) {
    const text = startText !== '' ? startText : (terminated?.message ?? '');
    const field = START_WAITING.has(waitingReason) ? `${view.statusPath}.state.waiting.message` : `${termination?.path ?? ''}.message`;
    return [
      {
        code: 'ContainerCreateFailed', severity: 'Critical', confidence: 0.7, cause: true,
        message: `${who(view, ref)} cannot be started by the container runtime (${START_WAITING.has(waitingReason) ? waitingReason : (terminated?.reason ?? '')})${text === '' ? '' : `: ${quote(text)}`}`,
        anchors: [inv.anchorField(KIND, pod, field), ...eventAnchors(failedEvent(text.slice(0, 60)))],
        nextActions: [describe],
      },
      ...probeContext,
    ];
  }

  const backOff = eventFor(c.events, view, c.only, (e) => e.reason === 'BackOff' && e.message.startsWith('Back-off restarting'));
  if (terminated !== undefined && exitCode !== undefined && (exitCode !== 0 || waitingReason === 'CrashLoopBackOff' || !view.init)) {
    const path = termination?.path ?? '';
    const lastMessage = (terminated.message ?? '').trim();
    const signalled = exitCode === 137 ? '; SIGKILL without OOMKilled: killed from outside the process (e.g. a probe kill whose Events expired)' : '';
    const owner = c.owner();
    const message = exitCode === 0
      ? `${who(view, ref)} keeps exiting with exit code 0 (${terminated.reason ?? 'Completed'}) although the pod restarts it (restartPolicy ${pod.spec?.restartPolicy ?? 'Always'}): its process does not stay running; ${restarts(view)}`
      : `${who(view, ref)} exits with ${exitCodeText(exitCode)}${terminated.reason === undefined || terminated.reason === 'Error' ? '' : ` (${terminated.reason})`}, ${restarts(view)}${signalled}${lastMessage === '' ? '' : `; last message: ${lastWords(lastMessage)}`}`;
    return [
      {
        code: 'ApplicationError', severity: 'Critical', confidence: exitCode === 0 ? 0.7 : 0.9, cause: true,
        message,
        anchors: [
          inv.anchorField(KIND, pod, `${path}.exitCode`),
          ...(lastMessage === '' ? [] : [inv.anchorField(KIND, pod, `${path}.message`)]),
          ...eventAnchors(backOff),
          inv.anchorField(KIND, pod, `${view.statusPath}.restartCount`),
        ],
        nextActions: [logs, describe, ...rollbackAction(owner, ns, 'the failing change')],
      },
      ...probeContext,
    ];
  }
  if (waitingReason === 'CrashLoopBackOff') {
    return [
      {
        code: 'ApplicationError', severity: 'Critical', confidence: 0.5, cause: true,
        message: `${who(view, ref)} is in CrashLoopBackOff (${restarts(view)}), but the kubelet kept no record of how it last terminated: its logs hold the reason`,
        anchors: [inv.anchorField(KIND, pod, `${view.statusPath}.state.waiting.reason`), ...eventAnchors(backOff), inv.anchorField(KIND, pod, `${view.statusPath}.restartCount`)],
        nextActions: [logs, describe],
      },
      ...probeContext,
    ];
  }
  return probeContext;
}

/** What the kubelet's eviction message says was exceeded (pkg/kubelet/eviction message shapes). */
export interface Eviction {
  readonly resource: string;
  /** The limit or threshold that was crossed, as the kubelet wrote it. */
  readonly limit?: string;
  readonly usage?: string;
  readonly container?: string;
  readonly volume?: string;
  /** The node's own shortage (threshold and what was available), for a node-pressure eviction. */
  readonly available?: string;
  /** A node condition that made the kubelet reject the pod on arrival. */
  readonly nodeCondition?: string;
  readonly scope: 'Container' | 'Pod' | 'Volume' | 'Node' | 'NodeCondition';
}

/** Reads the kubelet's eviction message: which resource, which limit or threshold, whose usage. */
export function parseEviction(message: string): Eviction | undefined {
  const container = /Container (\S+) exceeded its local ephemeral storage limit "([^"]+)"/.exec(message);
  if (container !== null) return { scope: 'Container', resource: 'ephemeral-storage', container: container[1] ?? '', limit: container[2] ?? '' };
  const volume = /Usage of EmptyDir volume "([^"]+)" exceeds the limit "([^"]+)"/.exec(message);
  if (volume !== null) return { scope: 'Volume', resource: 'ephemeral-storage', volume: volume[1] ?? '', limit: volume[2] ?? '' };
  const pod = /Pod ephemeral local storage usage exceeds the total limit of containers (\S+?)\.?(?:\s|$)/.exec(message);
  if (pod !== null) return { scope: 'Pod', resource: 'ephemeral-storage', limit: pod[1] ?? '' };
  const node = /The node was low on resource: ([\w./-]+)\.(?:\s*Threshold quantity: (\S+?),\s*available: (\S+?)\.)?/.exec(message);
  if (node !== null) {
    const user = /Container (\S+) was using (\S+?), (?:request is|which exceeds its request of) (\S+?)[,.]/.exec(message);
    return {
      scope: 'Node', resource: node[1] ?? '',
      ...(node[2] === undefined ? {} : { limit: node[2] }), ...(node[3] === undefined ? {} : { available: node[3] }),
      ...(user === null ? {} : { container: user[1] ?? '', usage: user[2] ?? '' }),
    };
  }
  const condition = /The node had condition: \[(\w+)\]/.exec(message);
  if (condition !== null) return { scope: 'NodeCondition', resource: condition[1] ?? '', nodeCondition: condition[1] ?? '' };
  return undefined;
}

/** A pod the kubelet evicted (phase Failed, reason Evicted): the resource, the limit or threshold, and whose usage. */
function diagnoseEviction(inv: Investigation, pod: ContainerPod, ref: ObjectRef): ContainerFinding {
  const message = (pod.status as { message?: string } | undefined)?.message ?? '';
  const eviction = parseEviction(message);
  const ns = ref.namespace ?? '';
  const node = pod.spec?.nodeName ?? '';
  const by = `Pod ${ns}/${ref.name} was evicted by the kubelet${node === '' ? '' : ` on node ${node}`}`;
  let what: string;
  switch (eviction?.scope) {
    case 'Container':
      what = `container ${eviction.container ?? '?'} used more ephemeral-storage (its writable layer and logs) than its limit of ${eviction.limit ?? '?'}`;
      break;
    case 'Volume':
      what = `emptyDir volume ${eviction.volume ?? '?'} grew beyond its sizeLimit of ${eviction.limit ?? '?'}`;
      break;
    case 'Pod':
      what = `its ephemeral-storage use exceeded the sum of its containers' limits, ${eviction.limit ?? '?'}`;
      break;
    case 'Node':
      what = `the node ran low on ${eviction.resource}${eviction.available === undefined ? '' : ` (available ${eviction.available}, eviction threshold ${eviction.limit ?? '?'})`}${eviction.container === undefined ? '' : `, and container ${eviction.container} used ${eviction.usage ?? '?'}, the most beyond its request`}`;
      break;
    case 'NodeCondition':
      what = `the node had condition ${eviction.nodeCondition ?? '?'} when the pod arrived, so the kubelet refused to run it`;
      break;
    default:
      what = message === '' ? 'no reason recorded' : quote(message);
  }
  const nodeAction: NextAction[] = node === '' || (eviction?.scope !== 'Node' && eviction?.scope !== 'NodeCondition')
    ? []
    : [{ description: `Show node ${node}'s pressure conditions and what runs there (the node-pressure intent diagnoses it)`, command: `kubectl describe node ${node}`, safety: 'ReadOnly' }];
  const limitsAction: NextAction[] = eviction === undefined || eviction.scope === 'Node' || eviction.scope === 'NodeCondition'
    ? []
    : [{ description: `Show the pod's ephemeral-storage limits and emptyDir sizeLimits, to compare with what it writes`, command: `kubectl get pod ${ref.name} -n ${ns} -o jsonpath='{range .spec.containers[*]}{.name}{"\\t"}{.resources.limits.ephemeral-storage}{"\\n"}{end}{.spec.volumes}'`, safety: 'ReadOnly' }];
  return {
    code: 'PodEvicted', severity: 'Critical', confidence: eviction === undefined ? 0.7 : 0.95, cause: true,
    message: `${by}: ${what}`,
    anchors: [inv.anchorField(KIND, pod, 'status.reason'), ...(message === '' ? [] : [inv.anchorField(KIND, pod, 'status.message')])],
    nextActions: [...limitsAction, ...nodeAction, describeAction(ref)],
  };
}

/** A volume the kubelet cannot mount because its ConfigMap/Secret is missing: containers stay ContainerCreating. */
function diagnoseMount(inv: Investigation, pod: ContainerPod, ref: ObjectRef, events: readonly EventRecord[]): ContainerFinding | undefined {
  const creating = containersOf(pod).some((v) => v.status.state?.waiting?.reason === 'ContainerCreating' || v.status.state?.waiting?.reason === 'PodInitializing');
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  if (!creating && statuses.length > 0) return undefined;
  for (const event of events.filter((e) => e.reason === 'FailedMount')) {
    const volumeName = /for volume "([^"]+)"/.exec(event.message)?.[1];
    const volume = pod.spec?.volumes?.find((v) => v.name === volumeName);
    const missing = parseConfigMissing(event.message) ?? parseMissingVolumeKey(event.message, volume);
    if (missing === undefined) continue;
    const ns = ref.namespace ?? '';
    const kindWord = missing.kind === 'Secret' ? 'secret' : 'configmap';
    const what = missing.key === undefined ? `${missing.kind} "${missing.name}" not found` : `${missing.kind} "${missing.name}" has no key ${missing.key}`;
    return {
      code: 'ConfigMissing', severity: 'Critical', confidence: 0.9, cause: true,
      message: `Pod ${ns}/${ref.name} cannot start its containers: volume ${volumeName ?? '?'} cannot be mounted, the kubelet reports ${what}`,
      anchors: [inv.anchorEvent(event), ...(volume === undefined ? [] : [inv.anchorField(KIND, pod, `spec.volumes[name=${volume.name}]`)])],
      nextActions: [
        missing.key === undefined
          ? { description: `Check whether ${missing.kind} ${missing.name} exists in ${ns} (create it, fix the volume's reference, or mark it optional)`, command: `kubectl get ${kindWord} ${missing.name} -n ${ns}`, safety: 'ReadOnly' }
          : { description: `List the keys of ${missing.kind} ${missing.name} (names only, no values), to add ${missing.key} or fix the volume's items`, command: `kubectl get ${kindWord} ${missing.name} -n ${ns} -o go-template='{{range $k, $v := .data}}{{println $k}}{{end}}'`, safety: 'ReadOnly' },
        describeAction(ref),
      ],
    };
  }
  return undefined;
}

/** Proves why a pod's containers crash or restart: OOM kills, exit codes, probe kills, missing config, missing commands. */
export const podCrashloop: Check = {
  name: 'pod.crashloop',
  subject: KIND,
  codes: ['OOMKilled', 'ApplicationError', 'LivenessProbeFailing', 'ConfigMissing', 'CommandNotFound', 'ContainerCreateFailed', 'PodEvicted'],
  evidence: ['pod', 'pod.events'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const pod = subject as ContainerPod;
    const ref = refOf(KIND, pod);
    inv.note('pod');
    const report = (d: ContainerFinding) => {
      inv.report({
        code: d.code, severity: d.severity, object: ref, message: d.message, anchors: d.anchors, nextActions: d.nextActions,
        ...(d.cause ? { chain: [...chain, ref], confidence: d.confidence } : {}),
        ...(d.recheckAfterSeconds === undefined ? {} : { recheckAfterSeconds: d.recheckAfterSeconds }),
      });
    };
    // Evicted pods stay as Failed objects until garbage-collected: the eviction is their whole story.
    if (pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted') {
      report(diagnoseEviction(inv, pod, ref));
      return;
    }
    if (!inScope(inv, pod)) return;
    const events = inv.events(KIND, pod, 'pod.events');
    const mount = diagnoseMount(inv, pod, ref, events);
    if (mount !== undefined) report(mount);
    const views = containersOf(pod);
    const failing = views.filter((v) => troubled(inv, v, pod));
    // A container that cannot even be pulled may be why its neighbour exits (a sidecar without its app).
    const unpulled = views.filter((v) => PULL_WAITING.has(v.status.state?.waiting?.reason ?? ''));
    let owner: Owner | undefined | null = null;
    const c: CrashContext = {
      inv, pod, ref, events, only: failing.length === 1,
      owner: () => (owner === null ? (owner = ownerOf(inv, pod)) : owner),
    };
    for (const view of failing) {
      // Caught running between crashes: the diagnosis holds only while the crash is recent; look again after.
      const window = view.status.state?.running === undefined ? undefined : crashWindowLeft(view.status, (t) => inv.ageSeconds(t));
      for (const d of diagnoseCrash(c, view)) {
        const beside = unpulled[0];
        const finding = d.cause && beside !== undefined
          ? { ...d, confidence: Math.max(0.3, d.confidence - 0.1), message: `${d.message} (container ${beside.name} cannot start either: its image is not pulled)` }
          : d;
        report(window === undefined || !d.cause ? finding : { ...finding, recheckAfterSeconds: window });
      }
    }
  },
};

// --- image pull ----------------------------------------------------------------------------------

export interface PullCause {
  readonly code: 'ImageNotFound' | 'ImagePullUnauthorized' | 'RegistryUnreachable' | 'InvalidImageName' | 'ImagePullRateLimited' | 'ImagePullFailed';
  readonly confidence: number;
  /** What the registry or runtime said, in a few words. */
  readonly said: string;
  /** Docker Hub-style registries answer "denied" for repositories that do not exist: either is possible. */
  readonly ambiguous?: boolean;
}

/** The first of `patterns` (in priority order) that matches, and the text it matched. */
function firstMatch(text: string, patterns: readonly RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match !== null) return match[0];
  }
  return undefined;
}

const RATE_LIMITED = [/toomanyrequests/i, /429 Too Many Requests/i, /pull rate limit/i];
// Docker Hub-style registries answer this for a repository that does not exist as well as for one that needs a login.
const DENIED_OR_MISSING = [/pull access denied, repository does not exist or may require authorization/i, /repository does not exist or may require '?docker login'?/i];
const UNAUTHORIZED = [/401 Unauthorized/i, /403 Forbidden/i, /pull access denied/i, /insufficient_scope/i, /authorization failed/i, /authentication required/i, /no basic auth credentials/i, /\bdenied: [^:]+/i, /\bunauthorized\b/i];
const UNREACHABLE = [/x509: [^:]+/i, /no such host/i, /i\/o timeout/i, /connection refused/i, /TLS handshake timeout/i, /connection reset by peer/i, /network is unreachable/i, /no route to host/i, /server misbehaving/i, /Client\.Timeout exceeded/i, /context deadline exceeded/i, /dial tcp/i];
const NOT_FOUND = [/manifest unknown/i, /manifest for \S+ not found/i, /name unknown/i, /repository does not exist/i, /no such image/i, /(?<=: )not found\b/i, /code = NotFound/i];

/** Classifies the kubelet's pull failure text (waiting message or Failed Event) into an image-pull code. */
export function classifyPull(reason: string, text: string): PullCause {
  const invalid = firstMatch(text, [/invalid reference format(?::[^:"\n]+)?/i, /couldn't parse image name/i])?.trim();
  if (reason === 'InvalidImageName' || invalid !== undefined) return { code: 'InvalidImageName', confidence: 1, said: invalid ?? 'invalid image name' };
  if (reason === 'ErrImageNeverPull' || /not present with pull policy of Never/i.test(text)) return { code: 'ImageNotFound', confidence: 0.95, said: 'not present on the node, pull policy Never' };
  if (reason === 'SignatureValidationFailed' || /signature validation failed/i.test(text)) return { code: 'ImagePullFailed', confidence: 0.85, said: 'signature validation failed' };
  if (reason === 'RegistryUnavailable' || /registry is unavailable/i.test(text)) {
    return { code: 'RegistryUnreachable', confidence: 0.85, said: firstMatch(text, UNREACHABLE) ?? 'registry is unavailable' };
  }
  const rate = firstMatch(text, RATE_LIMITED);
  if (rate !== undefined) return { code: 'ImagePullRateLimited', confidence: 0.9, said: rate };
  const deniedOrMissing = firstMatch(text, DENIED_OR_MISSING);
  if (deniedOrMissing !== undefined) return { code: 'ImagePullUnauthorized', confidence: 0.6, said: 'pull access denied', ambiguous: true };
  const unauthorized = firstMatch(text, UNAUTHORIZED);
  if (unauthorized !== undefined) return { code: 'ImagePullUnauthorized', confidence: 0.9, said: unauthorized };
  const unreachable = firstMatch(text, UNREACHABLE);
  if (unreachable !== undefined) return { code: 'RegistryUnreachable', confidence: 0.9, said: unreachable };
  const notFound = firstMatch(text, NOT_FOUND);
  if (notFound !== undefined) return { code: 'ImageNotFound', confidence: 0.95, said: notFound };
  return { code: 'ImagePullFailed', confidence: text === '' ? 0.3 : 0.4, said: '' };
}

/** The registry host of an image reference (Docker Hub when the first part is no host); never its user:password@. */
export function registryOf(image: string): string {
  const bare = image.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const slash = bare.indexOf('/');
  if (slash < 0) return 'docker.io';
  const head = bare.slice(0, slash);
  // Credentials in a reference (user:pass@registry/app) sit before the host's @.
  const first = head.slice(head.lastIndexOf('@') + 1);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

const BACKOFF_PREFIX = /^Back-off pulling image "[^"]*"(?::\s*)?(?:ErrImagePull:\s*)?/;

function diagnosePull(inv: Investigation, pod: ContainerPod, ref: ObjectRef, events: readonly EventRecord[], view: ContainerView, owner: () => Owner | undefined): ContainerFinding {
  const ns = ref.namespace ?? '';
  const waiting = view.status.state?.waiting;
  const reason = waiting?.reason ?? '';
  const image = view.spec?.image ?? view.status.image ?? '';
  const fromWaiting = (waiting?.message ?? '').replace(BACKOFF_PREFIX, '').trim();
  const failed = events.find(
    (e) => (e.reason === 'Failed' || e.reason === 'InspectFailed' || e.reason === 'ErrImageNeverPull') &&
      (e.message.startsWith(`Failed to pull image "${image}"`) || e.message.startsWith(`Failed to apply default image tag "${image}"`) || e.message.startsWith(`Container image "${image}"`)),
  );
  const fromEvent = failed?.message.replace(/^Failed to pull image "[^"]*":\s*/, '') ?? '';
  // The waiting message holds the cause for ErrImagePull; during back-off (older kubelets) only the Event does.
  const text = fromWaiting !== '' ? fromWaiting : fromEvent;
  const first = classifyPull(reason, text);
  // Each text is classified on its own: a phrase must not run from one into the other.
  const cause = first.code === 'ImagePullFailed' && fromWaiting !== '' && fromEvent !== '' ? classifyPull(reason, fromEvent) : first;
  const waitingAnchor = inv.anchorField(KIND, pod, `${view.statusPath}.state.waiting.${(waiting?.message ?? '') === '' ? 'reason' : 'message'}`);
  const eventAnchor = failed === undefined ? [] : [inv.anchorEvent(failed)];
  const imageAnchor = inv.anchorField(KIND, pod, `${view.specPath}.image`);
  const anchors = [waitingAnchor, ...eventAnchor, imageAnchor];
  const secrets = (pod.spec?.imagePullSecrets ?? []).map((s) => s.name ?? '').filter((s) => s !== '');
  const describe = describeAction(ref);
  const subject = `${who(view, ref)} cannot pull image "${image}"`;
  const registry = registryOf(image);
  const container = view.init ? 'initContainers' : 'containers';
  const showImage: NextAction = { description: `Show the image container ${view.name} asks for`, command: `kubectl get pod ${ref.name} -n ${ns} -o jsonpath='{.spec.${container}[?(@.name=="${view.name}")].image}'`, safety: 'ReadOnly' };
  const base = { severity: 'Critical' as const, confidence: cause.confidence, cause: true };
  switch (cause.code) {
    case 'InvalidImageName':
      return {
        ...base, code: cause.code, anchors,
        message: `${who(view, ref)} names an invalid image reference "${image}" (${cause.said})`,
        nextActions: [showImage, describe, ...rollbackAction(owner(), ns, 'the image change')],
      };
    case 'ImageNotFound':
      return {
        ...base, code: cause.code, anchors,
        message: reason === 'ErrImageNeverPull'
          ? `${who(view, ref)} uses image "${image}" with imagePullPolicy Never, and the image is not present on node ${pod.spec?.nodeName ?? '?'}`
          : `${subject}: registry ${registry} has no such repository or tag (${cause.said})`,
        nextActions: [showImage, describe, ...rollbackAction(owner(), ns, 'the image change')],
      };
    case 'ImagePullUnauthorized': {
      // The kubelet says when a named pull secret is missing (FailedToRetrieveImagePullSecret): the pull then
      // goes without it, and the registry's refusal follows from that.
      const missingSecret = events.find((e) => e.reason === 'FailedToRetrieveImagePullSecret');
      const named = missingSecret === undefined ? undefined : /image pull secrets \(([^)]+)\)/.exec(missingSecret.message)?.[1];
      if (missingSecret !== undefined) {
        return {
          ...base, code: 'PullSecretNotFound', confidence: 0.9,
          anchors: [inv.anchorEvent(missingSecret), ...anchors.slice(0, 1), ...(secrets.length === 0 ? [] : [inv.anchorField(KIND, pod, 'spec.imagePullSecrets')])],
          message: `${subject}: imagePullSecret ${named ?? secrets.join(', ')} does not exist in ${ns} (the kubelet could not retrieve it), so registry ${registry} got no credentials (${cause.said})`,
          nextActions: [
            { description: `Check whether Secret ${named ?? secrets[0] ?? ''} exists in ${ns} (names only)`, command: `kubectl get secrets -n ${ns} --field-selector type=kubernetes.io/dockerconfigjson`, safety: 'ReadOnly' },
            describe,
          ],
        };
      }
      const secretsText = secrets.length === 0 ? 'the pod has no imagePullSecrets' : `the pod pulls with imagePullSecrets ${secrets.join(', ')}`;
      return {
        ...base, code: cause.code,
        anchors: [...anchors, ...(secrets.length === 0 ? [] : [inv.anchorField(KIND, pod, 'spec.imagePullSecrets')])],
        message: cause.ambiguous === true
          ? `${subject}: registry ${registry} denied access (${cause.said}), which it also answers for a repository that does not exist: check the name, or give credentials; ${secretsText}`
          : secrets.length === 0
            ? `${subject}: registry ${registry} requires credentials (${cause.said}) and ${secretsText}`
            : `${subject}: registry ${registry} refused the pull credentials (${cause.said}); ${secretsText}`,
        nextActions: [
          describe,
          { description: 'Show which imagePullSecrets the pod uses (names only)', command: `kubectl get pod ${ref.name} -n ${ns} -o jsonpath='{.spec.imagePullSecrets}'`, safety: 'ReadOnly' },
          ...secrets.slice(0, 1).map((s) => ({ description: `Check that Secret ${s} exists and is of type kubernetes.io/dockerconfigjson (shows no contents)`, command: `kubectl get secret ${s} -n ${ns} -o jsonpath='{.type}'`, safety: 'ReadOnly' as const })),
          showImage,
        ],
      };
    }
    case 'RegistryUnreachable':
      return {
        ...base, code: cause.code, anchors,
        message: /^x509/i.test(cause.said)
          ? `${subject}: node ${pod.spec?.nodeName ?? '?'} does not trust registry ${registry}'s TLS certificate (${cause.said})`
          : `${subject}: node ${pod.spec?.nodeName ?? '?'} cannot reach registry ${registry} (${cause.said})`,
        nextActions: [
          describe,
          { description: `See whether other pods on node ${pod.spec?.nodeName ?? '?'} pull (a node-wide DNS, proxy or egress fault) or only this registry fails`, command: `kubectl get pods -A -o wide --field-selector spec.nodeName=${pod.spec?.nodeName ?? ''}`, safety: 'ReadOnly' },
        ],
      };
    case 'ImagePullRateLimited':
      return {
        ...base, code: cause.code, anchors,
        message: `${subject}: registry ${registry} rate-limits pulls (${cause.said}); authenticate the pulls or use a mirror`,
        nextActions: [describe, { description: 'Show which imagePullSecrets the pod uses (names only)', command: `kubectl get pod ${ref.name} -n ${ns} -o jsonpath='{.spec.imagePullSecrets}'`, safety: 'ReadOnly' }],
      };
    case 'ImagePullFailed':
      return {
        ...base, code: cause.code, anchors,
        message: text === '' ? `${subject} (${reason}); the last pull error is no longer recorded (its Events expire), the next attempt's Failed Event will say` : `${subject}: ${quote(text)}`,
        nextActions: [describe, showImage],
      };
  }
}

/** Proves why a pod's images cannot be pulled: missing image, refused credentials, unreachable registry, invalid name. */
export const podImagePull: Check = {
  name: 'pod.image-pull',
  subject: KIND,
  codes: ['ImageNotFound', 'ImagePullUnauthorized', 'RegistryUnreachable', 'InvalidImageName', 'ImagePullRateLimited', 'ImagePullFailed', 'PullSecretNotFound'],
  evidence: ['pod', 'pod.events'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const pod = subject as ContainerPod;
    const ref = refOf(KIND, pod);
    inv.note('pod');
    if (!inScope(inv, pod)) return;
    const events = inv.events(KIND, pod, 'pod.events');
    let owner: Owner | undefined | null = null;
    const ownerOnce = () => (owner === null ? (owner = ownerOf(inv, pod)) : owner);
    for (const view of containersOf(pod).filter((v) => PULL_WAITING.has(v.status.state?.waiting?.reason ?? ''))) {
      const d = diagnosePull(inv, pod, ref, events, view, ownerOnce);
      inv.report({ code: d.code, severity: d.severity, object: ref, message: d.message, anchors: d.anchors, nextActions: d.nextActions, chain: [...chain, ref], confidence: d.confidence });
    }
  },
};
