import type { ObjectRef } from '../../src/crds/envelope';
import type { Check } from '../../src/triage/checks/check';
import { Investigation, type Candidate } from '../../src/triage/investigation';
import type { KubeObject } from '../../src/triage/snapshot';
import { MemorySnapshot } from '../../src/triage/memory-snapshot';

// Minimal pods and kubelet Events for the container checks' unit tests (crash, image pull, eviction).

export const NOW = new Date('2026-11-21T12:00:00.000Z');

export const notReady = [{ type: 'Ready', status: 'False' }];
export const crashLoop = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=app pod=p_shop(uid)' } };

/** A pod in namespace shop on node-a, with one container `app` unless `spec` says otherwise. */
export function pod(name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-pod-${name}`, resourceVersion: '1', ...metadata },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'registry.example.com/app:1' }], ...spec },
    status,
  } as KubeObject;
}

/** A running, not Ready pod whose only container `app` has this status (and this spec, when given). */
export function podWith(containerStatus: Record<string, unknown>, container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return pod(
    'p',
    { phase: 'Running', conditions: notReady, containerStatuses: [{ name: 'app', ...containerStatus }] },
    { containers: [{ name: 'app', image: 'registry.example.com/app:1', ...container }], ...spec },
  );
}

/** A core/v1 Event about `about`, as the kubelet records it. */
export function event(about: KubeObject, reason: string, message: string, lastTimestamp: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${about.metadata?.name ?? ''}.${reason}.${lastTimestamp}`,
      namespace: 'shop',
      uid: `ev-${reason}-${lastTimestamp}`,
      resourceVersion: '2',
    },
    involvedObject: { kind: 'Pod', name: about.metadata?.name, namespace: 'shop', uid: about.metadata?.uid },
    reason,
    message,
    count: 1,
    lastTimestamp,
    ...extra,
  } as KubeObject;
}

/** Runs checks on the first object (a pod) of a cluster; returns the investigation they reported into. */
export function investigate(checks: readonly Check[], objects: readonly KubeObject[]): Investigation {
  const inv = new Investigation(new MemorySnapshot(objects), NOW);
  const subject = objects[0];
  if (subject === undefined) throw new Error('no subject');
  for (const check of checks) check.run({ inv, follow: () => undefined }, subject, [] as readonly ObjectRef[], 'Pod');
  return inv;
}

/** Runs checks on the first object (a pod) of a cluster and returns what they reported. */
export function run(checks: readonly Check[], objects: readonly KubeObject[]): Candidate[] {
  return investigate(checks, objects).candidates;
}

/** The field paths of a candidate's anchors, in order (events as `event:<reason>`). */
export function anchorPaths(inv: Investigation, candidate: Candidate | undefined): string[] {
  return (candidate?.anchors ?? []).map((id) => {
    const anchor = inv.anchor(id);
    return anchor?.fieldPath ?? `event:${anchor?.event?.reason ?? '?'}`;
  });
}
