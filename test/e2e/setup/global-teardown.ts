import { readClusterInfo } from '../support/cluster-info';
import { e2eClusterEnv, runHackScript } from '../support/scripts';

export default async function globalTeardown(): Promise<void> {
  if (!readClusterInfo().startedBySetup) return;
  const down = await runHackScript('cluster-down.sh', e2eClusterEnv());
  if (down.code !== 0) throw new Error(`cluster-down failed:\n${down.stderr}`);
}
