// What the PV controller and external provisioners write on a PersistentVolumeClaim's ProvisioningFailed
// events, read as far as a diagnosis needs: which class was missing, and whether topology was the obstacle.

/** A failure naming topology or zones: no zone fits both the class's allowed topologies and the consumer's node. */
const TOPOLOGY = /topology|zone|node affinity|didn't match/i;

/** Whether a provisioning failure is a topology conflict rather than a provisioner's own error. */
export function isTopologyFailure(message: string): boolean {
  return TOPOLOGY.test(message);
}

/** Whether the message is the PV controller's `storageclass.storage.k8s.io "<class>" not found` about this class. */
export function saysClassNotFound(message: string, className: string): boolean {
  return message.includes(`storageclass.storage.k8s.io "${className}" not found`);
}
