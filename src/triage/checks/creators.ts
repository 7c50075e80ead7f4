import type { NextAction, ObjectRef } from '../../crds/envelope';
import type { EvidenceKey } from '../evidence';
import type { Investigation } from '../investigation';
import { conditionOf, type Condition, type EventRecord } from '../objects';
import { INDEX, ownerIndexValue, type KubeObject } from '../snapshot';

// Pod creators: the controllers that create pods themselves (ReplicaSet, StatefulSet, DaemonSet, Job).
// When the apiserver refuses a create, the controller records a FailedCreate Warning Event on itself
// and retries; whether that Event is still news depends on whether pods are still missing.

/** Kinds whose controller creates pods and records FailedCreate on itself. */
export const POD_CREATORS: ReadonlySet<string> = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);

interface Creator extends KubeObject {
  readonly spec?: { readonly replicas?: number; readonly parallelism?: number; readonly completions?: number; readonly suspend?: boolean };
  readonly status?: {
    readonly replicas?: number;
    readonly desiredNumberScheduled?: number;
    readonly currentNumberScheduled?: number;
    readonly active?: number;
    readonly succeeded?: number;
    readonly conditions?: readonly Condition[];
  };
}

/** What a FailedCreate is about: who could not create pods, and how it was reached. */
export interface CreateEvidence {
  /** The object whose controller failed to create pods: ReplicaSet, StatefulSet, DaemonSet or Job. */
  readonly creatorKind: string;
  readonly creator: KubeObject;
  /** From symptom to the creator, inclusive. */
  readonly chain: readonly ObjectRef[];
  readonly message: string;
  readonly anchors: readonly string[];
  /** Actions about the workload (rollout status, describe rs) that fit every failure. */
  readonly actions: readonly NextAction[];
}

/**
 * Whether the creator's controller still has pods to create: it retries a refused create until it
 * has them, so a FailedCreate on a creator that has all its pods is history.
 */
export function lacksPods(kind: string, object: KubeObject): boolean {
  const creator = object as Creator;
  const spec = creator.spec ?? {};
  const status = creator.status ?? {};
  switch (kind) {
    case 'ReplicaSet':
    case 'StatefulSet':
      return (status.replicas ?? 0) < (spec.replicas ?? 1);
    case 'DaemonSet':
      return (status.currentNumberScheduled ?? 0) < (status.desiredNumberScheduled ?? 0);
    case 'Job': {
      // A finished or suspended Job creates no pods; a running one keeps min(parallelism, remaining completions) active.
      const finished = ['Complete', 'Failed'].some((type) => conditionOf(status.conditions, type)?.status === 'True');
      if (finished || spec.suspend === true) return false;
      const parallelism = spec.parallelism ?? 1;
      const remaining = spec.completions === undefined ? ((status.succeeded ?? 0) > 0 ? 0 : parallelism) : spec.completions - (status.succeeded ?? 0);
      return (status.active ?? 0) < Math.min(parallelism, remaining);
    }
    default:
      return false;
  }
}

/** The newest Warning FailedCreate Event about `creator`, if any. */
export function newestFailedCreate(inv: Investigation, kind: string, creator: KubeObject, evidenceKey: EvidenceKey): EventRecord | undefined {
  return inv.events(kind, creator, evidenceKey).find((e) => e.reason === 'FailedCreate' && e.type !== 'Normal');
}

/**
 * The create failure a creator's own controller wrote in its status: a ReplicaSet's ReplicaFailure
 * condition (reason FailedCreate). Unlike an Event, which anyone who may write Events in the namespace
 * can file about any object, status is written by the controller alone. undefined for kinds whose
 * controller records no such condition (StatefulSet, DaemonSet, Job) and when there is none now.
 */
export function statusFailure(kind: string, creator: KubeObject): string | undefined {
  if (kind !== 'ReplicaSet') return undefined;
  const failure = conditionOf((creator as Creator).status?.conditions, 'ReplicaFailure');
  return failure?.status === 'True' && failure.reason === 'FailedCreate' ? failure.message : undefined;
}

/**
 * What `owner` owns, from the owner index (keyed by uid alone): only objects in the owner's own
 * namespace, where the garbage collector honours a namespaced owner, and which the request may read.
 * Anyone may name any uid as their owner: an object elsewhere claiming this one is another tenant's.
 */
export function ownedBy<T extends KubeObject>(inv: Investigation, kind: string, evidenceKey: EvidenceKey, owner: KubeObject): readonly T[] {
  const uid = owner.metadata?.uid;
  const namespace = owner.metadata?.namespace;
  if (uid === undefined || namespace === undefined || !inv.mayRead(kind, namespace)) return [];
  return inv.byIndex<T>(kind, evidenceKey, INDEX.owner, ownerIndexValue(owner)) ?? [];
}
