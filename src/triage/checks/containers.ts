import type { Code } from '../catalogue';
import type { NextAction, ObjectRef, Severity } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import type { ConfigVolume } from '../kubelet-message';
import type { Container, EventRecord, Pod } from '../objects';
import { excerpt } from '../redact';
import { INDEX, ownerIndexValue, type KubeObject } from '../snapshot';
import { podSettled } from './workload';

// How the container checks (crash.ts, image-pull.ts) read a pod: its status the way a kubelet writes it
// (containerStatuses with state/lastState, restartCount, waiting reasons, termination exit codes and
// messages), the kubelet's Events about the pod, and the workload that owns it.
// The operator caches no ConfigMaps or Secrets: what is missing is the kubelet's word, quoted as such.

export const KIND = 'Pod';

// --- the kubelet's view of containers (raw apiserver JSON, every field optional) -------------------

export interface Terminated {
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

export interface ContainerStatus {
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

export interface ContainerSpec extends Container {
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

export type ContainerPod = Pod & {
  readonly spec?: {
    readonly containers?: readonly ContainerSpec[];
    readonly initContainers?: readonly ContainerSpec[];
    readonly imagePullSecrets?: readonly { readonly name?: string }[];
    readonly restartPolicy?: string;
    readonly volumes?: readonly (ConfigVolume & { readonly name: string })[];
  };
  readonly status?: {
    /** Set when the pod failed as a whole (Evicted, NodeLost, ...): not a container's fault. */
    readonly reason?: string;
    readonly message?: string;
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
  };
};

/** One container as both spec and kubelet status see it, with the field paths anchors use. */
export interface ContainerView {
  readonly name: string;
  readonly init: boolean;
  readonly spec: ContainerSpec | undefined;
  readonly status: ContainerStatus;
  /** e.g. `status.containerStatuses[name=app]` */
  readonly statusPath: string;
  /** e.g. `spec.containers[name=app]` */
  readonly specPath: string;
}

export function containersOf(pod: ContainerPod): ContainerView[] {
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
export function inScope(inv: Investigation, pod: ContainerPod): boolean {
  if ((pod.spec?.nodeName ?? '') === '' || podSettled(pod, (t) => inv.ageSeconds(t))) return false;
  return !(pod.status?.phase === 'Failed' && (pod.status.reason ?? '') !== '');
}

// --- shared helpers ------------------------------------------------------------------------------

/** Waiting reasons of a container whose image is not there (CRI-O adds RegistryUnavailable and SignatureValidationFailed). */
export const PULL_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'SignatureValidationFailed',
]);
/** Waiting reasons where the runtime could not create or start the container process. */
export const START_WAITING = new Set([
  'CreateContainerError',
  'RunContainerError',
  'StartError',
  'PreCreateHookError',
  'PreStartHookError',
  'PostStartHookError',
]);
/** Termination reasons where the process never ran (the runtime failed to start it). */
export const START_TERMINATED = new Set(['StartError', 'ContainerCannotRun']);
const MESSAGE_EXCERPT = 120;

export function restarts(view: ContainerView): string {
  const count = view.status.restartCount ?? 0;
  // A first failure is caught before the kubelet restarted it (terminated, or a Job pod that never restarts).
  return count === 0 ? 'not restarted yet' : count === 1 ? 'restarted once' : `restarted ${count} times`;
}

/** A short one-line quote of kubelet or runtime text, placed last in a message (it may hold quotes of its own). */
export function quote(text: string, max = MESSAGE_EXCERPT): string {
  return excerpt(text, max);
}

export function who(view: ContainerView, ref: ObjectRef): string {
  return `${view.init ? 'Init container' : 'Container'} ${view.name} of Pod ${ref.namespace ?? ''}/${ref.name}`;
}

/** A container name as a literal inside a regular expression. */
export function escapeName(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Events whose text names this container (kubelet messages say `container app` or `container=app`). */
function namesContainer(event: EventRecord, name: string): boolean {
  return new RegExp(`container[= ]"?${escapeName(name)}"?(?:\\s|$|,)`).test(event.message);
}

/** The kubelet's pointer at a container in an Event's involvedObject.fieldPath: spec.containers{app}. */
function containerFieldPath(view: ContainerView): string {
  return `spec.${view.init ? 'initContainers' : 'containers'}{${view.name}}`;
}

/**
 * The newest Event matching `test` that is about this container. The kubelet says which container an
 * Event is about in its fieldPath; only an Event without one is read for the name in its text, and one
 * naming another container's fieldPath is never this container's, even when this is the pod's only candidate.
 */
export function eventFor(events: readonly EventRecord[], view: ContainerView, only: boolean, test: (e: EventRecord) => boolean): EventRecord | undefined {
  const own = containerFieldPath(view);
  const matching = events.filter((e) => test(e) && (e.fieldPath === undefined || e.fieldPath === '' || e.fieldPath === own));
  return matching.find((e) => e.fieldPath === own || namesContainer(e, view.name)) ?? (only ? matching[0] : undefined);
}

export function describeAction(ref: ObjectRef): NextAction {
  return {
    description: 'Show the pod, its container states and recent events',
    command: `kubectl describe pod ${ref.name} -n ${ref.namespace ?? ''}`,
    safety: 'ReadOnly',
  };
}

/** A kubectl command printing one field of the container's spec (its image, command or a probe). */
export function specFieldCommand(ref: ObjectRef, view: ContainerView, field: string): string {
  return `kubectl get pod ${ref.name} -n ${ref.namespace ?? ''} -o jsonpath='{.spec.${view.init ? 'initContainers' : 'containers'}[?(@.name=="${view.name}")].${field}}'`;
}

export interface ContainerFinding {
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

// --- the workload that owns the pod ------------------------------------------------------------------

export interface Owner {
  /** `deployment`, `statefulset` or `daemonset`, as kubectl spells the resource. */
  readonly resource: string;
  readonly kind: string;
  readonly name: string;
  /** For a Deployment: the previous revision to roll back to, when the pod runs the newest one and an older ReplicaSet is kept. */
  readonly previous?: { readonly revision: number; readonly replicaSet: string };
}

const REVISION = 'deployment.kubernetes.io/revision';

const controllerOf = (object: KubeObject) => (object.metadata?.ownerReferences ?? []).find((o) => o.controller === true);
const revisionOf = (rs: KubeObject) => Number(rs.metadata?.annotations?.[REVISION] ?? 'NaN');

/** A Deployment's previous revision, when `replicaSet` runs its newest one and an older ReplicaSet is kept. */
function previousRevision(inv: Investigation, deployment: KubeObject, replicaSet: KubeObject): Owner['previous'] {
  const current = revisionOf(replicaSet);
  const siblings = inv.byIndex('ReplicaSet', 'pod.owner', INDEX.owner, ownerIndexValue(deployment)) ?? [];
  const newest = Math.max(current, ...siblings.map(revisionOf).filter((r) => !Number.isNaN(r)));
  const older = siblings.filter((rs) => revisionOf(rs) < current).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  return !Number.isNaN(current) && current === newest && older !== undefined
    ? { revision: revisionOf(older), replicaSet: older.metadata?.name ?? '' }
    : undefined;
}

/** The workload that owns the pod, resolved through the cache (Pod → ReplicaSet → Deployment, or a StatefulSet/DaemonSet). */
function ownerOf(inv: Investigation, pod: ContainerPod): Owner | undefined {
  const namespace = pod.metadata?.namespace;
  const podOwner = controllerOf(pod);
  if (podOwner === undefined) return undefined;
  if (podOwner.kind === 'StatefulSet' || podOwner.kind === 'DaemonSet') {
    const found = inv.get(podOwner.kind, 'pod.owner', podOwner.name, namespace);
    return found.state === 'Found' ? { resource: podOwner.kind.toLowerCase(), kind: podOwner.kind, name: podOwner.name } : undefined;
  }
  if (podOwner.kind !== 'ReplicaSet') return undefined;
  const replicaSet = inv.get('ReplicaSet', 'pod.owner', podOwner.name, namespace);
  if (replicaSet.state !== 'Found') return undefined;
  const rsOwner = controllerOf(replicaSet.object);
  if (rsOwner?.kind !== 'Deployment') return undefined;
  const deployment = inv.get('Deployment', 'pod.owner', rsOwner.name, namespace);
  if (deployment.state !== 'Found') return undefined;
  const previous = previousRevision(inv, deployment.object, replicaSet.object);
  return { resource: 'deployment', kind: 'Deployment', name: rsOwner.name, ...(previous === undefined ? {} : { previous }) };
}

export function rollbackAction(owner: Owner | undefined, namespace: string, what: string): NextAction[] {
  if (owner?.previous === undefined) return [];
  return [
    {
      description: `Roll Deployment ${namespace}/${owner.name} back to revision ${owner.previous.revision} (ReplicaSet ${owner.previous.replicaSet}) if ${what} came with the latest rollout: replaces the whole pod template (image, command, env, resources) with that revision's and rolls every pod`,
      command: `kubectl rollout undo deployment/${owner.name} -n ${namespace}`,
      safety: 'Mutating',
    },
  ];
}

// --- one run of a container check over one pod ---------------------------------------------------

/** What a container check's rules share about the pod: the investigation, its Events, and its owner (read once, when needed). */
export interface PodRun {
  readonly inv: Investigation;
  readonly pod: ContainerPod;
  readonly ref: ObjectRef;
  readonly ns: string;
  readonly events: readonly EventRecord[];
  /** The owning workload, looked up on first use only: the lookup registers evidence. */
  readonly owner: () => Owner | undefined;
}

/** Starts a run over `pod`, reading its Events (registered as evidence `pod.events`). */
export function podRun(inv: Investigation, pod: ContainerPod): PodRun {
  const ref = refOf(KIND, pod);
  const events = inv.events(KIND, pod, 'pod.events');
  let owner: Owner | undefined | null = null;
  return {
    inv,
    pod,
    ref,
    ns: ref.namespace ?? '',
    events,
    owner: () => (owner === null ? (owner = ownerOf(inv, pod)) : owner),
  };
}
