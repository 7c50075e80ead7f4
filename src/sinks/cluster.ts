import type { V1Secret } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/triage-request';
import type { TriageSinkStatus } from '../crds/triage-sink';
import type { ClusterCache } from '../kube/cluster-cache';
import type { KubeClient } from '../kube/client';
import { ApiError } from '../kube/errors';
import type { SecretRead, SinkCluster, SinkObject } from './dispatcher';

/** A credential longer than this is not a token or a webhook URL: refused rather than sent. */
const MAX_SECRET_VALUE = 8192;

/**
 * The dispatcher's view of the cluster: sinks and namespaces from the informer cache, the Secret read
 * by name in the operator's own namespace (RBAC: get on that name only, config/rbac/sinks), status by merge patch.
 */
export function kubeSinkCluster(cache: ClusterCache, client: KubeClient, secretNamespace: string): SinkCluster {
  return {
    sinks: () => cache.list('TriageSink') as readonly SinkObject[],
    namespaceLabels: (namespace) => cache.get('Namespace', namespace)?.metadata?.labels ?? undefined,
    readSecret: async (name, key): Promise<SecretRead> => {
      let secret: V1Secret;
      try {
        secret = await client.get<V1Secret>(`/api/v1/namespaces/${encodeURIComponent(secretNamespace)}/secrets/${encodeURIComponent(name)}`);
      } catch (error: unknown) {
        if (error instanceof ApiError && error.isNotFound) return { kind: 'SecretNotFound' };
        if (error instanceof ApiError && error.isForbidden) return { kind: 'SecretForbidden' };
        return { kind: 'SecretUnreadable' };
      }
      const encoded = secret.data?.[key];
      if (encoded === undefined) return { kind: 'SecretKeyMissing' };
      if (encoded.length > (MAX_SECRET_VALUE * 4) / 3 + 4) return { kind: 'SecretUnreadable' };
      return { kind: 'Value', value: Buffer.from(encoded, 'base64').toString('utf8') };
    },
    writeStatus: async (name: string, status: TriageSinkStatus) => {
      await client.mergePatch(`/apis/${GROUP}/${VERSION}/triagesinks/${encodeURIComponent(name)}/status`, { status });
    },
  };
}
