import type { ObjectRef } from '../../crds/envelope';
import { refOf } from '../investigation';
import type { KubeObject } from '../snapshot';
import { codesOf, defineRule, type Check } from './check';
import { followPods, nodeNotReadyRule, reportProgress, SET_PROGRESS_RULES, setCreateFailureRule, setRun, type SetRun } from './rollout-pods';

// Why a StatefulSet's rollout is stuck: its governing Service, pod creation failures, its not-Ready pods.

interface StatefulSet extends KubeObject {
  readonly spec?: { readonly replicas?: number; readonly serviceName?: string; readonly updateStrategy?: { readonly type?: string } };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly readyReplicas?: number;
    readonly updatedReplicas?: number;
  };
}

interface HeadlessCandidate extends KubeObject {
  readonly spec?: { readonly clusterIP?: string };
}

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
function governingServiceChain(
  role: GoverningServiceRole,
  toSet: readonly ObjectRef[],
  service: ObjectRef,
): { chain?: readonly ObjectRef[]; confidence?: number } {
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

/** What the StatefulSet rules share: SetRun, the governing Service it names, and whether that Service is missing. */
interface StatefulSetRun extends SetRun {
  readonly set: StatefulSet;
  readonly serviceName: string;
  readonly serviceMissing: boolean;
}

// The governing Service gives each pod its stable DNS name (<pod>.<service>.<ns>.svc); the controller creates pods without it.
const governingServiceRule = defineRule<StatefulSetRun & { readonly role: GoverningServiceRole }>({
  name: 'governingServiceMissing',
  proves: ['StatefulSetServiceMissing'],
  run: ({ inv, set, ref, ns, chain, serviceName, serviceMissing, role, describe }) => {
    if (!serviceMissing) return false;
    const serviceRef = refOf('Service', undefined, { name: serviceName, namespace: ns });
    inv.report({
      code: 'StatefulSetServiceMissing',
      severity: 'Warning',
      object: ref,
      message: `StatefulSet ${ns}/${ref.name} names governing Service "${serviceName}" (spec.serviceName), which does not exist: its pods get no stable DNS names (<pod>.${serviceName}.${ns}.svc)${GOVERNING_SERVICE_NOTE[role]}`,
      anchors: [inv.anchorField('StatefulSet', set, 'spec.serviceName')],
      ...governingServiceChain(role, [...chain, ref], serviceRef),
      nextActions: [
        {
          description: 'List the Services in the namespace; create the headless Service (clusterIP: None) the StatefulSet names',
          command: `kubectl get services -n ${ns}`,
          safety: 'ReadOnly',
        },
        describe,
      ],
    });
    return true;
  },
});

/** The rollout is done: every replica Ready, and updated unless the update strategy leaves that to whoever deletes pods. */
function rolloutComplete(set: StatefulSet): boolean {
  const status = set.status ?? {};
  const desired = set.spec?.replicas ?? 1;
  const onDelete = set.spec?.updateStrategy?.type === 'OnDelete';
  const observed = (status.observedGeneration ?? 0) >= (set.metadata?.generation ?? 0);
  return observed && (status.readyReplicas ?? 0) >= desired && (onDelete || (status.updatedReplicas ?? 0) >= desired);
}

function progressText(set: StatefulSet): string {
  const status = set.status ?? {};
  const onDelete = set.spec?.updateStrategy?.type === 'OnDelete';
  return `${status.readyReplicas ?? 0}/${set.spec?.replicas ?? 1} replicas ready${onDelete ? '' : `, ${status.updatedReplicas ?? 0} updated`}`;
}

/** Proves why a StatefulSet's rollout is stuck: its governing Service, pod creation failures; follows its not-ready pods. */
export const statefulSetRollout: Check = {
  name: 'statefulset.rollout',
  subject: 'StatefulSet',
  codes: codesOf([governingServiceRule, setCreateFailureRule, nodeNotReadyRule, ...SET_PROGRESS_RULES]),
  evidence: ['rollout'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const set = subject as StatefulSet;
    inv.note('rollout');
    const short = (set.status?.replicas ?? 0) < (set.spec?.replicas ?? 1);
    const base = setRun(ctx, 'StatefulSet', set, chain, short);
    const serviceName = set.spec?.serviceName ?? '';
    const serviceMissing = serviceName !== '' && inv.get<HeadlessCandidate>('Service', 'rollout.service', serviceName, base.ns).state === 'Absent';
    const s: StatefulSetRun = { ...base, set, serviceName, serviceMissing };
    if (rolloutComplete(set)) {
      governingServiceRule.run({ ...s, role: 'Only' });
      return;
    }
    const explained = setCreateFailureRule.run(s);
    const pods = followPods(s);
    governingServiceRule.run({ ...s, role: explained ? 'Context' : pods.followed > 0 ? 'BesidePods' : 'Only' });
    reportProgress({ ...s, ...pods, text: progressText(set), explained, anchor: inv.anchorField('StatefulSet', set, 'status.readyReplicas') });
  },
};
