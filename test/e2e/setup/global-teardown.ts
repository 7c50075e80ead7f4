import { readClusterInfo } from '../support/cluster-info';
import { runHackScript } from '../support/scripts';

export default async function globalTeardown(): Promise<void> {
  if (!readClusterInfo().startedBySetup) return;
  const down = await runHackScript('cluster-down.sh');
  if (down.code !== 0) throw new Error(`cluster-down failed:\n${down.stderr}`);
}
