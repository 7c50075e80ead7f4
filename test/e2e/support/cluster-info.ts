import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './scripts';

/**
 * Where global setup records which cluster the e2e run uses, for test files and teardown: one file per
 * cluster state dir, so two runs in one checkout on clusters of their own do not read each other's.
 */
const stateDir = process.env.TRIAGE_CLUSTER_DIR;
const infoFile = path.join(
  repoRoot,
  '.test-results',
  stateDir === undefined || stateDir === '' ? 'e2e-cluster.json' : `e2e-cluster-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}.json`,
);

export interface ClusterInfo {
  readonly kubeconfig: string;
  /** Directory of the control plane binaries (a kubectl matching the apiserver lives there). */
  readonly binDir: string;
  /** True when global setup started the cluster, so teardown stops it. */
  readonly startedBySetup: boolean;
}

export function writeClusterInfo(info: ClusterInfo): void {
  fs.mkdirSync(path.dirname(infoFile), { recursive: true });
  fs.writeFileSync(infoFile, JSON.stringify(info, null, 2));
}

export function readClusterInfo(): ClusterInfo {
  return JSON.parse(fs.readFileSync(infoFile, 'utf8')) as ClusterInfo;
}
