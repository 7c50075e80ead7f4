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
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('no cluster in the admin kubeconfig');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `triage-${prefix}-`)), 'kubeconfig');
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
      users: [{ name: 'triage-operator', user: { token: token.status?.token } }],
      contexts: [{ name: 'operator', context: { cluster: 'local', user: 'triage-operator' } }],
      'current-context': 'operator',
    }),
    { mode: 0o600 },
  );
  return file;
}
