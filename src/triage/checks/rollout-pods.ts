import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { conditionOf, type Condition, type EventRecord, type Node, type Pod } from '../objects';
import type { KubeObject } from '../snapshot';
import { defineRule, runRules, type CheckContext } from './check';
import { newestFailedCreate, ownedBy } from './creators';
import { CREATE_FAILURE_CODES, reportCreateFailure } from './create-failure';
import { podSettled } from './workload';

// What the rollout checks share: the controllers' FailedCreate Events, and for StatefulSets and
// DaemonSets (which have no progress deadline) their not-Ready pods, how long they waited, and the
// nodes they are bound to.

/** The Deployment controller's default spec.progressDeadlineSeconds. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/**
 * StatefulSets and DaemonSets have no progress deadline: a pod not Ready for this long (the
 * Deployment default) counts as a stalled rollout, sooner as one still in progress.
 */
const STALL_SECONDS = DEFAULT_PROGRESS_DEADLINE_SECONDS;

/** The newest Warning FailedCreate Event about `creator`, if any. */
export function failedCreate(inv: Investigation, kind: string, creator: KubeObject): EventRecord | undefined {
  return newestFailedCreate(inv, kind, creator, 'rollout.events');
}

/** "reason: message" of a condition, whichever parts it has. */
export function said(condition: Condition): string {
  return [condition.reason, condition.message?.trim()].filter((p) => p !== undefined && p !== '').join(': ');
}

/** What the rules of a StatefulSet or DaemonSet rollout share: the set, how it was reached, and the actions its findings offer. */
export interface SetRun {
  readonly ctx: CheckContext;
  readonly inv: Investigation;
  readonly kind: 'StatefulSet' | 'DaemonSet';
  readonly set: KubeObject;
  readonly ref: ObjectRef;
  readonly ns: string;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  /** Its controller has fewer pods than it wants: a FailedCreate on it is still news. */
  readonly short: boolean;
  readonly statusAction: NextAction;
  readonly describe: NextAction;
}

/** The SetRun of a StatefulSet or DaemonSet, with its rollout-status and describe actions. */
export function setRun(ctx: CheckContext, kind: SetRun['kind'], set: KubeObject, chain: readonly ObjectRef[], short: boolean): SetRun {
  const ref = refOf(kind, set);
  const ns = ref.namespace ?? '';
  const lower = kind.toLowerCase();
  return {
    ctx,
    inv: ctx.inv,
    kind,
    set,
    ref,
    ns,
    chain,
    short,
    statusAction: { description: 'Show the rollout state', command: `kubectl rollout status ${lower}/${ref.name} -n ${ns}`, safety: 'ReadOnly' },
    describe: { description: `Show the ${kind} and its events`, command: `kubectl describe ${lower} ${ref.name} -n ${ns}`, safety: 'ReadOnly' },
  };
}

// A set short of pods with a FailedCreate: the apiserver refused its pods (webhook, quota, PodSecurity), and pods never created have no cause of their own.
export const setCreateFailureRule = defineRule<SetRun>({
  name: 'setCreateFailure',
  proves: CREATE_FAILURE_CODES,
  run: (s) => {
    if (!s.short) return false;
    const event = failedCreate(s.inv, s.kind, s.set);
    if (event === undefined) return false;
    reportCreateFailure(s.inv, {
      creatorKind: s.kind,
      creator: s.set,
      chain: [...s.chain, s.ref],
      message: event.message,
      anchors: [s.inv.anchorEvent(event)],
      actions: [s.describe, s.statusAction],
    });
    return true;
  },
});

// --- pods of StatefulSets and DaemonSets -------------------------------------------------------

// A pod bound to a node that is not Ready cannot become Ready itself, and the pod checks do not look at nodes: the node is the cause.
export const nodeNotReadyRule = defineRule<SetRun & { readonly pod: Pod }>({
  name: 'nodeNotReady',
  proves: ['NodeNotReady'],
  run: ({ inv, pod, chain, ref }) => {
    const nodeName = pod.spec?.nodeName ?? '';
    if (nodeName === '') return false;
    const node = inv.get<Node>('Node', 'rollout.nodes', nodeName);
    if (node.state !== 'Found') return false;
    const nodeReady = conditionOf(node.object.status?.conditions, 'Ready');
    if (nodeReady === undefined || nodeReady.status === 'True') return false;
    const podRef = refOf('Pod', pod);
    inv.report({
      code: 'NodeNotReady',
      severity: 'Critical',
      object: refOf('Node', node.object),
      confidence: 0.9,
      message: `Pod ${podRef.namespace ?? ''}/${podRef.name} cannot be Ready: it runs on node ${nodeName}, which is NotReady (Ready=${nodeReady.status ?? '?'}${said(nodeReady) === '' ? '' : `, ${said(nodeReady)}`})${nodeReady.lastTransitionTime === undefined ? '' : ` since ${nodeReady.lastTransitionTime}`}`,
      anchors: [
        inv.anchorField('Node', node.object, 'status.conditions[type=Ready].status'),
        inv.anchorField('Node', node.object, 'status.conditions[type=Ready].message'),
      ],
      chain: [...chain, ref, podRef, refOf('Node', node.object)],
      nextActions: [
        {
          description: `Show node ${nodeName}'s conditions and taints (the node-pressure intent diagnoses it)`,
          command: `kubectl describe node ${nodeName}`,
          safety: 'ReadOnly',
        },
      ],
    });
    return true;
  },
});

/** How far a set's pods got: the pod not Ready the longest, for how long (s), and how many pods were followed. */
export interface PodsWaiting {
  readonly waited: number | undefined;
  readonly longest: Pod | undefined;
  readonly followed: number;
}

/**
 * Follows the not-ready pods a StatefulSet / DaemonSet owns into the pod checks (chain workload → Pod),
 * reporting those bound to a node that is not Ready (chain workload → Pod → Node).
 */
export function followPods(s: SetRun): PodsWaiting {
  const { inv } = s;
  const pods = ownedBy<Pod>(inv, 'Pod', 'rollout.pods', s.set);
  let waited: number | undefined;
  let longest: Pod | undefined;
  const unsettled = pods.filter((p) => !podSettled(p, (t) => inv.ageSeconds(t)));
  for (const pod of unsettled) {
    s.ctx.follow('Pod', pod, [...s.chain, s.ref]);
    const ready = conditionOf(pod.status?.conditions, 'Ready');
    const since = inv.ageSeconds(ready?.lastTransitionTime ?? pod.metadata?.creationTimestamp);
    if (since !== undefined && since > (waited ?? -1)) {
      waited = since;
      longest = pod;
    }
    nodeNotReadyRule.run({ ...s, pod });
  }
  return { waited, longest, followed: unsettled.length };
}

// --- how far the rollout got -------------------------------------------------------------------

/** A StatefulSet / DaemonSet rollout with pods not Ready: what the progress rules read. */
export interface SetProgress extends SetRun, PodsWaiting {
  /** "1/2 replicas ready, 2 updated" */
  readonly text: string;
  /** A creation failure was reported: it is why the rollout waits. */
  readonly explained: boolean;
  /** The status field that shows the rollout incomplete. */
  readonly anchor: string;
}

// A pod not Ready for STALL_SECONDS: the rollout is stuck; a finding that is the root only when the pods show no cause of their own.
const stalledRule = defineRule<SetProgress>({
  name: 'rolloutStalled',
  proves: ['RolloutStalled'],
  run: ({ inv, kind, ref, chain, waited, longest, text, anchor, statusAction, describe }) => {
    if (waited === undefined || waited < STALL_SECONDS || longest === undefined) return false;
    const podName = longest.metadata?.name ?? '';
    const ready = conditionOf(longest.status?.conditions, 'Ready');
    inv.report({
      code: 'RolloutStalled',
      severity: 'Warning',
      object: ref,
      confidence: 0.5,
      message: `${kind} ${ref.namespace ?? ''}/${ref.name} is not progressing: ${text}; pod ${podName} has not been Ready since ${ready?.lastTransitionTime ?? longest.metadata?.creationTimestamp ?? '?'}${ready?.reason === undefined ? '' : ` (${said(ready)})`}`,
      anchors: [anchor],
      chain: [...chain, ref],
      nextActions: [
        statusAction,
        describe,
        { description: `Show pod ${podName} and its events`, command: `kubectl describe pod ${podName} -n ${ref.namespace ?? ''}`, safety: 'ReadOnly' },
      ],
    });
    return true;
  },
});

// Pods not Ready for less than STALL_SECONDS are still starting: benign, re-checked when the stall threshold ends.
const setInProgressRule = defineRule<SetProgress>({
  name: 'rolloutInProgress',
  proves: ['RolloutInProgress'],
  run: ({ inv, kind, ref, chain, waited, text, anchor, explained, statusAction, describe }) => {
    // A creation failure already reported is why the rollout waits: no "in progress" beside it.
    if (explained) return false;
    inv.report({
      code: 'RolloutInProgress',
      severity: 'Info',
      object: ref,
      confidence: 0.6,
      benign: true,
      message: `${kind} ${ref.namespace ?? ''}/${ref.name} is rolling out: ${text}`,
      anchors: [anchor],
      chain: [...chain, ref],
      nextActions: [statusAction, describe],
      ...(waited === undefined ? {} : { recheckAfterSeconds: Math.ceil(STALL_SECONDS - waited) + 1 }),
    });
    return true;
  },
});

/** How an incomplete StatefulSet / DaemonSet rollout stands: stalled, else still in progress. */
export const SET_PROGRESS_RULES = [stalledRule, setInProgressRule] as const;

export function reportProgress(progress: SetProgress): void {
  runRules(SET_PROGRESS_RULES, progress);
}
