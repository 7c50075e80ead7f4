import type { NextAction, ObjectRef } from '../../crds/envelope';
import { refOf, type Investigation } from '../investigation';
import { compareStrings, conditionOf, type Condition, type EventRecord, type Node, type Pod } from '../objects';
import type { KubeObject } from '../snapshot';
import type { Check, CheckContext } from './check';
import { newestFailedCreate, ownedBy } from './creators';
import { reportCreateFailure } from './create-failure';
import { podSettled } from './workload';

// Rollout checks: Deployment / StatefulSet / DaemonSet status conditions and the controllers' Events
// (FailedCreate from the ReplicaSet/StatefulSet/DaemonSet controllers), then a hop into the pods.

/** The Deployment controller's default spec.progressDeadlineSeconds. */
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/**
 * StatefulSets and DaemonSets have no progress deadline: a pod not Ready for this long (the
 * Deployment default) counts as a stalled rollout, sooner as one still in progress.
 */
const STALL_SECONDS = DEFAULT_PROGRESS_DEADLINE_SECONDS;
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

interface Deployment extends KubeObject {
  readonly spec?: { readonly replicas?: number; readonly paused?: boolean; readonly progressDeadlineSeconds?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
    readonly conditions?: readonly (Condition & { readonly lastUpdateTime?: string })[];
  };
}

interface ReplicaSet extends KubeObject {
  readonly spec?: { readonly replicas?: number };
  readonly status?: { readonly replicas?: number; readonly readyReplicas?: number };
}

interface StatefulSet extends KubeObject {
  readonly spec?: { readonly replicas?: number; readonly serviceName?: string; readonly updateStrategy?: { readonly type?: string } };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly readyReplicas?: number;
    readonly updatedReplicas?: number;
  };
}

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

interface HeadlessCandidate extends KubeObject {
  readonly spec?: { readonly clusterIP?: string };
}

/** The newest Warning FailedCreate Event about `creator`, if any. */
function failedCreate(inv: Investigation, kind: string, creator: KubeObject): EventRecord | undefined {
  return newestFailedCreate(inv, kind, creator, 'rollout.events');
}

// --- pods of StatefulSets and DaemonSets -------------------------------------------------------

/**
 * Follows the not-ready pods a StatefulSet / DaemonSet owns; a pod bound to a node that is not Ready
 * cannot become Ready itself, and the pod checks do not look at nodes: that node is the cause
 * (NodeNotReady, chain workload → Pod → Node). Returns the pod not Ready the longest, for how long (s),
 * and how many pods were followed.
 */
function followPods(
  ctx: CheckContext,
  kind: string,
  workload: KubeObject,
  chain: readonly ObjectRef[],
): { waited: number | undefined; longest: Pod | undefined; followed: number } {
  const { inv } = ctx;
  const ref = refOf(kind, workload);
  const pods = ownedBy<Pod>(inv, 'Pod', 'rollout.pods', workload);
  let waited: number | undefined;
  let longest: Pod | undefined;
  const unsettled = pods.filter((p) => !podSettled(p, (t) => inv.ageSeconds(t)));
  for (const pod of unsettled) {
    ctx.follow('Pod', pod, [...chain, ref]);
    const ready = conditionOf(pod.status?.conditions, 'Ready');
    const since = inv.ageSeconds(ready?.lastTransitionTime ?? pod.metadata?.creationTimestamp);
    if (since !== undefined && since > (waited ?? -1)) {
      waited = since;
      longest = pod;
    }
    const nodeName = pod.spec?.nodeName ?? '';
    if (nodeName === '') continue;
    const node = inv.get<Node>('Node', 'rollout.nodes', nodeName);
    if (node.state !== 'Found') continue;
    const nodeReady = conditionOf(node.object.status?.conditions, 'Ready');
    if (nodeReady === undefined || nodeReady.status === 'True') continue;
    const podRef = refOf('Pod', pod);
    inv.report({
      code: 'NodeNotReady', severity: 'Critical', object: refOf('Node', node.object), confidence: 0.9,
      message: `Pod ${podRef.namespace ?? ''}/${podRef.name} cannot be Ready: it runs on node ${nodeName}, which is NotReady (Ready=${nodeReady.status ?? '?'}${said(nodeReady) === '' ? '' : `, ${said(nodeReady)}`})${nodeReady.lastTransitionTime === undefined ? '' : ` since ${nodeReady.lastTransitionTime}`}`,
      anchors: [inv.anchorField('Node', node.object, 'status.conditions[type=Ready].status'), inv.anchorField('Node', node.object, 'status.conditions[type=Ready].message')],
      chain: [...chain, ref, podRef, refOf('Node', node.object)],
      nextActions: [{ description: `Show node ${nodeName}'s conditions and taints (the node-pressure intent diagnoses it)`, command: `kubectl describe node ${nodeName}`, safety: 'ReadOnly' }],
    });
  }
  return { waited, longest, followed: unsettled.length };
}

/** "reason: message" of a condition, whichever parts it has. */
function said(condition: Condition): string {
  return [condition.reason, condition.message?.trim()].filter((p) => p !== undefined && p !== '').join(': ');
}

/**
 * A StatefulSet / DaemonSet rollout with pods not Ready: stalled past STALL_SECONDS (a finding that
 * is the root only when the pods show no cause of their own), else still in progress (benign).
 */
function reportIncomplete(
  inv: Investigation,
  kind: string,
  workload: KubeObject,
  chain: readonly ObjectRef[],
  progress: { readonly text: string; readonly waited: number | undefined; readonly longest: Pod | undefined; readonly explained: boolean },
  anchor: string,
  actions: readonly NextAction[],
): void {
  const { waited, longest } = progress;
  const ref = refOf(kind, workload);
  const who = `${kind} ${ref.namespace ?? ''}/${ref.name}`;
  if (waited !== undefined && waited >= STALL_SECONDS && longest !== undefined) {
    const podName = longest.metadata?.name ?? '';
    const ready = conditionOf(longest.status?.conditions, 'Ready');
    inv.report({
      code: 'RolloutStalled', severity: 'Warning', object: ref, confidence: 0.5,
      message: `${who} is not progressing: ${progress.text}; pod ${podName} has not been Ready since ${ready?.lastTransitionTime ?? longest.metadata?.creationTimestamp ?? '?'}${ready?.reason === undefined ? '' : ` (${said(ready)})`}`,
      anchors: [anchor], chain: [...chain, ref],
      nextActions: [...actions, { description: `Show pod ${podName} and its events`, command: `kubectl describe pod ${podName} -n ${ref.namespace ?? ''}`, safety: 'ReadOnly' }],
    });
    return;
  }
  // A creation failure already reported is why the rollout waits: no "in progress" beside it.
  if (progress.explained) return;
  inv.report({
    code: 'RolloutInProgress', severity: 'Info', object: ref, confidence: 0.6, benign: true,
    message: `${who} is rolling out: ${progress.text}`,
    anchors: [anchor], chain: [...chain, ref], nextActions: actions,
    ...(waited === undefined ? {} : { recheckAfterSeconds: Math.ceil(STALL_SECONDS - waited) + 1 }),
  });
}

// --- governing Service of a StatefulSet -----------------------------------------------------------

/**
 * Where a missing governing Service stands among the rollout's causes. The StatefulSet controller
 * creates pods without it, so it never stops pod creation: Only = nothing else is wrong with the
 * rollout; BesidePods = pods are not Ready and their own causes (deeper in the chain) come first;
 * Context = a pod creation failure explains the rollout.
 */
type GoverningServiceRole = 'Only' | 'BesidePods' | 'Context';

const GOVERNING_SERVICE_NOTE: Readonly<Record<GoverningServiceRole, string>> = {
  Only: '',
  BesidePods: '; pods that find their peers by those names cannot become Ready',
  Context: '; pods are created without it, so it does not hold up the rollout',
};

/** The candidate's chain and confidence for its role: Context has no chain, so it is never the root cause. */
function governingServiceChain(role: GoverningServiceRole, toSet: readonly ObjectRef[], service: ObjectRef): { chain?: readonly ObjectRef[]; confidence?: number } {
  switch (role) {
    case 'Only':
      return { chain: [...toSet, service], confidence: 1 };
    // Ending at the StatefulSet keeps any cause a pod check finds (StatefulSet → Pod → ...) further down the chain.
    case 'BesidePods':
      return { chain: toSet, confidence: 0.5 };
    case 'Context':
      return {};
  }
}

// --- checks ------------------------------------------------------------------------------------

function revision(rs: KubeObject): number {
  const value = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isFinite(value) ? value : -1;
}

/** Proves why a Deployment's rollout is stuck: progress deadline, pod creation failures, pause; follows its newest ReplicaSet into the pods. */
export const deploymentRollout: Check = {
  name: 'deployment.rollout',
  subject: 'Deployment',
  codes: ['ProgressDeadlineExceeded', 'WebhookFailing', 'QuotaExceeded', 'PodSecurityRejected', 'PodCreationFailed', 'RolloutPaused', 'RolloutInProgress', 'ReplicasUnavailable'],
  evidence: ['rollout'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const deployment = subject as Deployment;
    const ref = refOf('Deployment', deployment);
    const ns = ref.namespace ?? '';
    const who = `Deployment ${ns}/${ref.name}`;
    inv.note('rollout');
    const status = deployment.status ?? {};
    const desired = deployment.spec?.replicas ?? 1;
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    const replicaFailure = conditionOf(status.conditions, 'ReplicaFailure');
    const deadlineExceeded = progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
    const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
    const complete =
      observed && (status.updatedReplicas ?? 0) >= desired && (status.availableReplicas ?? 0) >= desired && (status.replicas ?? 0) <= desired;
    if (complete && !deadlineExceeded && replicaFailure?.status !== 'True') return;

    const replicaSets = [...ownedBy<ReplicaSet>(inv, 'ReplicaSet', 'rollout.replicasets', deployment)].sort(
      (a, b) => revision(b) - revision(a) || compareStrings(b.metadata?.creationTimestamp ?? '', a.metadata?.creationTimestamp ?? ''),
    );
    const [newest, previous] = replicaSets;
    // readyReplicas counts old and new pods alike: the new ReplicaSet's own count says how far the rollout got.
    const progress =
      newest === undefined
        ? `${status.updatedReplicas ?? 0}/${desired} replicas updated, ${status.readyReplicas ?? 0} ready`
        : `${status.updatedReplicas ?? 0}/${desired} replicas updated (ReplicaSet ${newest.metadata?.name ?? ''}, ${newest.status?.readyReplicas ?? 0} of them ready), ${status.readyReplicas ?? 0} ready in all`;
    const statusAction: NextAction = { description: 'Show the rollout state', command: `kubectl rollout status deployment/${ref.name} -n ${ns}`, safety: 'ReadOnly' };
    const describeNewest: NextAction[] =
      newest === undefined ? [] : [{ description: 'Show the new ReplicaSet and its events', command: `kubectl describe rs ${newest.metadata?.name ?? ''} -n ${ns}`, safety: 'ReadOnly' }];

    // Pod creation failures: Events on ReplicaSets that lack pods, else the Deployment's ReplicaFailure condition.
    const failureAnchor = (): string[] => (replicaFailure?.status === 'True' ? [inv.anchorField('Deployment', deployment, 'status.conditions[type=ReplicaFailure].message')] : []);
    const lacksPods = (rs: ReplicaSet) => (rs.status?.replicas ?? 0) < (rs.spec?.replicas ?? 0) || (rs === newest && replicaFailure?.status === 'True');
    let reported = false;
    for (const rs of replicaSets.filter(lacksPods)) {
      const event = failedCreate(inv, 'ReplicaSet', rs);
      if (event === undefined) continue;
      reported = true;
      reportCreateFailure(inv, {
        creatorKind: 'ReplicaSet', creator: rs, chain: [...chain, ref, refOf('ReplicaSet', rs)], message: event.message,
        anchors: [inv.anchorEvent(event), ...failureAnchor()],
        actions: [{ description: 'Show the ReplicaSet and its events', command: `kubectl describe rs ${rs.metadata?.name ?? ''} -n ${ns}`, safety: 'ReadOnly' }, statusAction],
      });
    }
    if (!reported && replicaFailure?.status === 'True' && replicaFailure.reason === 'FailedCreate') {
      // The Events have expired (1 h by default); the condition carries the same message.
      reportCreateFailure(inv, {
        creatorKind: 'ReplicaSet', creator: newest ?? deployment, chain: [...chain, ref, ...(newest === undefined ? [] : [refOf('ReplicaSet', newest)])],
        message: replicaFailure.message ?? '', anchors: failureAnchor(), actions: [...describeNewest, statusAction],
      });
    }

    if (deployment.spec?.paused === true) {
      inv.report({
        code: 'RolloutPaused', severity: 'Warning', object: ref, confidence: 0.9,
        message: `${who} is paused: the controller does not roll out template changes until it is resumed (${progress})`,
        anchors: [inv.anchorField('Deployment', deployment, 'spec.paused')], chain: [...chain, ref],
        nextActions: [statusAction, { description: 'Resume the rollout (the controller starts replacing pods with the current template)', command: `kubectl rollout resume deployment/${ref.name} -n ${ns}`, safety: 'Mutating' }],
      });
    } else if (deadlineExceeded) {
      const deadline = deployment.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
      const undo: NextAction[] =
        previous === undefined
          ? []
          : [{
              description: `Roll back to the previous ReplicaSet ${previous.metadata?.name ?? ''} (revision ${revision(previous)}) if the new revision is at fault`,
              command: `kubectl rollout undo deployment/${ref.name} -n ${ns}`,
              safety: 'Mutating',
            }];
      // What the new pods' Ready condition says is the best the rollout itself can tell when no pod check knows more.
      const stuck = newest === undefined ? undefined : ownedBy<Pod>(inv, 'Pod', 'rollout.pods', newest).find((p) => !podSettled(p, (t) => inv.ageSeconds(t)));
      const stuckReady = stuck === undefined ? undefined : conditionOf(stuck.status?.conditions, 'Ready');
      const stuckText = stuckReady?.reason === undefined ? '' : `; e.g. Pod ${stuck?.metadata?.name ?? ''} is not Ready (${said(stuckReady)})`;
      inv.report({
        code: 'ProgressDeadlineExceeded', severity: 'Critical', object: ref, confidence: 0.6,
        message: `${who} made no progress within its ${deadline}s progress deadline${progressing.message === undefined ? '' : ` (${progressing.message.trim()})`}: ${progress}${stuckText}`,
        anchors: [
          inv.anchorField('Deployment', deployment, 'status.conditions[type=Progressing].reason'),
          inv.anchorField('Deployment', deployment, 'status.conditions[type=Progressing].message'),
          ...(stuck === undefined || stuckText === '' ? [] : [inv.anchorField('Pod', stuck, 'status.conditions[type=Ready].message')]),
        ],
        chain: [...chain, ref],
        nextActions: [statusAction, ...describeNewest, ...undo],
      });
    } else if (progressing?.reason === 'NewReplicaSetAvailable' && observed && (status.updatedReplicas ?? 0) >= desired) {
      // The rollout finished; replicas were lost since (a node, a crash): the pods say why, if anything does.
      inv.report({
        code: 'ReplicasUnavailable', severity: 'Warning', object: ref,
        message: `${who} finished its rollout but has ${status.availableReplicas ?? 0}/${desired} replicas available`,
        anchors: [inv.anchorField('Deployment', deployment, 'status.availableReplicas')],
        nextActions: [statusAction, ...describeNewest],
      });
    } else if (!complete && !reported) {
      const deadline = deployment.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
      const since = inv.ageSeconds(progressing?.lastUpdateTime);
      const left = since === undefined ? undefined : deadline - since;
      inv.report({
        code: 'RolloutInProgress', severity: 'Info', object: ref, confidence: 0.6, benign: true,
        message: `${who} is rolling out: ${progress}${left === undefined || left <= 0 ? '' : `; its progress deadline (${deadline}s after ${progressing?.lastUpdateTime ?? '?'}) has not passed`}`,
        anchors: [inv.anchorField('Deployment', deployment, progressing === undefined ? 'status.updatedReplicas' : 'status.conditions[type=Progressing].reason')],
        chain: [...chain, ref],
        nextActions: [statusAction, ...describeNewest],
        ...(left === undefined || left <= 0 ? {} : { recheckAfterSeconds: Math.ceil(left) + 1 }),
      });
    }
    // The newest ReplicaSet's not-ready pods carry the cause the rollout is waiting on.
    if (newest !== undefined && !complete) ctx.follow('ReplicaSet', newest, [...chain, ref]);
  },
};

/** Proves why a StatefulSet's rollout is stuck: its governing Service, pod creation failures; follows its not-ready pods. */
export const statefulSetRollout: Check = {
  name: 'statefulset.rollout',
  subject: 'StatefulSet',
  codes: ['StatefulSetServiceMissing', 'WebhookFailing', 'QuotaExceeded', 'PodSecurityRejected', 'PodCreationFailed', 'NodeNotReady', 'RolloutStalled', 'RolloutInProgress'],
  evidence: ['rollout'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const set = subject as StatefulSet;
    const ref = refOf('StatefulSet', set);
    const ns = ref.namespace ?? '';
    const who = `StatefulSet ${ns}/${ref.name}`;
    inv.note('rollout');
    const status = set.status ?? {};
    const desired = set.spec?.replicas ?? 1;
    const onDelete = set.spec?.updateStrategy?.type === 'OnDelete';
    const observed = (status.observedGeneration ?? 0) >= (set.metadata?.generation ?? 0);
    const complete = observed && (status.readyReplicas ?? 0) >= desired && (onDelete || (status.updatedReplicas ?? 0) >= desired);
    const statusAction: NextAction = { description: 'Show the rollout state', command: `kubectl rollout status statefulset/${ref.name} -n ${ns}`, safety: 'ReadOnly' };
    const describe: NextAction = { description: 'Show the StatefulSet and its events', command: `kubectl describe statefulset ${ref.name} -n ${ns}`, safety: 'ReadOnly' };

    // The governing Service gives each pod its stable DNS name; the controller creates pods without it.
    const serviceName = set.spec?.serviceName ?? '';
    const serviceMissing = serviceName !== '' && inv.get<HeadlessCandidate>('Service', 'rollout.service', serviceName, ns).state === 'Absent';
    const reportServiceMissing = (role: GoverningServiceRole) => {
      const serviceRef = refOf('Service', undefined, { name: serviceName, namespace: ns });
      inv.report({
        code: 'StatefulSetServiceMissing', severity: 'Warning', object: ref,
        message: `${who} names governing Service "${serviceName}" (spec.serviceName), which does not exist: its pods get no stable DNS names (<pod>.${serviceName}.${ns}.svc)${GOVERNING_SERVICE_NOTE[role]}`,
        anchors: [inv.anchorField('StatefulSet', set, 'spec.serviceName')],
        ...governingServiceChain(role, [...chain, ref], serviceRef),
        nextActions: [
          { description: 'List the Services in the namespace; create the headless Service (clusterIP: None) the StatefulSet names', command: `kubectl get services -n ${ns}`, safety: 'ReadOnly' },
          describe,
        ],
      });
    };
    if (complete) {
      if (serviceMissing) reportServiceMissing('Only');
      return;
    }

    let explained = false;
    if ((status.replicas ?? 0) < desired) {
      const event = failedCreate(inv, 'StatefulSet', set);
      explained = event !== undefined;
      if (event !== undefined) {
        reportCreateFailure(inv, { creatorKind: 'StatefulSet', creator: set, chain: [...chain, ref], message: event.message, anchors: [inv.anchorEvent(event)], actions: [describe, statusAction] });
      }
    }
    const { waited, longest, followed } = followPods(ctx, 'StatefulSet', set, chain);
    if (serviceMissing) reportServiceMissing(explained ? 'Context' : followed > 0 ? 'BesidePods' : 'Only');
    const progress = `${status.readyReplicas ?? 0}/${desired} replicas ready${onDelete ? '' : `, ${status.updatedReplicas ?? 0} updated`}`;
    reportIncomplete(inv, 'StatefulSet', set, chain, { text: progress, waited, longest, explained }, inv.anchorField('StatefulSet', set, 'status.readyReplicas'), [statusAction, describe]);
  },
};

/** Proves why a DaemonSet's rollout is stuck: pod creation failures; follows its not-ready pods. */
export const daemonSetRollout: Check = {
  name: 'daemonset.rollout',
  subject: 'DaemonSet',
  codes: ['WebhookFailing', 'QuotaExceeded', 'PodSecurityRejected', 'PodCreationFailed', 'NodeNotReady', 'RolloutStalled', 'RolloutInProgress'],
  evidence: ['rollout'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const set = subject as DaemonSet;
    const ref = refOf('DaemonSet', set);
    const ns = ref.namespace ?? '';
    inv.note('rollout');
    const status = set.status ?? {};
    const desired = status.desiredNumberScheduled ?? 0;
    const onDelete = set.spec?.updateStrategy?.type === 'OnDelete';
    const observed = (status.observedGeneration ?? 0) >= (set.metadata?.generation ?? 0);
    const complete =
      observed && (status.numberUnavailable ?? 0) === 0 && (status.numberReady ?? 0) >= desired && (onDelete || (status.updatedNumberScheduled ?? 0) >= desired);
    if (complete) return;
    const statusAction: NextAction = { description: 'Show the rollout state', command: `kubectl rollout status daemonset/${ref.name} -n ${ns}`, safety: 'ReadOnly' };
    const describe: NextAction = { description: 'Show the DaemonSet and its events', command: `kubectl describe daemonset ${ref.name} -n ${ns}`, safety: 'ReadOnly' };

    let explained = false;
    if ((status.currentNumberScheduled ?? 0) < desired) {
      const event = failedCreate(inv, 'DaemonSet', set);
      explained = event !== undefined;
      if (event !== undefined) {
        reportCreateFailure(inv, { creatorKind: 'DaemonSet', creator: set, chain: [...chain, ref], message: event.message, anchors: [inv.anchorEvent(event)], actions: [describe, statusAction] });
      }
    }
    const { waited, longest } = followPods(ctx, 'DaemonSet', set, chain);
    const progress = `${status.numberReady ?? 0}/${desired} pods ready, ${status.numberUnavailable ?? 0} unavailable${onDelete ? '' : `, ${status.updatedNumberScheduled ?? 0} updated`}`;
    reportIncomplete(inv, 'DaemonSet', set, chain, { text: progress, waited, longest, explained }, inv.anchorField('DaemonSet', set, 'status.numberUnavailable'), [statusAction, describe]);
  },
};

/** Proves why a rollout does not progress, and follows its not-ready pods into their own causes. */
export const rolloutChecks: readonly Check[] = [deploymentRollout, statefulSetRollout, daemonSetRollout];
