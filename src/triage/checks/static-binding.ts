import { describeSelector, selectorMatches, type LabelSelectorSpec } from '../label-selector';
import { compareStrings, type PersistentVolume, type PersistentVolumeClaim } from '../objects';
import { parseQuantity } from '../quantity';

// Static binding as the PV controller does it (pkg/controller/volume/persistentvolume): which existing
// PersistentVolumes a claim could bind to, and for each one that cannot, why, in the controller's order.

/** How many non-fitting PVs a message names, with their reasons. */
const LISTED_VOLUMES = 3;

/** A claim with the field the shared view leaves out: static binding only takes PVs its label selector matches. */
export interface SelectingClaim extends PersistentVolumeClaim {
  readonly spec?: NonNullable<PersistentVolumeClaim['spec']> & { readonly selector?: LabelSelectorSpec | null };
}

/** Whether the PV's claimRef names this claim (IsVolumeBoundToClaim): namespace and name, and the uid when it has one. */
export function reservedFor(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const claimRef = pv.spec?.claimRef;
  if (claimRef === undefined) return false;
  const sameName = claimRef.namespace === claim.metadata?.namespace && claimRef.name === claim.metadata?.name;
  return sameName && ((claimRef.uid ?? '') === '' || claimRef.uid === claim.metadata?.uid);
}

/** One reason a PV cannot bind the claim, with the field that shows it. */
export interface Misfit {
  readonly reason: string;
  /** Whose field proves it: the volume's, or the claim's (its selector, its volume mode). */
  readonly on: 'volume' | 'claim';
  readonly field: string;
}

/** One reason test: the misfit it finds, or undefined when the PV passes it. */
type MisfitTest = (pv: PersistentVolume, claim: SelectingClaim) => Misfit | undefined;

/** Another claim holds the PV by its claimRef (bound, released or reserved): the PV controller never hands it over. */
const heldByAnother: MisfitTest = (pv, claim) => {
  const claimRef = pv.spec?.claimRef;
  if (claimRef === undefined || reservedFor(pv, claim)) return undefined;
  const holder = `${claimRef.namespace ?? ''}/${claimRef.name ?? ''}`;
  const phase = pv.status?.phase;
  const reason =
    phase === 'Bound'
      ? `is bound to ${holder}`
      : phase === 'Released'
        ? `is Released, still claimed by ${holder}`
        : `is reserved for ${holder} by its claimRef`;
  return { reason, on: 'volume', field: 'spec.claimRef' };
};

/** The PV must offer every access mode the claim asks for (CheckAccessModes). */
const lacksAccessModes: MisfitTest = (pv, claim) => {
  const modes = pv.spec?.accessModes ?? [];
  const lacking = (claim.spec?.accessModes ?? []).filter((mode) => !modes.includes(mode));
  return lacking.length === 0
    ? undefined
    : { reason: `offers ${modes.join(',') || 'no access mode'}, not ${lacking.join(',')}`, on: 'volume', field: 'spec.accessModes' };
};

/** A PV smaller than the request never fits; a larger one does (the claim gets the whole volume). */
const tooSmall: MisfitTest = (pv, claim) => {
  const requested = claim.spec?.resources?.requests?.storage;
  if ((parseQuantity(pv.spec?.capacity?.storage) ?? 0) >= (parseQuantity(requested) ?? 0)) return undefined;
  return { reason: `is too small (${pv.spec?.capacity?.storage ?? '0'} < ${requested ?? '?'})`, on: 'volume', field: 'spec.capacity.storage' };
};

/** Filesystem and Block volumes are not interchangeable; unset means Filesystem on both sides. */
const otherVolumeMode: MisfitTest = (pv, claim) => {
  const volumeMode = pv.spec?.volumeMode ?? 'Filesystem';
  const claimMode = claim.spec?.volumeMode ?? 'Filesystem';
  if (volumeMode === claimMode) return undefined;
  // When the PV leaves it unset, the claim's Block is what differs from the default.
  return {
    reason: `is a ${volumeMode} volume, not ${claimMode}`,
    ...(pv.spec?.volumeMode === undefined ? { on: 'claim', field: 'spec.volumeMode' } : { on: 'volume', field: 'spec.volumeMode' }),
  };
};

/** A PV being deleted is never offered to a claim. */
const beingDeleted: MisfitTest = (pv) =>
  pv.metadata?.deletionTimestamp === undefined ? undefined : { reason: 'is being deleted', on: 'volume', field: 'metadata.deletionTimestamp' };

/** Without a claimRef only an Available PV is free to bind. */
const notAvailable: MisfitTest = (pv) =>
  pv.spec?.claimRef !== undefined || pv.status?.phase === 'Available'
    ? undefined
    : { reason: `is in phase ${pv.status?.phase ?? 'unset'}`, on: 'volume', field: 'status.phase' };

/** The claim's label selector limits static binding to the PVs it matches. */
const outsideSelector: MisfitTest = (pv, claim) => {
  const selector = claim.spec?.selector;
  if (selector === undefined || selector === null || selectorMatches(selector, pv.metadata?.labels ?? {})) return undefined;
  return { reason: 'is outside the selector', on: 'claim', field: 'spec.selector' };
};

/** Static binding matches class names exactly: "" binds only to a class-less PV. */
const otherClass: MisfitTest = (pv, claim) =>
  (pv.spec?.storageClassName ?? '') === (claim.spec?.storageClassName ?? '')
    ? undefined
    : { reason: `has class "${pv.spec?.storageClassName ?? ''}"`, on: 'volume', field: 'spec.storageClassName' };

/** Tests every PV must pass, in the PV controller's order (pvIndex.findByClaim then FindMatchingVolume). */
const MISFITS_OF_ANY: readonly MisfitTest[] = [heldByAnother, lacksAccessModes, tooSmall, otherVolumeMode, beingDeleted];
/** Tests a PV whose claimRef names the claim skips: it is pre-bound, so phase, selector and class are not asked. */
const MISFITS_UNLESS_PREBOUND: readonly MisfitTest[] = [notAvailable, outsideSelector, otherClass];

/** Why a PV cannot bind the claim by static binding, in the PV controller's order; empty when it can. */
export function misfitsOf(pv: PersistentVolume, claim: SelectingClaim): Misfit[] {
  const tests = reservedFor(pv, claim) ? MISFITS_OF_ANY : [...MISFITS_OF_ANY, ...MISFITS_UNLESS_PREBOUND];
  return tests.flatMap((test) => test(pv, claim) ?? []);
}

export interface Candidate {
  readonly volume: PersistentVolume;
  readonly misfits: readonly Misfit[];
}

/** The PVs static binding considers for the claim (its class, or a claimRef naming it), by name, each with its misfits. */
export function staticCandidates(volumes: readonly PersistentVolume[], claim: SelectingClaim, className: string): Candidate[] {
  return volumes
    .filter((pv) => (pv.spec?.storageClassName ?? '') === className || reservedFor(pv, claim))
    .sort((a, b) => compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''))
    .map((volume) => ({ volume, misfits: misfitsOf(volume, claim) }));
}

/** "pv-a is too small (5Gi < 10Gi); pv-b is bound to ns/x; and 2 more": why each considered PV does not fit. */
export function describeMisfits(candidates: readonly Candidate[]): string {
  const listed = candidates.slice(0, LISTED_VOLUMES).map((c) => `${c.volume.metadata?.name ?? ''} ${c.misfits.map((m) => m.reason).join(' and ')}`);
  const more = candidates.length - LISTED_VOLUMES;
  return [...listed, ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
}

/** What the claim asks of a static PV, e.g. `size 10Gi, modes ReadWriteOnce, volumeMode Block, class ""`. */
export function describeWanted(claim: SelectingClaim, className?: string): string {
  const selector = claim.spec?.selector;
  return [
    `size ${claim.spec?.resources?.requests?.storage ?? '?'}`,
    `modes ${(claim.spec?.accessModes ?? []).join(',')}`,
    ...(claim.spec?.volumeMode === 'Block' ? ['volumeMode Block'] : []),
    ...(className === undefined ? [] : [`class "${className}"`]),
    ...(selector === undefined || selector === null ? [] : [`selector ${describeSelector(selector)}`]),
  ].join(', ');
}
