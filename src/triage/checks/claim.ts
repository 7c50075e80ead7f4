import type { NextAction, ObjectRef } from '../../crds/envelope';
import { INDEX } from '../snapshot';
import { refOf, type Investigation, type Lookup } from '../investigation';
import { annotation, type EventRecord, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '../objects';
import { isTopologyFailure, saysClassNotFound } from '../provisioner-message';
import { codesOf, defineRule, runRules, type Check, type CheckContext, type Rule } from './check';
import { describeMisfits, describeWanted, reservedFor, staticCandidates, type Candidate, type SelectingClaim } from './static-binding';

const KIND = 'PersistentVolumeClaim';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** Kubernetes still honours the beta key (IsDefaultAnnotation in pkg/volume/util). */
const DEFAULT_CLASS_ANNOTATIONS = [DEFAULT_CLASS_ANNOTATION, 'storageclass.beta.kubernetes.io/is-default-class'] as const;
/** How long an external provisioner may take to start before it counts as not running. */
const PROVISIONER_GRACE_SECONDS = 30;

/** The annotation key that marks a StorageClass as the default, if one does. */
function defaultClassAnnotation(storageClass: StorageClass): string | undefined {
  return DEFAULT_CLASS_ANNOTATIONS.find((key) => annotation(storageClass, key) === 'true');
}

/** The anchor on the first reason the first considered PV does not fit. */
function misfitAnchors(inv: Investigation, claim: PersistentVolumeClaim, candidates: readonly Candidate[]): string[] {
  const first = candidates[0];
  const misfit = first?.misfits[0];
  if (first === undefined || misfit === undefined) return [];
  return [misfit.on === 'claim' ? inv.anchorField(KIND, claim, misfit.field) : inv.anchorField('PersistentVolume', first.volume, misfit.field)];
}

/** What the claim's rules share: the claim, how it was reached, its events and the volume it names. */
interface ClaimRun {
  readonly ctx: CheckContext;
  readonly inv: Investigation;
  readonly claim: SelectingClaim;
  readonly ref: ObjectRef;
  readonly name: string;
  readonly namespace: string;
  /** How it was reached, without it. */
  readonly chain: readonly ObjectRef[];
  readonly events: readonly EventRecord[];
  /** spec.volumeName; '' when the claim names no volume. */
  readonly volumeName: string;
  /** The lookup of that volume; undefined when the claim names none. */
  readonly volume: Lookup<PersistentVolume> | undefined;
  readonly volumeObject: PersistentVolume | undefined;
  readonly volumeRef: ObjectRef;
  readonly describe: NextAction;
}

/** Static binding's view: the PVs it considers for the claim, each with why it does not fit. */
interface StaticRun extends ClaimRun {
  readonly candidates: readonly Candidate[];
}

/** A claim that names no class: it binds statically to a class-less PV unless a default class is assigned to it. */
interface ClasslessRun extends StaticRun {
  /** Class "" asks for class-less PVs only, so StorageClasses are not read. */
  readonly explicitStatic: boolean;
  /** undefined when StorageClasses could not be read. */
  readonly classes: readonly StorageClass[] | undefined;
  readonly defaults: readonly StorageClass[];
}

/** A claim that names a StorageClass which does not exist: only PVs of that class name can still serve it. */
interface MissingClassRun extends StaticRun {
  readonly className: string;
  readonly volumesReadable: boolean;
}

/** A claim whose StorageClass exists: its binding mode and provisioner decide. */
interface ProvisionRun extends ClaimRun {
  readonly className: string;
  readonly storageClass: StorageClass;
  readonly classRef: ObjectRef;
}

const LIST_VOLUMES: NextAction = {
  description: 'List PersistentVolumes with their class, size, modes and status',
  command: 'kubectl get pv',
  safety: 'ReadOnly',
};

/** The newest event of a reason about the claim, as an anchor (none when there is no such event). */
function eventAnchors(c: ClaimRun, reason: string): string[] {
  return c.events
    .filter((e) => e.reason === reason)
    .slice(0, 1)
    .map((e) => c.inv.anchorEvent(e));
}

const classAnchor = (c: ClaimRun): string => c.inv.anchorField(KIND, c.claim, 'spec.storageClassName');

/** Where a Lost claim's volume stands: bound to another claim, naming this one without its uid, or neither (gone, unreadable). */
type LostVolume =
  | {
      readonly state: 'elsewhere' | 'reservedByName';
      readonly volume: PersistentVolume;
      readonly claimRef: NonNullable<NonNullable<PersistentVolume['spec']>['claimRef']>;
    }
  | { readonly state: 'lost' };

function lostVolumeOf(c: ClaimRun): LostVolume {
  const volume = c.volumeObject;
  const claimRef = volume?.spec?.claimRef;
  if (volume === undefined || claimRef === undefined) return { state: 'lost' };
  // The volume survives but serves another claim: a different fix than a deleted volume.
  if (!reservedFor(volume, c.claim)) return { state: 'elsewhere', volume, claimRef };
  // A uid-less claimRef names this claim, yet syncBoundClaim compares uids: the claim stays Lost until the uid is set.
  return (claimRef.uid ?? '') === '' ? { state: 'reservedByName', volume, claimRef } : { state: 'lost' };
}

function lostMessage(c: ClaimRun, lost: LostVolume): string {
  const claim = `PersistentVolumeClaim ${c.namespace}/${c.name}`;
  if (lost.state === 'elsewhere') {
    const { claimRef } = lost;
    const holder = `${claimRef.namespace ?? ''}/${claimRef.name ?? ''}`;
    const sameNameOtherUid = claimRef.namespace === c.namespace && claimRef.name === c.name;
    return `${claim} lost PersistentVolume ${c.volumeName}: the volume exists but is now bound to ${sameNameOtherUid ? `an earlier claim named ${holder} (uid ${claimRef.uid ?? ''})` : holder}`;
  }
  if (lost.state === 'reservedByName') {
    return `${claim} is Lost although PersistentVolume ${c.volumeName} exists: its claimRef names this claim without the claim's uid, which the PV controller treats as another claimant, so it does not bind them again`;
  }
  return `${claim} lost its PersistentVolume ${c.volumeName}${c.volume?.state === 'Absent' ? ', which no longer exists' : ''}`;
}

// Phase Lost: the PV controller found the bound volume gone or serving another claim, and never rebinds by itself.
const claimLostRule = defineRule<ClaimRun>({
  name: 'claimLost',
  proves: ['ClaimLost'],
  run(c) {
    if (c.claim.status?.phase !== 'Lost') return false;
    const { inv } = c;
    const lost = lostVolumeOf(c);
    inv.report({
      code: 'ClaimLost',
      severity: 'Critical',
      object: c.ref,
      confidence: 1,
      message: lostMessage(c, lost),
      anchors: [
        inv.anchorField(KIND, c.claim, 'status.phase'),
        ...(lost.state === 'lost' ? [] : [inv.anchorField('PersistentVolume', lost.volume, 'spec.claimRef')]),
        ...eventAnchors(c, lost.state === 'elsewhere' ? 'ClaimMisbound' : 'ClaimLost'),
      ],
      chain: [...c.chain, c.ref, c.volumeRef],
      nextActions: [
        c.describe,
        { description: `Show PersistentVolume ${c.volumeName} and whom it is bound to`, command: `kubectl get pv ${c.volumeName} -o wide`, safety: 'ReadOnly' },
        ...(lost.state === 'reservedByName'
          ? [
              {
                description: `Put the claim's uid in ${c.volumeName}'s claimRef so the PV controller binds them again`,
                command: `kubectl patch pv ${c.volumeName} -p '{"spec":{"claimRef":{"uid":"${c.claim.metadata?.uid ?? ''}"}}}'`,
                safety: 'Mutating' as const,
              },
            ]
          : []),
      ],
    });
    return true;
  },
});

// spec.volumeName pins the claim to one volume: when the PV controller refuses it (VolumeMismatch), no other PV is tried.
const volumeMismatchRule = defineRule<ClaimRun>({
  name: 'volumeMismatch',
  proves: ['VolumeMismatch'],
  run(c) {
    const mismatch = c.events.find((e) => e.reason === 'VolumeMismatch');
    if (mismatch === undefined) return false;
    const sizes =
      c.volumeObject === undefined
        ? ''
        : ` (claim asks ${c.claim.spec?.resources?.requests?.storage ?? '?'}, volume has ${c.volumeObject.spec?.capacity?.storage ?? '?'})`;
    c.inv.report({
      code: 'VolumeMismatch',
      severity: 'Critical',
      object: c.ref,
      confidence: 0.95,
      message: `PersistentVolumeClaim ${c.namespace}/${c.name} cannot bind to the volume it names: ${mismatch.message}${sizes}`,
      anchors: [c.inv.anchorField(KIND, c.claim, 'spec.volumeName'), c.inv.anchorEvent(mismatch)],
      chain: [...c.chain, c.ref, c.volumeRef],
      nextActions: [
        c.describe,
        {
          description: `Compare the volume's size, class and access modes with the claim`,
          command: `kubectl get pv ${c.volumeName} -o yaml`,
          safety: 'ReadOnly',
        },
      ],
    });
    return true;
  },
});

// An available PV fits the Pending claim: binding it is the PV controller's job, so a stalled controller is the fault.
const staticMatchRule = defineRule<StaticRun>({
  name: 'staticMatch',
  proves: ['BindingPending'],
  run(s) {
    const match = s.candidates.find((c) => c.misfits.length === 0)?.volume;
    if (match === undefined) return false;
    s.inv.report({
      code: 'BindingPending',
      severity: 'Warning',
      object: s.ref,
      message: `PersistentVolume ${match.metadata?.name ?? ''} matches PersistentVolumeClaim ${s.namespace}/${s.name}, which is still Pending; the PV controller should bind them (check kube-controller-manager if this persists)`,
      anchors: [classAnchor(s), s.inv.anchorField('PersistentVolume', match, 'status.phase')],
      nextActions: [
        s.describe,
        { description: 'Show the matching volume', command: `kubectl get pv ${match.metadata?.name ?? ''} -o wide`, safety: 'ReadOnly' },
      ],
    });
    return true;
  },
});

// No class named and none marked default: no provisioner will ever be asked, and no PV fits.
const noDefaultClassRule = defineRule<ClasslessRun>({
  name: 'noDefaultClass',
  proves: ['NoDefaultStorageClass'],
  run(s) {
    if (s.explicitStatic || s.classes === undefined || s.defaults.length > 0) return false;
    s.inv.report({
      code: 'NoDefaultStorageClass',
      severity: 'Critical',
      object: s.ref,
      confidence: 0.95,
      message: `PersistentVolumeClaim ${s.namespace}/${s.name} names no StorageClass, the cluster has no default StorageClass, and no PersistentVolume matches it`,
      anchors: [classAnchor(s), ...eventAnchors(s, 'FailedBinding')],
      chain: [...s.chain, s.ref],
      nextActions: [
        { description: 'List StorageClasses and which one is default', command: 'kubectl get storageclass', safety: 'ReadOnly' },
        {
          description: 'Mark a StorageClass as the default (changes where every new class-less claim is provisioned)',
          command: `kubectl annotate storageclass <name> ${DEFAULT_CLASS_ANNOTATION}=true`,
          safety: 'Mutating',
        },
      ],
    });
    return true;
  },
});

// The admission plugin assigns the default class only at creation: a claim created before it stays class-less and static.
const defaultClassUnassignedRule = defineRule<ClasslessRun>({
  name: 'defaultClassUnassigned',
  proves: ['NoMatchingPersistentVolume'],
  run(s) {
    const defaultClass = s.defaults[0];
    if (defaultClass === undefined) return false;
    const className = defaultClass.metadata?.name ?? '';
    const why = s.candidates.length === 0 ? '' : `: ${describeMisfits(s.candidates)}`;
    s.inv.report({
      code: 'NoMatchingPersistentVolume',
      severity: 'Critical',
      object: s.ref,
      confidence: 0.6,
      message: `PersistentVolumeClaim ${s.namespace}/${s.name} names no StorageClass although "${className}" is the default (it should be assigned to the claim), and no PersistentVolume matches it meanwhile (${describeWanted(s.claim)})${why}`,
      anchors: [
        classAnchor(s),
        ...eventAnchors(s, 'FailedBinding'),
        s.inv.anchorField('StorageClass', defaultClass, `metadata.annotations[${defaultClassAnnotation(defaultClass) ?? DEFAULT_CLASS_ANNOTATION}]`),
      ],
      chain: [...s.chain, s.ref],
      nextActions: [
        LIST_VOLUMES,
        {
          description: `Set the claim's class to the default "${className}" (allowed while it is unset)`,
          command: `kubectl patch pvc ${s.name} -n ${s.namespace} -p '{"spec":{"storageClassName":"${className}"}}'`,
          safety: 'Mutating',
        },
      ],
    });
    return true;
  },
});

// A class-less claim binds only to a class-less PV that fits it: none does, so it waits for one to be created.
const noClasslessVolumeRule = defineRule<ClasslessRun>({
  name: 'noClasslessVolume',
  proves: ['NoMatchingPersistentVolume'],
  run(s) {
    const why = s.candidates.length === 0 ? '' : `: ${describeMisfits(s.candidates)}`;
    s.inv.report({
      code: 'NoMatchingPersistentVolume',
      severity: 'Critical',
      object: s.ref,
      confidence: 0.9,
      message: `No available PersistentVolume matches PersistentVolumeClaim ${s.namespace}/${s.name} (${describeWanted(s.claim, '')})${why}`,
      anchors: [classAnchor(s), ...eventAnchors(s, 'FailedBinding'), ...misfitAnchors(s.inv, s.claim, s.candidates)],
      chain: [...s.chain, s.ref],
      nextActions: [LIST_VOLUMES, s.describe],
    });
    return true;
  },
});

const CLASSLESS_RULES: readonly Rule<ClasslessRun>[] = [staticMatchRule, noDefaultClassRule, defaultClassUnassignedRule, noClasslessVolumeRule];

// No class named: a default class is assigned at creation, otherwise only static binding to class-less PVs remains.
const classlessRule = defineRule<ClaimRun>({
  name: 'classless',
  proves: codesOf(CLASSLESS_RULES),
  run(c) {
    const className = c.claim.spec?.storageClassName;
    if (className !== undefined && className !== null && className !== '') return false;
    const explicitStatic = className === '';
    // A claim with class "" binds only to class-less volumes: StorageClasses are irrelevant to it.
    const classes = explicitStatic ? [] : c.inv.list<StorageClass>('StorageClass', 'storageClass');
    const defaults = (classes ?? []).filter((sc) => defaultClassAnnotation(sc) !== undefined);
    const volumes = c.inv.list<PersistentVolume>('PersistentVolume', 'persistentVolumes');
    if (volumes === undefined) return true;
    runRules(CLASSLESS_RULES, { ...c, explicitStatic, classes, defaults, candidates: staticCandidates(volumes, c.claim, '') });
    return true;
  },
});

// PVs of the missing class's name exist but none fits: the class is missing, yet a fitting PV would bind without it.
const noVolumeOfMissingClassRule = defineRule<MissingClassRun>({
  name: 'noVolumeOfMissingClass',
  proves: ['NoMatchingPersistentVolume'],
  run(s) {
    if (s.candidates.length === 0) return false;
    s.inv.report({
      code: 'NoMatchingPersistentVolume',
      severity: 'Critical',
      object: s.ref,
      confidence: 0.9,
      message: `No PersistentVolume of class "${s.className}" fits PersistentVolumeClaim ${s.namespace}/${s.name} (${describeWanted(s.claim)}), and no StorageClass "${s.className}" exists to provision one: ${describeMisfits(s.candidates)}`,
      anchors: [classAnchor(s), ...misfitAnchors(s.inv, s.claim, s.candidates), ...eventAnchors(s, 'ProvisioningFailed')],
      chain: [...s.chain, s.ref],
      nextActions: [LIST_VOLUMES, s.describe],
    });
    return true;
  },
});

// The class does not exist and no PV carries its name: nothing can provision or bind the claim.
const storageClassNotFoundRule = defineRule<MissingClassRun>({
  name: 'storageClassNotFound',
  proves: ['StorageClassNotFound'],
  run(s) {
    s.inv.report({
      // Unreadable PVs leave static binding open: the class is still missing, but that is less certain to be the cause.
      code: 'StorageClassNotFound',
      severity: 'Critical',
      object: s.ref,
      confidence: s.volumesReadable ? 1 : 0.8,
      message: `PersistentVolumeClaim ${s.namespace}/${s.name} is Pending because StorageClass "${s.className}" does not exist`,
      anchors: [classAnchor(s), ...eventAnchors(s, 'ProvisioningFailed')],
      chain: [...s.chain, s.ref, refOf('StorageClass', undefined, { name: s.className })],
      nextActions: [
        { description: 'List the StorageClasses that exist', command: 'kubectl get storageclass', safety: 'ReadOnly' },
        {
          description: `Export the claim to recreate it with an existing StorageClass (spec.storageClassName is immutable), unless StorageClass "${s.className}" should be created instead`,
          command: `kubectl get pvc ${s.name} -n ${s.namespace} -o yaml`,
          safety: 'ReadOnly',
        },
      ],
    });
    return true;
  },
});

// Static binding matches PVs by class name and needs no StorageClass object: PVs of this class come first.
const MISSING_CLASS_RULES: readonly Rule<MissingClassRun>[] = [staticMatchRule, noVolumeOfMissingClassRule, storageClassNotFoundRule];

// WaitForFirstConsumer binds only once a pod using the claim is scheduled: no pod is benign, a pending pod is the cause.
const firstConsumerRule = defineRule<ProvisionRun>({
  name: 'waitingForFirstConsumer',
  proves: ['WaitingForFirstConsumer'],
  run(p) {
    if (p.storageClass.volumeBindingMode !== 'WaitForFirstConsumer') return false;
    const consumers = p.inv.byIndex<Pod>('Pod', 'claim.consumers', INDEX.claim, `${p.namespace}/${p.name}`);
    if (consumers === undefined) return true;
    if (consumers.length === 0) {
      p.inv.report({
        code: 'WaitingForFirstConsumer',
        severity: 'Info',
        object: p.ref,
        confidence: 1,
        benign: true,
        message: `PersistentVolumeClaim ${p.namespace}/${p.name} waits for a pod to use it (StorageClass ${p.className} binds on first consumer); this is expected`,
        anchors: [p.inv.anchorField('StorageClass', p.storageClass, 'volumeBindingMode'), ...eventAnchors(p, 'WaitForFirstConsumer')],
        chain: [...p.chain, p.ref, p.classRef],
        nextActions: [{ description: 'See which pods mount the claim', command: `kubectl get pods -n ${p.namespace} -o wide`, safety: 'ReadOnly' }],
      });
      return true;
    }
    // A consumer exists: the claim waits for that pod to be scheduled, so the pod's own cause is the answer.
    for (const pod of consumers.filter((c) => (c.spec?.nodeName ?? '') === '')) p.ctx.follow('Pod', pod, [...p.chain, p.ref]);
    return false;
  },
});

/**
 * The newest ProvisioningFailed that is news: one from before the class existed is history ("storageclass X
 * not found" while X exists, or anything last seen before the class was created; timestamps are whole seconds).
 */
function currentFailure(p: ProvisionRun): EventRecord | undefined {
  const classBorn = Date.parse(p.storageClass.metadata?.creationTimestamp ?? '');
  const stale = (e: EventRecord) => saysClassNotFound(e.message, p.className) || Date.parse(e.lastSeen ?? '') < classBorn;
  return p.events.find((e) => e.reason === 'ProvisioningFailed' && !stale(e));
}

// The provisioner tried and said why it failed; a failure naming topology is a zone conflict between class and consumer.
const provisioningFailedRule = defineRule<ProvisionRun>({
  name: 'provisioningFailed',
  proves: ['ProvisioningFailed', 'VolumeTopologyConflict'],
  run(p) {
    const failure = currentFailure(p);
    if (failure === undefined) return false;
    p.inv.report({
      code: isTopologyFailure(failure.message) ? 'VolumeTopologyConflict' : 'ProvisioningFailed',
      severity: 'Critical',
      object: p.ref,
      confidence: 0.9,
      message: `Provisioning for PersistentVolumeClaim ${p.namespace}/${p.name} failed (${p.storageClass.provisioner ?? 'unknown provisioner'}): ${failure.message}`,
      anchors: [classAnchor(p), p.inv.anchorEvent(failure)],
      chain: [...p.chain, p.ref, p.classRef],
      nextActions: [
        p.describe,
        {
          description: `Read the provisioner's view of StorageClass ${p.className}`,
          command: `kubectl get storageclass ${p.className} -o yaml`,
          safety: 'ReadOnly',
        },
      ],
    });
    return true;
  },
});

/** The PV controller's request to an external provisioner (ExternalProvisioning) that no provisioner has started on. */
function unansweredRequest(p: ProvisionRun): { readonly event: EventRecord; readonly seconds: number | undefined } | undefined {
  const waiting = p.events.find((e) => e.reason === 'ExternalProvisioning');
  const started = p.events.some((e) => e.reason === 'Provisioning' || e.reason === 'ProvisioningSucceeded');
  return waiting === undefined || started ? undefined : { event: waiting, seconds: p.inv.ageSeconds(waiting.firstSeen) };
}

// A request seconds old is a provisioner at work, not one missing (the PV controller emits two at once).
const provisioningInProgressRule = defineRule<ProvisionRun>({
  name: 'provisioningInProgress',
  proves: ['ProvisioningInProgress'],
  run(p) {
    const request = unansweredRequest(p);
    if (request?.seconds === undefined || request.seconds >= PROVISIONER_GRACE_SECONDS) return false;
    p.inv.report({
      code: 'ProvisioningInProgress',
      severity: 'Info',
      object: p.ref,
      confidence: 0.8,
      benign: true,
      recheckAfterSeconds: Math.ceil(PROVISIONER_GRACE_SECONDS - request.seconds) + 1,
      message: `PersistentVolumeClaim ${p.namespace}/${p.name} asked external provisioner "${p.storageClass.provisioner ?? '?'}" for a volume at ${request.event.firstSeen ?? '?'}`,
      anchors: [p.inv.anchorEvent(request.event)],
      chain: [...p.chain, p.ref, p.classRef],
      nextActions: [p.describe],
    });
    return true;
  },
});

// Past the grace period with no Provisioning event: no controller serves the class's provisioner name.
const provisionerNotRunningRule = defineRule<ProvisionRun>({
  name: 'provisionerNotRunning',
  proves: ['ProvisionerNotRunning'],
  run(p) {
    const request = unansweredRequest(p);
    if (request === undefined) return false;
    const { seconds } = request;
    p.inv.report({
      code: 'ProvisionerNotRunning',
      severity: 'Critical',
      object: p.ref,
      confidence: seconds === undefined ? 0.7 : 0.85,
      message: `No provisioner acted on PersistentVolumeClaim ${p.namespace}/${p.name}: it has waited ${seconds === undefined ? '' : `${Math.round(seconds)}s `}for external provisioner "${p.storageClass.provisioner ?? '?'}", which never started provisioning`,
      anchors: [p.inv.anchorField('StorageClass', p.storageClass, 'provisioner'), p.inv.anchorEvent(request.event)],
      chain: [...p.chain, p.ref, p.classRef],
      nextActions: [
        {
          description: `Find the controller that serves provisioner ${p.storageClass.provisioner ?? '?'} (usually a CSI controller Deployment)`,
          command: 'kubectl get pods -A -l app.kubernetes.io/component=controller',
          safety: 'ReadOnly',
        },
        p.describe,
      ],
    });
    return true;
  },
});

const PROVISIONING_RULES: readonly Rule<ProvisionRun>[] = [firstConsumerRule, provisioningFailedRule, provisioningInProgressRule, provisionerNotRunningRule];

// A named class: when missing, only static PVs of its name can serve the claim; when present, its provisioner decides.
const namedClassRule = defineRule<ClaimRun>({
  name: 'namedClass',
  proves: codesOf([...MISSING_CLASS_RULES, ...PROVISIONING_RULES]),
  run(c) {
    const className = c.claim.spec?.storageClassName ?? '';
    const lookup = c.inv.get<StorageClass>('StorageClass', 'storageClass', className);
    if (lookup.state === 'Absent') {
      const volumes = c.inv.list<PersistentVolume>('PersistentVolume', 'persistentVolumes');
      const candidates = staticCandidates(volumes ?? [], c.claim, className);
      return runRules(MISSING_CLASS_RULES, { ...c, className, volumesReadable: volumes !== undefined, candidates });
    }
    if (lookup.state === 'Found')
      runRules(PROVISIONING_RULES, { ...c, className, storageClass: lookup.object, classRef: refOf('StorageClass', lookup.object) });
    return true;
  },
});

/** In order: the first rule that explains the Pending (or Lost) claim wins. */
const CLAIM_RULES: readonly Rule<ClaimRun>[] = [claimLostRule, volumeMismatchRule, classlessRule, namedClassRule];

function claimRun(ctx: CheckContext, claim: SelectingClaim, ref: ObjectRef, chain: readonly ObjectRef[]): ClaimRun {
  const { inv } = ctx;
  const name = ref.name;
  const namespace = ref.namespace ?? '';
  const events = inv.events(KIND, claim, 'claim.events');
  const volumeName = claim.spec?.volumeName ?? '';
  const volume = volumeName === '' ? undefined : inv.get<PersistentVolume>('PersistentVolume', 'persistentVolumes', volumeName);
  const volumeObject = volume?.state === 'Found' ? volume.object : undefined;
  return {
    ctx,
    inv,
    claim,
    ref,
    name,
    namespace,
    chain,
    events,
    volumeName,
    volume,
    volumeObject,
    volumeRef: refOf('PersistentVolume', volumeObject, { name: volumeName }),
    describe: { description: `Show the claim and its events`, command: `kubectl describe pvc ${name} -n ${namespace}`, safety: 'ReadOnly' },
  };
}

/** Proves why a PersistentVolumeClaim is not Bound: class, provisioner, static volumes, consumers. */
export const claimBinding: Check = {
  name: 'claim.binding',
  subject: KIND,
  codes: codesOf(CLAIM_RULES),
  evidence: ['claim', 'claim.events'],
  run(ctx, subject, chain) {
    const claim = subject as SelectingClaim;
    const ref = refOf(KIND, claim);
    ctx.inv.note('claim');
    if ((claim.status?.phase ?? 'Pending') === 'Bound') return;
    runRules(CLAIM_RULES, claimRun(ctx, claim, ref, chain));
  },
};
