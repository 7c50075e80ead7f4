import { refOf } from '../investigation';
import { conditionOf, type Pod } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import type { Check } from './check';

/** A pod that is Ready or finished needs no diagnosis. */
export function podSettled(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || conditionOf(pod.status?.conditions, 'Ready')?.status === 'True';
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
          if (!podSettled(pod)) ctx.follow('Pod', pod, ownerChain);
        }
      }
    },
  };
}

export const workloadChecks: readonly Check[] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'DaemonSet'].map(workloadPods);
