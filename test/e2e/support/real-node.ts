import type { V1PodSpec } from '@kubernetes/client-node';
import { kubectlOk } from './kubectl';

/** What cluster-up publishes about the real node (ConfigMap kube-public/triage-real-node). */
export interface RealNodeInfo {
  readonly nodeName: string;
  readonly busyboxImage: string;
  readonly openRegistry: string;
  readonly authRegistry: string;
  readonly authUsername: string;
  readonly authPassword: string;
  readonly registryImage: string;
  readonly bridge: string;
  readonly cgroupRoot: string;
  /** Where the node's pods reach the apiserver (it listens on loopback; a forwarder on the pod bridge stands in for the `kubernetes` Service). */
  readonly apiServerAddressForPods: string;
  readonly apiServerPortForPods: string;
}

export async function realNodeInfo(kubeconfig: string): Promise<RealNodeInfo> {
  const out = await kubectlOk(['get', 'configmap', '-n', 'kube-public', 'triage-real-node', '-o', 'jsonpath={.data}'], undefined, kubeconfig);
  return JSON.parse(out) as RealNodeInfo;
}

/** The real node is tainted so nothing lands there by accident: pods meant for it select it and tolerate the taint. */
export const onRealNode: Pick<V1PodSpec, 'nodeSelector' | 'tolerations'> = {
  nodeSelector: { 'triage.dev/real-node': 'true' },
  tolerations: [{ key: 'triage.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
};
