import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubeconfigFromClusterUp, runHackScript } from './support/scripts';

// A second, one-node cluster in its own state dir, so stopping it leaves the shared test cluster alone.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-lifecycle-'));
const env = { TRIAGE_CLUSTER_DIR: stateDir, NODES: '1' };

/** Every live process whose process group is one cluster-up started (its components and their children). */
function processesInGroups(groups: ReadonlySet<number>): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' });
  return table
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, pgid]) => pgid !== undefined && groups.has(pgid))
    .map(([pid]) => pid ?? -1);
}

/** Every live process whose command line names the state dir (each component gets a path in it). */
function processesNamingStateDir(): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(stateDir) && !line.includes('ps -eo'));
}

function componentGroups(): Set<number> {
  const pidsDir = path.join(stateDir, 'pids');
  return new Set(fs.readdirSync(pidsDir).map((file) => Number(fs.readFileSync(path.join(pidsDir, file), 'utf8'))));
}

afterAll(async () => {
  await runHackScript('cluster-down.sh', env);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('make cluster-up / cluster-down', () => {
  test('a failed start names the component, shows its log and leaves no process behind', async () => {
    const failed = await runHackScript('cluster-up.sh', { ...env, KUBE_APISERVER_EXTRA_FLAGS: '--no-such-flag=1' });

    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/error: kube-apiserver exited during start-up \(log: .*kube-apiserver\.log\)/);
    expect(failed.stderr).toContain('unknown flag: --no-such-flag');
    expect(fs.readdirSync(stateDir)).toEqual(['logs']);
    expect(fs.readFileSync(path.join(stateDir, 'logs', 'kube-apiserver.log'), 'utf8')).toContain('--no-such-flag');
    expect(processesNamingStateDir()).toEqual([]);
  });

  test('starts, is idempotent, and stops every process it started', async () => {
    const up = await runHackScript('cluster-up.sh', env);
    expect(up.code).toBe(0);
    const kubeconfig = kubeconfigFromClusterUp(up.stdout);
    expect(path.isAbsolute(kubeconfig)).toBe(true);
    const groups = componentGroups();
    expect(groups.size).toBe(5);
    expect(processesInGroups(groups).length).toBeGreaterThanOrEqual(5);

    const again = await runHackScript('cluster-up.sh', env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('cluster already up');
    expect(kubeconfigFromClusterUp(again.stdout)).toBe(kubeconfig);
    expect(componentGroups()).toEqual(groups);

    const down = await runHackScript('cluster-down.sh', env);
    expect(down.code).toBe(0);
    expect(processesInGroups(groups)).toEqual([]);
    expect(processesNamingStateDir()).toEqual([]);
    expect(fs.existsSync(stateDir)).toBe(false);

    const downAgain = await runHackScript('cluster-down.sh', env);
    expect(downAgain.code).toBe(0);
    expect(downAgain.stderr).toContain('nothing to do');
  });
});
