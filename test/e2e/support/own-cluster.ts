import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { kubectlOk } from './kubectl';
import { stopAllOperators } from './operator';
import { kubeconfigFromClusterUp, runHackScript } from './scripts';

/**
 * A cluster of the calling test file's own, in its own state dir, with the CRDs installed: for tests
 * that disrupt the control plane or need an unusual one. Started before the file's tests, stopped
 * (operators first) after them. Call once, at file top level.
 */
export interface OwnCluster {
  readonly kubeconfig: () => string;
  readonly env: NodeJS.ProcessEnv;
  /** Admin clients for this cluster (call inside a test, after it started). */
  readonly clients: () => { readonly core: CoreV1Api; readonly custom: CustomObjectsApi };
}

export function useOwnCluster(prefix: string, nodes: number): OwnCluster {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `triage-${prefix}-`));
  const env = { TRIAGE_CLUSTER_DIR: stateDir, NODES: String(nodes) };
  let kubeconfig = '';

  beforeAll(async () => {
    const up = await runHackScript('cluster-up.sh', env);
    if (up.code !== 0) throw new Error(`cluster-up failed:\n${up.stderr}`);
    kubeconfig = kubeconfigFromClusterUp(up.stdout);
    await kubectlOk(['apply', '-k', 'config/crd'], undefined, kubeconfig);
    await kubectlOk(['wait', '--for=condition=Established', 'crd/triagerequests.triage.dev', 'crd/triagetemplates.triage.dev'], undefined, kubeconfig);
  });

  afterAll(async () => {
    await stopAllOperators();
    await runHackScript('cluster-down.sh', env);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const clients = () => {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    return { core: config.makeApiClient(CoreV1Api), custom: config.makeApiClient(CustomObjectsApi) };
  };
  return { kubeconfig: () => kubeconfig, env, clients };
}
