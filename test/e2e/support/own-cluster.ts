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
  /** When cluster-up was started and when it returned (epoch ms), for start-up cost measurements. */
  readonly timing: () => { readonly upStartedAt: number; readonly upFinishedAt: number };
}

export interface OwnClusterOptions {
  /** true: start it with REAL_NODES=1 (a real kubelet node `real-node-1` and local registries); false: REAL_NODES=0; unset: the environment decides. */
  readonly realNodes?: boolean;
  /** false: leave the CRDs out (a test that installs them itself, e.g. with the Helm chart). @default true */
  readonly installCrds?: boolean;
}

export function useOwnCluster(prefix: string, nodes: number, options: OwnClusterOptions = {}): OwnCluster {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `triage-${prefix}-`));
  const env: NodeJS.ProcessEnv = { TRIAGE_CLUSTER_DIR: stateDir, NODES: String(nodes) };
  if (options.realNodes !== undefined) env.REAL_NODES = options.realNodes ? '1' : '0';
  let kubeconfig = '';
  let upStartedAt = 0;
  let upFinishedAt = 0;

  beforeAll(async () => {
    upStartedAt = Date.now();
    const up = await runHackScript('cluster-up.sh', env);
    upFinishedAt = Date.now();
    if (up.code !== 0) throw new Error(`cluster-up failed:\n${up.stderr}`);
    kubeconfig = kubeconfigFromClusterUp(up.stdout);
    if (options.installCrds === false) return;
    await kubectlOk(['apply', '-k', 'config/crd'], undefined, kubeconfig);
    await kubectlOk(
      [
        'wait',
        '--for=condition=Established',
        'crd/triagerequests.triage.dev',
        'crd/triagetemplates.triage.dev',
        'crd/triagepolicies.triage.dev',
        'crd/triagesinks.triage.dev',
      ],
      undefined,
      kubeconfig,
    );
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
  return { kubeconfig: () => kubeconfig, env, clients, timing: () => ({ upStartedAt, upFinishedAt }) };
}
