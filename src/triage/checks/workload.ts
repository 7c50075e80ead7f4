import { refOf } from '../investigation';
import type { Pod } from '../objects';
import { INDEX, type KubeObject } from '../snapshot';
import type { Check } from './check';

/** Follows a workload to the pods it owns that have no node (Deployment → ReplicaSet → Pod), for scheduling checks. */
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
          if ((pod.spec?.nodeName ?? '') === '') ctx.follow('Pod', pod, ownerChain);
        }
      }
    },
  };
}

export const workloadChecks: readonly Check[] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'DaemonSet'].map(workloadPods);
