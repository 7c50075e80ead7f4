import { AppsV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, EventsV1Api, KubeConfig, NetworkingV1Api, StorageV1Api } from '@kubernetes/client-node';
import { KubeClient } from '../../../src/kube/client';
import { readClusterInfo } from './cluster-info';

/** Typed API clients for the cluster the e2e run uses (admin identity). */
export interface Kube {
  readonly config: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly storage: StorageV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly events: EventsV1Api;
  readonly custom: CustomObjectsApi;
  readonly networking: NetworkingV1Api;
  /** The operator's own JSON client, for raw paths such as the apiserver's /metrics. */
  readonly raw: KubeClient;
}

let cached: Kube | undefined;

export function kube(): Kube {
  if (cached !== undefined) return cached;
  const config = new KubeConfig();
  config.loadFromFile(readClusterInfo().kubeconfig);
  cached = {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    storage: config.makeApiClient(StorageV1Api),
    discovery: config.makeApiClient(DiscoveryV1Api),
    events: config.makeApiClient(EventsV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    networking: config.makeApiClient(NetworkingV1Api),
    raw: new KubeClient(config),
  };
  return cached;
}

/** HTTP status of a client-node ApiException, or undefined for any other error. */
export function apiStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return undefined;
}
