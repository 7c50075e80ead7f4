import type { KubeObject } from '../snapshot';
import { codesOf, type Check } from './check';
import { followPods, nodeNotReadyRule, reportProgress, SET_PROGRESS_RULES, setCreateFailureRule, setRun } from './rollout-pods';

// Why a DaemonSet's rollout is stuck: pod creation failures, its not-Ready pods and their nodes.

interface DaemonSet extends KubeObject {
  readonly spec?: { readonly updateStrategy?: { readonly type?: string } };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly desiredNumberScheduled?: number;
    readonly currentNumberScheduled?: number;
    readonly updatedNumberScheduled?: number;
    readonly numberReady?: number;
    readonly numberUnavailable?: number;
  };
}

/** The rollout is done: a Ready pod on every node that should run one, updated unless the update strategy leaves that to whoever deletes pods. */
function rolloutComplete(set: DaemonSet): boolean {
  const status = set.status ?? {};
  const desired = status.desiredNumberScheduled ?? 0;
  const onDelete = set.spec?.updateStrategy?.type === 'OnDelete';
  const observed = (status.observedGeneration ?? 0) >= (set.metadata?.generation ?? 0);
  return (
    observed && (status.numberUnavailable ?? 0) === 0 && (status.numberReady ?? 0) >= desired && (onDelete || (status.updatedNumberScheduled ?? 0) >= desired)
  );
}

function progressText(set: DaemonSet): string {
  const status = set.status ?? {};
  const onDelete = set.spec?.updateStrategy?.type === 'OnDelete';
  return `${status.numberReady ?? 0}/${status.desiredNumberScheduled ?? 0} pods ready, ${status.numberUnavailable ?? 0} unavailable${onDelete ? '' : `, ${status.updatedNumberScheduled ?? 0} updated`}`;
}

/** Proves why a DaemonSet's rollout is stuck: pod creation failures; follows its not-ready pods. */
export const daemonSetRollout: Check = {
  name: 'daemonset.rollout',
  subject: 'DaemonSet',
  codes: codesOf([setCreateFailureRule, nodeNotReadyRule, ...SET_PROGRESS_RULES]),
  evidence: ['rollout'],
  run(ctx, subject, chain) {
    const set = subject as DaemonSet;
    ctx.inv.note('rollout');
    if (rolloutComplete(set)) return;
    // The controller has not created a pod for every node that should run one.
    const short = (set.status?.currentNumberScheduled ?? 0) < (set.status?.desiredNumberScheduled ?? 0);
    const s = setRun(ctx, 'DaemonSet', set, chain, short);
    const explained = setCreateFailureRule.run(s);
    const pods = followPods(s);
    reportProgress({ ...s, ...pods, text: progressText(set), explained, anchor: ctx.inv.anchorField('DaemonSet', set, 'status.numberUnavailable') });
  },
};
