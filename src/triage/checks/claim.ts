import { INDEX } from '../snapshot';
import { refOf, type Investigation } from '../investigation';
import { describeSelector, selectorMatches, type LabelSelectorSpec } from '../label-selector';
import { annotation, compareStrings, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '../objects';
import { parseQuantity } from '../quantity';
import type { Check } from './check';

const KIND = 'PersistentVolumeClaim';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** Kubernetes still honours the beta key (IsDefaultAnnotation in pkg/volume/util). */
const DEFAULT_CLASS_ANNOTATIONS = [DEFAULT_CLASS_ANNOTATION, 'storageclass.beta.kubernetes.io/is-default-class'] as const;
/** How long an external provisioner may take to start before it counts as not running. */
const PROVISIONER_GRACE_SECONDS = 30;
/** How many non-fitting PVs a message names, with their reasons. */
const LISTED_VOLUMES = 3;

/** The annotation key that marks a StorageClass as the default, if one does. */
function defaultClassAnnotation(storageClass: StorageClass): string | undefined {
  return DEFAULT_CLASS_ANNOTATIONS.find((key) => annotation(storageClass, key) === 'true');
}

/** A claim with the field the shared view leaves out: static binding only takes PVs its label selector matches. */
interface SelectingClaim extends PersistentVolumeClaim {
  readonly spec?: NonNullable<PersistentVolumeClaim['spec']> & { readonly selector?: LabelSelectorSpec | null };
}

/** Whether the PV's claimRef names this claim (IsVolumeBoundToClaim): namespace and name, and the uid when it has one. */
function reservedFor(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const claimRef = pv.spec?.claimRef;
  if (claimRef === undefined) return false;
  const sameName = claimRef.namespace === claim.metadata?.namespace && claimRef.name === claim.metadata?.name;
  return sameName && ((claimRef.uid ?? '') === '' || claimRef.uid === claim.metadata?.uid);
}

/** One reason a PV cannot bind the claim, with the field that shows it. */
interface Misfit {
  readonly reason: string;
  /** Whose field proves it: the volume's, or the claim's (its selector, its volume mode). */
  readonly on: 'volume' | 'claim';
  readonly field: string;
}

/**
 * Why a PV cannot bind the claim by static binding, in the PV controller's order (pvIndex.findByClaim then
 * FindMatchingVolume); empty when it can. A PV whose claimRef names the claim skips the phase, selector and class filters.
 */
function misfitsOf(pv: PersistentVolume, claim: SelectingClaim): Misfit[] {
  const misfits: Misfit[] = [];
  const claimRef = pv.spec?.claimRef;
  const preBound = reservedFor(pv, claim);
  if (claimRef !== undefined && !preBound) {
    const holder = `${claimRef.namespace ?? ''}/${claimRef.name ?? ''}`;
    const phase = pv.status?.phase;
    const reason = phase === 'Bound' ? `is bound to ${holder}` : phase === 'Released' ? `is Released, still claimed by ${holder}` : `is reserved for ${holder} by its claimRef`;
    misfits.push({ reason, on: 'volume', field: 'spec.claimRef' });
  }
  const modes = pv.spec?.accessModes ?? [];
  const lacking = (claim.spec?.accessModes ?? []).filter((mode) => !modes.includes(mode));
  if (lacking.length > 0) misfits.push({ reason: `offers ${modes.join(',') || 'no access mode'}, not ${lacking.join(',')}`, on: 'volume', field: 'spec.accessModes' });
  const requested = claim.spec?.resources?.requests?.storage;
  if ((parseQuantity(pv.spec?.capacity?.storage) ?? 0) < (parseQuantity(requested) ?? 0)) {
    misfits.push({ reason: `is too small (${pv.spec?.capacity?.storage ?? '0'} < ${requested ?? '?'})`, on: 'volume', field: 'spec.capacity.storage' });
  }
  // Unset means Filesystem on both sides.
  const volumeMode = pv.spec?.volumeMode ?? 'Filesystem';
  const claimMode = claim.spec?.volumeMode ?? 'Filesystem';
  if (volumeMode !== claimMode) {
    misfits.push({ reason: `is a ${volumeMode} volume, not ${claimMode}`, ...(pv.spec?.volumeMode === undefined ? { on: 'claim', field: 'spec.volumeMode' } : { on: 'volume', field: 'spec.volumeMode' }) });
  }
  if (pv.metadata?.deletionTimestamp !== undefined) misfits.push({ reason: 'is being deleted', on: 'volume', field: 'metadata.deletionTimestamp' });
  if (preBound) return misfits;
  if (claimRef === undefined && pv.status?.phase !== 'Available') misfits.push({ reason: `is in phase ${pv.status?.phase ?? 'unset'}`, on: 'volume', field: 'status.phase' });
  const selector = claim.spec?.selector;
  if (selector !== undefined && selector !== null && !selectorMatches(selector, pv.metadata?.labels ?? {})) {
    misfits.push({ reason: 'is outside the selector', on: 'claim', field: 'spec.selector' });
  }
  if ((pv.spec?.storageClassName ?? '') !== (claim.spec?.storageClassName ?? '')) misfits.push({ reason: `has class "${pv.spec?.storageClassName ?? ''}"`, on: 'volume', field: 'spec.storageClassName' });
  return misfits;
}

interface Candidate {
  readonly volume: PersistentVolume;
  readonly misfits: readonly Misfit[];
}

/** The PVs static binding considers for the claim (its class, or a claimRef naming it), by name, each with its misfits. */
function staticCandidates(volumes: readonly PersistentVolume[], claim: SelectingClaim, className: string): Candidate[] {
  return volumes
    .filter((pv) => (pv.spec?.storageClassName ?? '') === className || reservedFor(pv, claim))
    .sort((a, b) => compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''))
    .map((volume) => ({ volume, misfits: misfitsOf(volume, claim) }));
}

/** "pv-a is too small (5Gi < 10Gi); pv-b is bound to ns/x; and 2 more": why each considered PV does not fit. */
function describeMisfits(candidates: readonly Candidate[]): string {
  const listed = candidates.slice(0, LISTED_VOLUMES).map((c) => `${c.volume.metadata?.name ?? ''} ${c.misfits.map((m) => m.reason).join(' and ')}`);
  const more = candidates.length - LISTED_VOLUMES;
  return [...listed, ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
}

/** The anchor on the first reason the first considered PV does not fit. */
function misfitAnchors(inv: Investigation, claim: PersistentVolumeClaim, candidates: readonly Candidate[]): string[] {
  const first = candidates[0];
  const misfit = first?.misfits[0];
  if (first === undefined || misfit === undefined) return [];
  return [misfit.on === 'claim' ? inv.anchorField(KIND, claim, misfit.field) : inv.anchorField('PersistentVolume', first.volume, misfit.field)];
}

/** What the claim asks of a static PV, e.g. `size 10Gi, modes ReadWriteOnce, volumeMode Block, class ""`. */
function describeWanted(claim: SelectingClaim, className?: string): string {
  const selector = claim.spec?.selector;
  return [
    `size ${claim.spec?.resources?.requests?.storage ?? '?'}`,
    `modes ${(claim.spec?.accessModes ?? []).join(',')}`,
    ...(claim.spec?.volumeMode === 'Block' ? ['volumeMode Block'] : []),
    ...(className === undefined ? [] : [`class "${className}"`]),
    ...(selector === undefined || selector === null ? [] : [`selector ${describeSelector(selector)}`]),
  ].join(', ');
}

/** Proves why a PersistentVolumeClaim is not Bound: class, provisioner, static volumes, consumers. */
export const claimBinding: Check = {
  name: 'claim.binding',
  subject: KIND,
  codes: [
    'ClaimLost', 'StorageClassNotFound', 'NoDefaultStorageClass', 'NoMatchingPersistentVolume', 'VolumeMismatch',
    'ProvisionerNotRunning', 'ProvisioningFailed', 'VolumeTopologyConflict', 'WaitingForFirstConsumer', 'BindingPending', 'ProvisioningInProgress',
  ],
  evidence: ['claim', 'claim.events'],
  run(ctx, subject, chain) {
    const { inv } = ctx;
    const claim = subject as SelectingClaim;
    const ref = refOf(KIND, claim);
    const name = ref.name;
    const namespace = ref.namespace ?? '';
    inv.note('claim');
    const phase = claim.status?.phase ?? 'Pending';
    const describe = { description: `Show the claim and its events`, command: `kubectl describe pvc ${name} -n ${namespace}`, safety: 'ReadOnly' as const };

    if (phase === 'Bound') return;
    const events = inv.events(KIND, claim, 'claim.events');
    const eventAnchors = (reason: string) => events.filter((e) => e.reason === reason).slice(0, 1).map((e) => inv.anchorEvent(e));
    const volumeName = claim.spec?.volumeName ?? '';
    const volume = volumeName === '' ? undefined : inv.get<PersistentVolume>('PersistentVolume', 'persistentVolumes', volumeName);
    const volumeObject = volume?.state === 'Found' ? volume.object : undefined;
    const volumeRef = refOf('PersistentVolume', volumeObject, { name: volumeName });
    const listVolumes = { description: 'List PersistentVolumes with their class, size, modes and status', command: 'kubectl get pv', safety: 'ReadOnly' as const };
    const bindingPending = (match: PersistentVolume, classAnchor: string): void => {
      inv.report({
        code: 'BindingPending', severity: 'Warning', object: ref,
        message: `PersistentVolume ${match.metadata?.name ?? ''} matches PersistentVolumeClaim ${namespace}/${name}, which is still Pending; the PV controller should bind them (check kube-controller-manager if this persists)`,
        anchors: [classAnchor, inv.anchorField('PersistentVolume', match, 'status.phase')],
        nextActions: [describe, { description: 'Show the matching volume', command: `kubectl get pv ${match.metadata?.name ?? ''} -o wide`, safety: 'ReadOnly' }],
      });
    };
    if (phase === 'Lost') {
      // The volume survives but serves another claim: a different fix than a deleted volume.
      const claimRef = volumeObject?.spec?.claimRef;
      const boundElsewhere = volumeObject !== undefined && claimRef !== undefined && !reservedFor(volumeObject, claim);
      // A uid-less claimRef names this claim, yet syncBoundClaim compares uids: the claim stays Lost until the uid is set.
      const reservedByName = volumeObject !== undefined && claimRef !== undefined && !boundElsewhere && (claimRef.uid ?? '') === '';
      const elsewhere = `${claimRef?.namespace ?? ''}/${claimRef?.name ?? ''}`;
      const sameNameOtherUid = boundElsewhere && claimRef.namespace === namespace && claimRef.name === name;
      inv.report({
        code: 'ClaimLost', severity: 'Critical', object: ref, confidence: 1,
        message: boundElsewhere
          ? `PersistentVolumeClaim ${namespace}/${name} lost PersistentVolume ${volumeName}: the volume exists but is now bound to ${sameNameOtherUid ? `an earlier claim named ${elsewhere} (uid ${claimRef.uid ?? ''})` : elsewhere}`
          : reservedByName
            ? `PersistentVolumeClaim ${namespace}/${name} is Lost although PersistentVolume ${volumeName} exists: its claimRef names this claim without the claim's uid, which the PV controller treats as another claimant, so it does not bind them again`
            : `PersistentVolumeClaim ${namespace}/${name} lost its PersistentVolume ${volumeName}${volume?.state === 'Absent' ? ', which no longer exists' : ''}`,
        anchors: [
          inv.anchorField(KIND, claim, 'status.phase'),
          ...(volumeObject === undefined || (!boundElsewhere && !reservedByName) ? [] : [inv.anchorField('PersistentVolume', volumeObject, 'spec.claimRef')]),
          ...eventAnchors(boundElsewhere ? 'ClaimMisbound' : 'ClaimLost'),
        ],
        chain: [...chain, ref, volumeRef],
        nextActions: [
          describe,
          { description: `Show PersistentVolume ${volumeName} and whom it is bound to`, command: `kubectl get pv ${volumeName} -o wide`, safety: 'ReadOnly' },
          ...(reservedByName
            ? [{ description: `Put the claim's uid in ${volumeName}'s claimRef so the PV controller binds them again`, command: `kubectl patch pv ${volumeName} -p '{"spec":{"claimRef":{"uid":"${claim.metadata?.uid ?? ''}"}}}'`, safety: 'Mutating' as const }]
            : []),
        ],
      });
      return;
    }

    const mismatch = events.find((e) => e.reason === 'VolumeMismatch');
    if (mismatch !== undefined) {
      const sizes = volumeObject === undefined ? '' : ` (claim asks ${claim.spec?.resources?.requests?.storage ?? '?'}, volume has ${volumeObject.spec?.capacity?.storage ?? '?'})`;
      inv.report({
        code: 'VolumeMismatch', severity: 'Critical', object: ref, confidence: 0.95,
        message: `PersistentVolumeClaim ${namespace}/${name} cannot bind to the volume it names: ${mismatch.message}${sizes}`,
        anchors: [inv.anchorField(KIND, claim, 'spec.volumeName'), inv.anchorEvent(mismatch)],
        chain: [...chain, ref, volumeRef],
        nextActions: [describe, { description: `Compare the volume's size, class and access modes with the claim`, command: `kubectl get pv ${volumeName} -o yaml`, safety: 'ReadOnly' }],
      });
      return;
    }

    const className = claim.spec?.storageClassName;
    if (className === undefined || className === null || className === '') {
      const explicitStatic = className === '';
      // A claim with class "" binds only to class-less volumes: StorageClasses are irrelevant to it.
      const classes = explicitStatic ? [] : inv.list<StorageClass>('StorageClass', 'storageClass');
      const defaults = (classes ?? []).filter((sc) => defaultClassAnnotation(sc) !== undefined);
      const volumes = inv.list<PersistentVolume>('PersistentVolume', 'persistentVolumes');
      if (volumes === undefined) return;
      const classAnchor = inv.anchorField(KIND, claim, 'spec.storageClassName');
      const candidates = staticCandidates(volumes, claim, '');
      const match = candidates.find((c) => c.misfits.length === 0)?.volume;
      if (match !== undefined) {
        bindingPending(match, classAnchor);
        return;
      }
      const anchors = [classAnchor, ...eventAnchors('FailedBinding')];
      if (!explicitStatic && classes !== undefined && defaults.length === 0) {
        inv.report({
          code: 'NoDefaultStorageClass', severity: 'Critical', object: ref, confidence: 0.95,
          message: `PersistentVolumeClaim ${namespace}/${name} names no StorageClass, the cluster has no default StorageClass, and no PersistentVolume matches it`,
          anchors, chain: [...chain, ref],
          nextActions: [
            { description: 'List StorageClasses and which one is default', command: 'kubectl get storageclass', safety: 'ReadOnly' },
            { description: 'Mark a StorageClass as the default (changes where every new class-less claim is provisioned)', command: `kubectl annotate storageclass <name> ${DEFAULT_CLASS_ANNOTATION}=true`, safety: 'Mutating' },
          ],
        });
        return;
      }
      const defaultClass = defaults[0];
      const why = candidates.length === 0 ? '' : `: ${describeMisfits(candidates)}`;
      inv.report({
        code: 'NoMatchingPersistentVolume', severity: 'Critical', object: ref, confidence: defaultClass === undefined ? 0.9 : 0.6,
        message:
          defaultClass === undefined
            ? `No available PersistentVolume matches PersistentVolumeClaim ${namespace}/${name} (${describeWanted(claim, '')})${why}`
            : `PersistentVolumeClaim ${namespace}/${name} names no StorageClass although "${defaultClass.metadata?.name ?? ''}" is the default (it should be assigned to the claim), and no PersistentVolume matches it meanwhile (${describeWanted(claim)})${why}`,
        anchors: defaultClass === undefined
          ? [...anchors, ...misfitAnchors(inv, claim, candidates)]
          : [...anchors, inv.anchorField('StorageClass', defaultClass, `metadata.annotations[${defaultClassAnnotation(defaultClass) ?? DEFAULT_CLASS_ANNOTATION}]`)],
        chain: [...chain, ref],
        nextActions: [
          listVolumes,
          ...(defaultClass === undefined
            ? [describe]
            : [{ description: `Set the claim's class to the default "${defaultClass.metadata?.name ?? ''}" (allowed while it is unset)`, command: `kubectl patch pvc ${name} -n ${namespace} -p '{"spec":{"storageClassName":"${defaultClass.metadata?.name ?? ''}"}}'`, safety: 'Mutating' as const }]),
        ],
      });
      return;
    }

    const scRef = refOf('StorageClass', undefined, { name: className });
    const lookup = inv.get<StorageClass>('StorageClass', 'storageClass', className);
    if (lookup.state === 'Unavailable') return;
    const classAnchor = () => inv.anchorField(KIND, claim, 'spec.storageClassName');
    if (lookup.state === 'Absent') {
      // Static binding matches PVs by class name and needs no StorageClass object: PVs of this class come first.
      const volumes = inv.list<PersistentVolume>('PersistentVolume', 'persistentVolumes');
      const candidates = staticCandidates(volumes ?? [], claim, className);
      const match = candidates.find((c) => c.misfits.length === 0)?.volume;
      if (match !== undefined) {
        bindingPending(match, classAnchor());
        return;
      }
      if (candidates.length > 0) {
        inv.report({
          code: 'NoMatchingPersistentVolume', severity: 'Critical', object: ref, confidence: 0.9,
          message: `No PersistentVolume of class "${className}" fits PersistentVolumeClaim ${namespace}/${name} (${describeWanted(claim)}), and no StorageClass "${className}" exists to provision one: ${describeMisfits(candidates)}`,
          anchors: [classAnchor(), ...misfitAnchors(inv, claim, candidates), ...eventAnchors('ProvisioningFailed')],
          chain: [...chain, ref],
          nextActions: [listVolumes, describe],
        });
        return;
      }
      inv.report({
        // Unreadable PVs leave static binding open: the class is still missing, but that is less certain to be the cause.
        code: 'StorageClassNotFound', severity: 'Critical', object: ref, confidence: volumes === undefined ? 0.8 : 1,
        message: `PersistentVolumeClaim ${namespace}/${name} is Pending because StorageClass "${className}" does not exist`,
        anchors: [classAnchor(), ...eventAnchors('ProvisioningFailed')],
        chain: [...chain, ref, scRef],
        nextActions: [
          { description: 'List the StorageClasses that exist', command: 'kubectl get storageclass', safety: 'ReadOnly' },
          { description: `Export the claim to recreate it with an existing StorageClass (spec.storageClassName is immutable), unless StorageClass "${className}" should be created instead`, command: `kubectl get pvc ${name} -n ${namespace} -o yaml`, safety: 'ReadOnly' },
        ],
      });
      return;
    }
    const storageClass = lookup.object;
    const classRef = refOf('StorageClass', storageClass);

    if (storageClass.volumeBindingMode === 'WaitForFirstConsumer') {
      const consumers = inv.byIndex<Pod>('Pod', 'claim.consumers', INDEX.claim, `${namespace}/${name}`);
      if (consumers === undefined) return;
      if (consumers.length === 0) {
        inv.report({
          code: 'WaitingForFirstConsumer', severity: 'Info', object: ref, confidence: 1, benign: true,
          message: `PersistentVolumeClaim ${namespace}/${name} waits for a pod to use it (StorageClass ${className} binds on first consumer); this is expected`,
          anchors: [inv.anchorField('StorageClass', storageClass, 'volumeBindingMode'), ...eventAnchors('WaitForFirstConsumer')],
          chain: [...chain, ref, classRef],
          nextActions: [{ description: 'See which pods mount the claim', command: `kubectl get pods -n ${namespace} -o wide`, safety: 'ReadOnly' }],
        });
        return;
      }
      // A consumer exists: the claim waits for that pod to be scheduled, so the pod's own cause is the answer.
      for (const pod of consumers.filter((p) => (p.spec?.nodeName ?? '') === '')) ctx.follow('Pod', pod, [...chain, ref]);
    }

    // Failures from before the class existed are history, not news: "storageclass X not found" while X
    // exists, or anything last seen before the class was created (timestamps are whole seconds).
    const classBorn = Date.parse(storageClass.metadata?.creationTimestamp ?? '');
    const stale = (message: string, lastSeen: string | undefined) =>
      message.includes(`storageclass.storage.k8s.io "${className}" not found`) || Date.parse(lastSeen ?? '') < classBorn;
    const failure = events.find((e) => e.reason === 'ProvisioningFailed' && !stale(e.message, e.lastSeen));
    if (failure !== undefined) {
      const topology = /topology|zone|node affinity|didn't match/i.test(failure.message);
      inv.report({
        code: topology ? 'VolumeTopologyConflict' : 'ProvisioningFailed', severity: 'Critical', object: ref, confidence: 0.9,
        message: `Provisioning for PersistentVolumeClaim ${namespace}/${name} failed (${storageClass.provisioner ?? 'unknown provisioner'}): ${failure.message}`,
        anchors: [classAnchor(), inv.anchorEvent(failure)],
        chain: [...chain, ref, classRef],
        nextActions: [describe, { description: `Read the provisioner's view of StorageClass ${className}`, command: `kubectl get storageclass ${className} -o yaml`, safety: 'ReadOnly' }],
      });
      return;
    }
    const waiting = events.find((e) => e.reason === 'ExternalProvisioning');
    const started = events.some((e) => e.reason === 'Provisioning' || e.reason === 'ProvisioningSucceeded');
    const waitingSeconds = inv.ageSeconds(waiting?.firstSeen);
    if (waiting !== undefined && !started && waitingSeconds !== undefined && waitingSeconds < PROVISIONER_GRACE_SECONDS) {
      // A request seconds old is a provisioner at work, not one missing (the PV controller emits two at once).
      inv.report({
        code: 'ProvisioningInProgress', severity: 'Info', object: ref, confidence: 0.8, benign: true,
        recheckAfterSeconds: Math.ceil(PROVISIONER_GRACE_SECONDS - waitingSeconds) + 1,
        message: `PersistentVolumeClaim ${namespace}/${name} asked external provisioner "${storageClass.provisioner ?? '?'}" for a volume at ${waiting.firstSeen ?? '?'}`,
        anchors: [inv.anchorEvent(waiting)],
        chain: [...chain, ref, classRef],
        nextActions: [describe],
      });
      return;
    }
    if (waiting !== undefined && !started) {
      inv.report({
        code: 'ProvisionerNotRunning', severity: 'Critical', object: ref, confidence: waitingSeconds === undefined ? 0.7 : 0.85,
        message: `No provisioner acted on PersistentVolumeClaim ${namespace}/${name}: it has waited ${waitingSeconds === undefined ? '' : `${Math.round(waitingSeconds)}s `}for external provisioner "${storageClass.provisioner ?? '?'}", which never started provisioning`,
        anchors: [inv.anchorField('StorageClass', storageClass, 'provisioner'), inv.anchorEvent(waiting)],
        chain: [...chain, ref, classRef],
        nextActions: [
          { description: `Find the controller that serves provisioner ${storageClass.provisioner ?? '?'} (usually a CSI controller Deployment)`, command: 'kubectl get pods -A -l app.kubernetes.io/component=controller', safety: 'ReadOnly' },
          describe,
        ],
      });
    }
  },
};
