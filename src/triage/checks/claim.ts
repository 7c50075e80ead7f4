import { INDEX } from '../snapshot';
import { refOf } from '../investigation';
import { annotation, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '../objects';
import { parseQuantity } from '../quantity';
import type { Check } from './check';

const KIND = 'PersistentVolumeClaim';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

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
    'ProvisionerNotRunning', 'ProvisioningFailed', 'VolumeTopologyConflict', 'WaitingForFirstConsumer',
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
    if (phase === 'Lost') {
      const volume = claim.spec?.volumeName ?? '';
      inv.report({
        code: 'ClaimLost', severity: 'Critical', object: ref, confidence: 1,
        message: `PersistentVolumeClaim ${namespace}/${name} lost its PersistentVolume ${volume}`,
        anchors: [inv.anchorField(KIND, claim, 'status.phase'), ...eventAnchors('ClaimLost')],
        chain: [...chain, ref, refOf('PersistentVolume', undefined, { name: volume })],
        nextActions: [describe, { description: `Check whether PersistentVolume ${volume} still exists`, command: `kubectl get pv ${volume}`, safety: 'ReadOnly' }],
      });
      return;
    }

    const mismatch = events.find((e) => e.reason === 'VolumeMismatch');
    if (mismatch !== undefined) {
      const volume = claim.spec?.volumeName ?? '';
      inv.report({
        code: 'VolumeMismatch', severity: 'Critical', object: ref, confidence: 0.95,
        message: `PersistentVolumeClaim ${namespace}/${name} cannot bind to the volume it names: ${mismatch.message}`,
        anchors: [inv.anchorField(KIND, claim, 'spec.volumeName'), inv.anchorEvent(mismatch)],
        chain: [...chain, ref, refOf('PersistentVolume', undefined, { name: volume })],
        nextActions: [describe, { description: `Compare the volume's size, class and access modes with the claim`, command: `kubectl get pv ${volume} -o yaml`, safety: 'ReadOnly' }],
      });
      return;
    }

    const className = claim.spec?.storageClassName;
    if (className === undefined || className === null || className === '') {
      const explicitStatic = className === '';
      const classes = inv.list<StorageClass>('StorageClass', 'storageClass');
      const defaults = (classes ?? []).filter((sc) => annotation(sc, DEFAULT_CLASS_ANNOTATION) === 'true');
      const volumes = inv.list<PersistentVolume>('PersistentVolume', 'persistentVolumes');
      if (volumes === undefined) return;
      if (volumes.some((pv) => matchesClaim(pv, claim))) return;
      const classAnchor = inv.anchorField(KIND, claim, 'spec.storageClassName');
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
      inv.report({
        code: 'NoMatchingPersistentVolume', severity: 'Critical', object: ref, confidence: 0.9,
        message: `No available PersistentVolume matches PersistentVolumeClaim ${namespace}/${name} (size ${claim.spec?.resources?.requests?.storage ?? '?'}, modes ${(claim.spec?.accessModes ?? []).join(',')}, class "${className ?? ''}")`,
        anchors, chain: [...chain, ref],
        nextActions: [
          { description: 'List PersistentVolumes with their class, size, modes and status', command: 'kubectl get pv', safety: 'ReadOnly' },
          describe,
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

    const failure = events.find((e) => e.reason === 'ProvisioningFailed');
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
    if (waiting !== undefined && !started) {
      inv.report({
        code: 'ProvisionerNotRunning', severity: 'Critical', object: ref, confidence: waiting.count >= 2 ? 0.85 : 0.7,
        message: `No provisioner acted on PersistentVolumeClaim ${namespace}/${name}: it waits for external provisioner "${storageClass.provisioner ?? '?'}" (${waiting.count} times), which never started provisioning`,
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
