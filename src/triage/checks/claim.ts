import { INDEX } from '../snapshot';
import { refOf } from '../investigation';
import { annotation, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '../objects';
import { parseQuantity } from '../quantity';
import type { Check } from './check';

const KIND = 'PersistentVolumeClaim';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** How long an external provisioner may take to start before it counts as not running. */
const PROVISIONER_GRACE_SECONDS = 30;

/** Whether a PV could satisfy the claim by static binding: available, same (empty) class, big enough, modes. */
function matchesClaim(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const wanted = parseQuantity(claim.spec?.resources?.requests?.storage) ?? 0;
  const capacity = parseQuantity(pv.spec?.capacity?.storage) ?? 0;
  const modes = pv.spec?.accessModes ?? [];
  return (
    pv.status?.phase === 'Available' &&
    (pv.spec?.storageClassName ?? '') === (claim.spec?.storageClassName ?? '') &&
    capacity >= wanted &&
    (claim.spec?.accessModes ?? []).every((mode) => modes.includes(mode))
  );
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
    const claim = subject as PersistentVolumeClaim;
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
    if (phase === 'Lost') {
      // The volume survives but serves another claim: a different fix than a deleted volume.
      const takenVolume = volumeObject?.spec?.claimRef !== undefined && volumeObject.spec.claimRef.uid !== claim.metadata?.uid ? volumeObject : undefined;
      const boundElsewhere = takenVolume !== undefined;
      const elsewhere = `${volumeObject?.spec?.claimRef?.namespace ?? ''}/${volumeObject?.spec?.claimRef?.name ?? ''}`;
      inv.report({
        code: 'ClaimLost', severity: 'Critical', object: ref, confidence: 1,
        message: boundElsewhere
          ? `PersistentVolumeClaim ${namespace}/${name} lost PersistentVolume ${volumeName}: the volume exists but is now bound to ${elsewhere}`
          : `PersistentVolumeClaim ${namespace}/${name} lost its PersistentVolume ${volumeName}${volume?.state === 'Absent' ? ', which no longer exists' : ''}`,
        anchors: [
          inv.anchorField(KIND, claim, 'status.phase'),
          ...(takenVolume === undefined ? [] : [inv.anchorField('PersistentVolume', takenVolume, 'spec.claimRef')]),
          ...eventAnchors(boundElsewhere ? 'ClaimMisbound' : 'ClaimLost'),
        ],
        chain: [...chain, ref, volumeRef],
        nextActions: [describe, { description: `Show PersistentVolume ${volumeName} and whom it is bound to`, command: `kubectl get pv ${volumeName} -o wide`, safety: 'ReadOnly' }],
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
      const defaults = (classes ?? []).filter((sc) => annotation(sc, DEFAULT_CLASS_ANNOTATION) === 'true');
      const volumes = inv.list<PersistentVolume>('PersistentVolume', 'persistentVolumes');
      if (volumes === undefined) return;
      const classAnchor = inv.anchorField(KIND, claim, 'spec.storageClassName');
      const match = volumes.find((pv) => matchesClaim(pv, claim));
      if (match !== undefined) {
        inv.report({
          code: 'BindingPending', severity: 'Warning', object: ref,
          message: `PersistentVolume ${match.metadata?.name ?? ''} matches PersistentVolumeClaim ${namespace}/${name}, which is still Pending; the PV controller should bind them (check kube-controller-manager if this persists)`,
          anchors: [classAnchor, inv.anchorField('PersistentVolume', match, 'status.phase')],
          nextActions: [describe, { description: 'Show the matching volume', command: `kubectl get pv ${match.metadata?.name ?? ''} -o wide`, safety: 'ReadOnly' }],
        });
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
      const wanted = `size ${claim.spec?.resources?.requests?.storage ?? '?'}, modes ${(claim.spec?.accessModes ?? []).join(',')}`;
      inv.report({
        code: 'NoMatchingPersistentVolume', severity: 'Critical', object: ref, confidence: defaultClass === undefined ? 0.9 : 0.6,
        message:
          defaultClass === undefined
            ? `No available PersistentVolume matches PersistentVolumeClaim ${namespace}/${name} (${wanted}, class "")`
            : `PersistentVolumeClaim ${namespace}/${name} names no StorageClass although "${defaultClass.metadata?.name ?? ''}" is the default (it should be assigned to the claim), and no PersistentVolume matches it meanwhile (${wanted})`,
        anchors: defaultClass === undefined ? anchors : [...anchors, inv.anchorField('StorageClass', defaultClass, `metadata.annotations[${DEFAULT_CLASS_ANNOTATION}]`)],
        chain: [...chain, ref],
        nextActions: [
          { description: 'List PersistentVolumes with their class, size, modes and status', command: 'kubectl get pv', safety: 'ReadOnly' },
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
      inv.report({
        code: 'StorageClassNotFound', severity: 'Critical', object: ref, confidence: 1,
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
        message: `PersistentVolumeClaim ${namespace}/${name} asked external provisioner "${storageClass.provisioner ?? '?'}" for a volume ${Math.round(waitingSeconds)}s ago`,
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
