import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { eventually } from './eventually';

/**
 * A kubeconfig that authenticates as the operator's ServiceAccount (config/rbac) with a freshly minted
 * token: tests that must run the operator with its least-privilege identity, not as admin.
 */
export async function operatorKubeconfig(core: CoreV1Api, admin: KubeConfig, prefix: string): Promise<string> {
  // The ServiceAccount may have been applied a moment ago: its token request can race its creation.
  const token = await eventually('a token for the operator ServiceAccount', () =>
    core.createNamespacedServiceAccountToken({
      namespace: 'triage-system',
      name: 'triage-operator',
      body: { spec: { expirationSeconds: 3600, audiences: [] } },
    }),
  );
  return tokenKubeconfig(admin, 'triage-operator', token.status?.token ?? '', prefix);
}

/** A kubeconfig file for the admin kubeconfig's cluster that authenticates with `token` (a ServiceAccount's), optionally with a default namespace. */
export function tokenKubeconfig(admin: KubeConfig, user: string, token: string, prefix: string, namespace?: string): string {
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('no cluster in the admin kubeconfig');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `triage-${prefix}-`)), 'kubeconfig');
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: user, context: { cluster: 'local', user, ...(namespace === undefined ? {} : { namespace }) } }],
      'current-context': user,
    }),
    { mode: 0o600 },
  );
  return file;
}
