import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { Envelope } from '../../../src/crds/envelope';
import type { TriageRequestStatus } from '../../../src/crds/triage-request';
import { verifyAnchors } from './anchors';
import { eventually } from './eventually';
import { kube } from './kube';

export interface TriageRequestResource {
  readonly metadata: { name: string; namespace: string; generation: number; resourceVersion: string; uid: string };
  readonly spec: Record<string, unknown>;
  readonly status?: TriageRequestStatus;
}

const api = { group: 'triage.dev', version: 'v1alpha1', plural: 'triagerequests' } as const;

/** The custom-objects client of the shared e2e cluster, unless a test brings its own cluster. */
export async function createTriageRequest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  custom: CustomObjectsApi = kube().custom,
): Promise<TriageRequestResource> {
  return (await custom.createNamespacedCustomObject({
    ...api,
    namespace,
    body: { apiVersion: 'triage.dev/v1alpha1', kind: 'TriageRequest', metadata: { name }, spec },
  })) as TriageRequestResource;
}

export async function getTriageRequest(namespace: string, name: string, custom: CustomObjectsApi = kube().custom): Promise<TriageRequestResource> {
  return (await custom.getNamespacedCustomObject({ ...api, namespace, name })) as TriageRequestResource;
}

/** Waits until the operator has written status for the request's current generation. */
export function triaged(
  namespace: string,
  name: string,
  timeoutMs = 60_000,
  custom: CustomObjectsApi = kube().custom,
): Promise<TriageRequestResource> {
  return eventually(
    `TriageRequest ${namespace}/${name} triaged for its generation`,
    async () => {
      const request = await getTriageRequest(namespace, name, custom);
      return request.status?.observedGeneration === request.metadata.generation && request.status.verdict !== undefined
        ? request
        : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Creates a request, waits for its status, checks every anchor against the API, and returns the verdict and envelope. */
export async function triageVerified(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<{ verdict: string | undefined; envelope: Envelope }> {
  await createTriageRequest(namespace, name, spec);
  const request = await triaged(namespace, name);
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(`no envelope for ${name}: ${JSON.stringify(request.status)}`);
  expect(await verifyAnchors(envelope)).toEqual([]);
  return { verdict: request.status?.verdict, envelope };
}
