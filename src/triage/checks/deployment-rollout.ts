import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { compareStrings, conditionOf, type Condition, type Pod } from '../objects';
import type { KubeObject } from '../snapshot';
import { codesOf, defineRule, runRules, type Check } from './check';
import { ownedBy } from './creators';
import { CREATE_FAILURE_CODES, reportCreateFailure } from './create-failure';
import { DEFAULT_PROGRESS_DEADLINE_SECONDS, failedCreate, said } from './rollout-pods';
import { podSettled } from './workload';

// Why a Deployment's rollout is stuck, from its status conditions (Progressing, ReplicaFailure) and
// its ReplicaSets' FailedCreate Events; the newest ReplicaSet is followed into its pods.

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

type DeploymentCondition = Condition & { readonly lastUpdateTime?: string };

interface Deployment extends KubeObject {
  readonly spec?: { readonly replicas?: number; readonly paused?: boolean; readonly progressDeadlineSeconds?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
    readonly conditions?: readonly DeploymentCondition[];
  };
}

interface ReplicaSet extends KubeObject {
  readonly spec?: { readonly replicas?: number };
  readonly status?: { readonly replicas?: number; readonly readyReplicas?: number };
}

function revision(rs: KubeObject): number {
  const value = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isFinite(value) ? value : -1;
}

/** What the Deployment controller's status says of the rollout. */
interface RolloutState {
  readonly desired: number;
  readonly progressing: DeploymentCondition | undefined;
  /** ReplicaFailure=True: the controller could not create pods of a ReplicaSet. */
  readonly replicaFailure: DeploymentCondition | undefined;
  /** Progressing=False, ProgressDeadlineExceeded: the controller gave up waiting. */
  readonly deadlineExceeded: boolean;
  /** The controller has seen the latest spec. */
  readonly observed: boolean;
  /** Every replica updated and available, and no old one left over. */
  readonly complete: boolean;
}

function rolloutState(deployment: Deployment): RolloutState {
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? 1;
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  const failure = conditionOf(status.conditions, 'ReplicaFailure');
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  return {
    desired,
    progressing,
    observed,
    replicaFailure: failure?.status === 'True' ? failure : undefined,
    deadlineExceeded: progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded',
    complete: observed && (status.updatedReplicas ?? 0) >= desired && (status.availableReplicas ?? 0) >= desired && (status.replicas ?? 0) <= desired,
  };
}

/** What the Deployment rules share: its state, its ReplicaSets newest first, and the actions its findings offer. */
interface DeploymentRun extends RolloutState {
  readonly inv: Investigation;
  readonly deployment: Deployment;
  readonly ref: ObjectRef;
  readonly ns: string;
  /** "Deployment shop/api" */
  readonly who: string;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  /** By revision, newest first. */
  readonly replicaSets: readonly ReplicaSet[];
  readonly newest: ReplicaSet | undefined;
  readonly previous: ReplicaSet | undefined;
  /** "1/2 replicas updated (ReplicaSet api-2, 0 of them ready), 2 ready in all" */
  readonly progress: string;
  readonly statusAction: NextAction;
  /** Describe the newest ReplicaSet, when there is one. */
  readonly describeNewest: readonly NextAction[];
}

function deploymentRun(inv: Investigation, deployment: Deployment, chain: readonly ObjectRef[], state: RolloutState): DeploymentRun {
  const ref = refOf('Deployment', deployment);
  const ns = ref.namespace ?? '';
  const status = deployment.status ?? {};
  const replicaSets = [...ownedBy<ReplicaSet>(inv, 'ReplicaSet', 'rollout.replicasets', deployment)].sort(
    (a, b) => revision(b) - revision(a) || compareStrings(b.metadata?.creationTimestamp ?? '', a.metadata?.creationTimestamp ?? ''),
  );
  const [newest, previous] = replicaSets;
  const updated = `${status.updatedReplicas ?? 0}/${state.desired} replicas updated`;
  // readyReplicas counts old and new pods alike: the new ReplicaSet's own count says how far the rollout got.
  const progress =
    newest === undefined
      ? `${updated}, ${status.readyReplicas ?? 0} ready`
      : `${updated} (ReplicaSet ${newest.metadata?.name ?? ''}, ${newest.status?.readyReplicas ?? 0} of them ready), ${status.readyReplicas ?? 0} ready in all`;
  return {
    ...state,
    inv,
    deployment,
    ref,
    ns,
    who: `Deployment ${ns}/${ref.name}`,
    chain,
    replicaSets,
    newest,
    previous,
    progress,
    statusAction: { description: 'Show the rollout state', command: `kubectl rollout status deployment/${ref.name} -n ${ns}`, safety: 'ReadOnly' },
    describeNewest:
      newest === undefined
        ? []
        : [
            {
              description: 'Show the new ReplicaSet and its events',
              command: `kubectl describe rs ${newest.metadata?.name ?? ''} -n ${ns}`,
              safety: 'ReadOnly',
            },
          ],
  };
}

/** The ReplicaFailure condition's message as an anchor, when the condition holds. */
function failureAnchor(d: DeploymentRun): string[] {
  return d.replicaFailure === undefined ? [] : [d.inv.anchorField('Deployment', d.deployment, 'status.conditions[type=ReplicaFailure].message')];
}

// A ReplicaSet short of pods with a FailedCreate: the apiserver refused its pods (webhook, quota, PodSecurity); each such ReplicaSet is reported.
const failedCreateRule = defineRule<DeploymentRun>({
  name: 'failedCreate',
  proves: CREATE_FAILURE_CODES,
  run: (d) => {
    const { inv, ns } = d;
    const lacksPods = (rs: ReplicaSet) => (rs.status?.replicas ?? 0) < (rs.spec?.replicas ?? 0) || (rs === d.newest && d.replicaFailure !== undefined);
    let reported = false;
    for (const rs of d.replicaSets.filter(lacksPods)) {
      const event = failedCreate(inv, 'ReplicaSet', rs);
      if (event === undefined) continue;
      reported = true;
      reportCreateFailure(inv, {
        creatorKind: 'ReplicaSet',
        creator: rs,
        chain: [...d.chain, d.ref, refOf('ReplicaSet', rs)],
        message: event.message,
        anchors: [inv.anchorEvent(event), ...failureAnchor(d)],
        actions: [
          { description: 'Show the ReplicaSet and its events', command: `kubectl describe rs ${rs.metadata?.name ?? ''} -n ${ns}`, safety: 'ReadOnly' },
          d.statusAction,
        ],
      });
    }
    return reported;
  },
});

// ReplicaFailure=True, reason FailedCreate: the Events have expired (1 h by default), and the condition carries the same message.
const replicaFailureRule = defineRule<DeploymentRun>({
  name: 'replicaFailure',
  proves: CREATE_FAILURE_CODES,
  run: (d) => {
    const { newest, replicaFailure } = d;
    if (replicaFailure?.reason !== 'FailedCreate') return false;
    reportCreateFailure(d.inv, {
      creatorKind: 'ReplicaSet',
      creator: newest ?? d.deployment,
      chain: [...d.chain, d.ref, ...(newest === undefined ? [] : [refOf('ReplicaSet', newest)])],
      message: replicaFailure.message ?? '',
      anchors: failureAnchor(d),
      actions: [...d.describeNewest, d.statusAction],
    });
    return true;
  },
});

/** Why the new pods were not created: the FailedCreate Events, else the ReplicaFailure condition. */
const POD_CREATION_RULES = [failedCreateRule, replicaFailureRule];

/** The state rules see whether a FailedCreate Event was reported: it already explains a rollout that waits. */
interface DeploymentState extends DeploymentRun {
  readonly createFailed: boolean;
}

// A paused Deployment's controller rolls out no template change (and counts no deadline) until it is resumed.
const pausedRule = defineRule<DeploymentState>({
  name: 'rolloutPaused',
  proves: ['RolloutPaused'],
  run: ({ inv, deployment, ref, ns, who, chain, progress, statusAction }) => {
    if (deployment.spec?.paused !== true) return false;
    inv.report({
      code: 'RolloutPaused',
      severity: 'Warning',
      object: ref,
      confidence: 0.9,
      message: `${who} is paused: the controller does not roll out template changes until it is resumed (${progress})`,
      anchors: [inv.anchorField('Deployment', deployment, 'spec.paused')],
      chain: [...chain, ref],
      nextActions: [
        statusAction,
        {
          description: 'Resume the rollout (the controller starts replacing pods with the current template)',
          command: `kubectl rollout resume deployment/${ref.name} -n ${ns}`,
          safety: 'Mutating',
        },
      ],
    });
    return true;
  },
});

/** Roll back to the previous ReplicaSet, when there is one. */
function undoAction(d: DeploymentRun): NextAction[] {
  const { previous, ref } = d;
  if (previous === undefined) return [];
  return [
    {
      description: `Roll back to the previous ReplicaSet ${previous.metadata?.name ?? ''} (revision ${revision(previous)}) if the new revision is at fault`,
      command: `kubectl rollout undo deployment/${ref.name} -n ${d.ns}`,
      safety: 'Mutating',
    },
  ];
}

/** A not-Ready pod of the newest ReplicaSet whose Ready condition gives a reason, with that condition. */
function stuckPod(d: DeploymentRun): { readonly pod: Pod; readonly ready: Condition } | undefined {
  const { inv, newest } = d;
  const pod = newest === undefined ? undefined : ownedBy<Pod>(inv, 'Pod', 'rollout.pods', newest).find((p) => !podSettled(p, (t) => inv.ageSeconds(t)));
  const ready = pod === undefined ? undefined : conditionOf(pod.status?.conditions, 'Ready');
  return pod === undefined || ready?.reason === undefined ? undefined : { pod, ready };
}

// Progressing=False, ProgressDeadlineExceeded: the controller saw no progress for progressDeadlineSeconds; the new pods say why.
const deadlineRule = defineRule<DeploymentState>({
  name: 'progressDeadlineExceeded',
  proves: ['ProgressDeadlineExceeded'],
  run: (d) => {
    const { inv, deployment, ref, progressing } = d;
    if (!d.deadlineExceeded || progressing === undefined) return false;
    const deadline = deployment.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
    // What the new pods' Ready condition says is the best the rollout itself can tell when no pod check knows more.
    const stuck = stuckPod(d);
    inv.report({
      code: 'ProgressDeadlineExceeded',
      severity: 'Critical',
      object: ref,
      confidence: 0.6,
      message: `${d.who} made no progress within its ${deadline}s progress deadline${progressing.message === undefined ? '' : ` (${progressing.message.trim()})`}: ${d.progress}${stuck === undefined ? '' : `; e.g. Pod ${stuck.pod.metadata?.name ?? ''} is not Ready (${said(stuck.ready)})`}`,
      anchors: [
        inv.anchorField('Deployment', deployment, 'status.conditions[type=Progressing].reason'),
        inv.anchorField('Deployment', deployment, 'status.conditions[type=Progressing].message'),
        ...(stuck === undefined ? [] : [inv.anchorField('Pod', stuck.pod, 'status.conditions[type=Ready].message')]),
      ],
      chain: [...d.chain, ref],
      nextActions: [d.statusAction, ...d.describeNewest, ...undoAction(d)],
    });
    return true;
  },
});

// Progressing NewReplicaSetAvailable: the rollout finished, and replicas were lost since (a node, a crash); the pods say why, if anything does.
const replicasUnavailableRule = defineRule<DeploymentState>({
  name: 'replicasUnavailable',
  proves: ['ReplicasUnavailable'],
  run: ({ inv, deployment, ref, who, progressing, observed, desired, statusAction, describeNewest }) => {
    const status = deployment.status ?? {};
    if (progressing?.reason !== 'NewReplicaSetAvailable' || !observed || (status.updatedReplicas ?? 0) < desired) return false;
    inv.report({
      code: 'ReplicasUnavailable',
      severity: 'Warning',
      object: ref,
      message: `${who} finished its rollout but has ${status.availableReplicas ?? 0}/${desired} replicas available`,
      anchors: [inv.anchorField('Deployment', deployment, 'status.availableReplicas')],
      nextActions: [statusAction, ...describeNewest],
    });
    return true;
  },
});

// Within its progress deadline the controller is still replacing pods: benign, re-checked when the deadline passes.
const inProgressRule = defineRule<DeploymentState>({
  name: 'rolloutInProgress',
  proves: ['RolloutInProgress'],
  run: ({ inv, deployment, ref, who, chain, progressing, complete, createFailed, progress, statusAction, describeNewest }) => {
    // A creation failure already reported is why the rollout waits: no "in progress" beside it.
    if (complete || createFailed) return false;
    const deadline = deployment.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
    const since = inv.ageSeconds(progressing?.lastUpdateTime);
    const left = since === undefined ? undefined : deadline - since;
    const pending = left !== undefined && !(left <= 0);
    inv.report({
      code: 'RolloutInProgress',
      severity: 'Info',
      object: ref,
      confidence: 0.6,
      benign: true,
      message: `${who} is rolling out: ${progress}${pending ? `; its progress deadline (${deadline}s after ${progressing?.lastUpdateTime ?? '?'}) has not passed` : ''}`,
      anchors: [inv.anchorField('Deployment', deployment, progressing === undefined ? 'status.updatedReplicas' : 'status.conditions[type=Progressing].reason')],
      chain: [...chain, ref],
      nextActions: [statusAction, ...describeNewest],
      ...(pending ? { recheckAfterSeconds: Math.ceil(left) + 1 } : {}),
    });
    return true;
  },
});

/** Where the rollout stands, first that holds: a pause, a passed deadline, replicas lost after it finished, still in progress. */
const DEPLOYMENT_STATE_RULES = [pausedRule, deadlineRule, replicasUnavailableRule, inProgressRule];

/** Proves why a Deployment's rollout is stuck: progress deadline, pod creation failures, pause; follows its newest ReplicaSet into the pods. */
export const deploymentRollout: Check = {
  name: 'deployment.rollout',
  subject: 'Deployment',
  codes: codesOf([...POD_CREATION_RULES, ...DEPLOYMENT_STATE_RULES]),
  evidence: ['rollout'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const deployment = subject as Deployment;
    inv.note('rollout');
    const state = rolloutState(deployment);
    if (state.complete && !state.deadlineExceeded && state.replicaFailure === undefined) return;
    const d = deploymentRun(inv, deployment, chain, state);
    // Creation failures do not end the chain: a pause or a passed deadline is news beside them, only "in progress" would restate them.
    const createFailed = failedCreateRule.run(d);
    if (!createFailed) replicaFailureRule.run(d);
    // As the check always has, only a FailedCreate Event (not the ReplicaFailure condition alone) keeps "in progress" quiet.
    runRules(DEPLOYMENT_STATE_RULES, { ...d, createFailed });
    // The newest ReplicaSet's not-ready pods carry the cause the rollout is waiting on.
    if (d.newest !== undefined && !d.complete) ctx.follow('ReplicaSet', d.newest, [...chain, d.ref]);
  },
};
