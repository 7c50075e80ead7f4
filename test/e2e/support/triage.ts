import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { Envelope } from '../../../src/crds/envelope';
import type { TriageRequestStatus } from '../../../src/crds/triage-request';
import type { KubeClient } from '../../../src/kube/client';
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
export function triaged(namespace: string, name: string, timeoutMs = 60_000, custom: CustomObjectsApi = kube().custom): Promise<TriageRequestResource> {
  return eventually(
    `TriageRequest ${namespace}/${name} triaged for its generation`,
    async () => {
      const request = await getTriageRequest(namespace, name, custom);
      return request.status?.observedGeneration === request.metadata.generation && request.status.verdict !== undefined ? request : undefined;
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

/**
 * Creates a Once request and waits until its envelope satisfies `wanted`. The apiserver may show an
 * object or Event before the operator's cache does, so a first answer made without it is not final: the
 * request is asked to run again (triage.dev/rerun, a new token each time) until it sees it, within the
 * timeout. Every anchor of the answer returned is then checked against the API.
 */
export async function triagedUntil(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  wanted: (envelope: Envelope) => boolean,
  /** A cluster of the test's own; default the shared e2e cluster. */
  clients: { readonly custom: CustomObjectsApi; readonly raw: KubeClient } = { custom: kube().custom, raw: kube().raw },
): Promise<{ verdict: string | undefined; envelope: Envelope; nextCheckAt: string | undefined }> {
  await createTriageRequest(namespace, name, spec, clients.custom);
  let token = 0;
  const request = await eventually(
    `${name} answered with what the cluster shows`,
    async () => {
      const current = await getTriageRequest(namespace, name, clients.custom);
      const status = current.status;
      const answered =
        status?.observedGeneration === current.metadata.generation && status.verdict !== undefined && (token === 0 || status.rerunToken === `wait-${token}`);
      if (!answered || status.envelope === undefined) return undefined;
      if (wanted(status.envelope)) return current;
      token += 1;
      process.stderr.write(`\n[e2e] ${name}: ${status.verdict} without what the cluster shows yet; re-run wait-${token}\n`);
      await clients.custom.patchNamespacedCustomObject({
        ...api,
        namespace,
        name,
        body: [{ op: 'add', path: '/metadata/annotations', value: { 'triage.dev/rerun': `wait-${token}` } }],
      });
      return undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  const envelope = request.status?.envelope;
  if (envelope === undefined) throw new Error(`no envelope for ${name}`);
  expect(await verifyAnchors(envelope, clients.raw)).toEqual([]);
  return { verdict: request.status?.verdict, envelope, nextCheckAt: request.status?.nextCheckAt };
}
