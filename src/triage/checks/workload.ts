import { refOf } from '../investigation';
import { conditionOf, type Pod } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import type { Check } from './check';

/** How long after a container's abnormal end a running (even Ready) pod is still taken as crash-looping. */
export const RECENT_CRASH_SECONDS = 600;

interface RestartedStatus {
  readonly restartCount?: number;
  readonly lastState?: { readonly terminated?: { readonly exitCode?: number; readonly reason?: string; readonly finishedAt?: string } };
}

/**
 * Whether a container that runs again ended abnormally within RECENT_CRASH_SECONDS: a crash loop
 * sampled between restarts. A real kubelet shows a looping container running (often Ready) for most
 * of each cycle, so readiness alone would call it healthy. A run that ended with exit 0 counts only
 * when it keeps happening (a process that should stay up); reason Unknown is a node restart.
 */
export function crashedRecently(status: RestartedStatus, ageSeconds: (timestamp: string | undefined) => number | undefined): boolean {
  const last = status.lastState?.terminated;
  const restarts = status.restartCount ?? 0;
  if (last === undefined || restarts === 0 || last.reason === 'Unknown') return false;
  const age = ageSeconds(last.finishedAt);
  if (age === undefined || age >= RECENT_CRASH_SECONDS) return false;
  return (last.exitCode ?? 0) !== 0 || last.reason === 'OOMKilled' || restarts >= 2;
}

/** A pod that is finished, or Ready with no container crashed recently, needs no diagnosis. */
export function podSettled(pod: Pod, ageSeconds: (timestamp: string | undefined) => number | undefined): boolean {
  if (pod.status?.phase === 'Succeeded') return true;
  if (conditionOf(pod.status?.conditions, 'Ready')?.status !== 'True') return false;
  const statuses = (pod.status as { containerStatuses?: readonly RestartedStatus[] } | undefined)?.containerStatuses ?? [];
  return !statuses.some((status) => crashedRecently(status, ageSeconds));
}

/** Follows a workload to the pods it owns that are not Ready (Deployment → ReplicaSet → Pod), for the pod checks. */
function workloadPods(kind: string): Check {
  return {
    name: `${kind.toLowerCase()}.pods`,
    subject: kind,
    codes: [],
    evidence: ['workload.pods'],
    run(ctx, subject, chain) {
      const ref = refOf(kind, subject);
      const owned = (uid: string | undefined, ownedKind: string): readonly KubeObject[] =>
        uid === undefined ? [] : (ctx.inv.byIndex(ownedKind, 'workload.pods', INDEX.owner, uid) ?? []);
      const viaReplicaSets = kind === 'Deployment';
      const owners = viaReplicaSets ? owned(subject.metadata?.uid, 'ReplicaSet') : [subject];
      for (const owner of owners) {
        const ownerChain = viaReplicaSets ? [...chain, ref, refOf('ReplicaSet', owner)] : [...chain, ref];
        for (const pod of owned(owner.metadata?.uid, 'Pod') as readonly Pod[]) {
          if (!podSettled(pod, (t) => ctx.inv.ageSeconds(t))) ctx.follow('Pod', pod, ownerChain);
        }
      }
    },
  };
}

export const workloadChecks: readonly Check[] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'DaemonSet'].map(workloadPods);
