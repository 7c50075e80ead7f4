import { refOf } from '../investigation';
import { conditionOf, type Pod } from '../objects';
import type { Check } from './check';
import { ownedBy } from './creators';
import { reportRefusedCreate } from './create-failure';

/** How long after a container's abnormal end a running (even Ready) pod is still taken as crash-looping. */
export const RECENT_CRASH_SECONDS = 600;

interface RestartedStatus {
  readonly restartCount?: number;
  readonly state?: { readonly running?: { readonly startedAt?: string } };
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
  const code = last.exitCode ?? 0;
  // Killed from outside (an OOM kill, a probe's SIGKILL/SIGTERM): a fault from the first time.
  if (last.reason === 'OOMKilled' || code === 137 || code === 143) return true;
  if (code !== 0 && restarts >= 2) return true;
  // One early exit is a crash loop's first turn while the new run is young, a start-up race once it has
  // stayed up a while (a dependency that was not ready yet): only the young run counts.
  const runningFor = ageSeconds(status.state?.running?.startedAt);
  if (code !== 0 && runningFor !== undefined && runningFor < YOUNG_RUN_SECONDS) return true;
  return restarts >= 3;
}

/** A run younger than this after an abnormal exit may well be the next turn of a loop. */
const YOUNG_RUN_SECONDS = 60;

/** Seconds until a recent crash leaves the RECENT_CRASH_SECONDS window (when the pod counts as settled again). */
export function crashWindowLeft(status: RestartedStatus, ageSeconds: (timestamp: string | undefined) => number | undefined): number | undefined {
  const age = ageSeconds(status.lastState?.terminated?.finishedAt);
  return age === undefined || age >= RECENT_CRASH_SECONDS ? undefined : Math.ceil(RECENT_CRASH_SECONDS - age) + 1;
}

/** How long a Failed, Evicted pod is news: older ones are history kept until pod garbage collection. */
const RECENT_EVICTION_SECONDS = 3600;

interface EvictablePod {
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly conditions?: readonly { readonly type?: string; readonly lastTransitionTime?: string }[];
  };
}

/** An eviction older than an hour: workloads have replaced the pod, and the object only awaits garbage collection. */
export function evictedLongAgo(pod: EvictablePod, ageSeconds: (timestamp: string | undefined) => number | undefined): boolean {
  if (pod.status?.phase !== 'Failed' || pod.status.reason !== 'Evicted') return false;
  const conditions = pod.status.conditions ?? [];
  const at = conditions.find((c) => c.type === 'DisruptionTarget')?.lastTransitionTime ?? conditions.find((c) => c.type === 'Ready')?.lastTransitionTime;
  const age = ageSeconds(at);
  return age !== undefined && age > RECENT_EVICTION_SECONDS;
}

/** A pod that is finished (or evicted long ago), or Ready with no container crashed recently, needs no diagnosis. */
export function podSettled(pod: Pod, ageSeconds: (timestamp: string | undefined) => number | undefined): boolean {
  if (pod.status?.phase === 'Succeeded' || evictedLongAgo(pod, ageSeconds)) return true;
  if (conditionOf(pod.status?.conditions, 'Ready')?.status !== 'True') return false;
  const statuses = (pod.status as { containerStatuses?: readonly RestartedStatus[] } | undefined)?.containerStatuses ?? [];
  return !statuses.some((status) => crashedRecently(status, ageSeconds));
}

/**
 * Follows a workload to the pods it owns that are not Ready (Deployment → ReplicaSet → Pod), for the pod
 * checks; a workload short of pods because admission refuses them (a webhook, a quota, PodSecurity)
 * reports that, whichever intent reached it.
 */
function workloadPods(kind: string): Check {
  return {
    name: `${kind.toLowerCase()}.pods`,
    subject: kind,
    codes: ['WebhookFailing', 'QuotaExceeded', 'PodSecurityRejected', 'PodCreationFailed'],
    evidence: ['workload.pods'],
    follows: 'Pod',
    run(ctx, subject, chain) {
      const ref = refOf(kind, subject);
      const viaReplicaSets = kind === 'Deployment';
      const owners = viaReplicaSets ? ownedBy(ctx.inv, 'ReplicaSet', 'workload.pods', subject) : [subject];
      for (const owner of owners) {
        const ownerChain = viaReplicaSets ? [...chain, ref, refOf('ReplicaSet', owner)] : [...chain, ref];
        for (const pod of ownedBy<Pod>(ctx.inv, 'Pod', 'workload.pods', owner)) {
          if (!podSettled(pod, (t) => ctx.inv.ageSeconds(t))) ctx.follow('Pod', pod, ownerChain);
        }
        // Pods that were never created have no cause of their own to follow: the refused create is the cause.
        reportRefusedCreate(ctx.inv, viaReplicaSets ? 'ReplicaSet' : kind, owner, ownerChain);
      }
    },
  };
}

export const workloadChecks: readonly Check[] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'DaemonSet'].map(workloadPods);
