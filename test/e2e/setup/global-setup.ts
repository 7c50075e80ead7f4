import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { writeClusterInfo } from '../support/cluster-info';
import { e2eClusterEnv, kubeconfigFromClusterUp, repoRoot, runHackScript } from '../support/scripts';

/** The context name hack/cluster-up.sh writes: only such a cluster is reused, never a real one. */
const localContext = 'triage-local';

function reusableKubeconfig(): string | undefined {
  const candidate = process.env.KUBECONFIG;
  if (candidate === undefined || candidate === '' || !fs.existsSync(candidate)) return undefined;
  const kc = new KubeConfig();
  kc.loadFromFile(candidate);
  return kc.getCurrentContext() === localContext ? candidate : undefined;
}

function installCrds(kubeconfig: string, binDir: string): void {
  const kubectl = path.join(binDir, 'kubectl');
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-k', path.join(repoRoot, 'config/crd')], { stdio: 'inherit' });
  execFileSync(
    kubectl,
    [
      '--kubeconfig',
      kubeconfig,
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/triagerequests.triage.dev',
      'crd/triagetemplates.triage.dev',
      'crd/triagepolicies.triage.dev',
      'crd/triagesinks.triage.dev',
    ],
    { stdio: 'inherit' },
  );
}

export default async function globalSetup(): Promise<void> {
  process.stderr.write('\n[e2e] building the operator (tsc)\n');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  const build = await runHackScript('build-controlplane.sh', {}, { echoProgress: true });
  if (build.code !== 0) throw new Error(`control plane build failed:\n${build.stderr}`);
  const binDir = build.stdout.trim().split('\n').at(-1) ?? '';

  const existing = reusableKubeconfig();
  if (existing !== undefined) {
    process.stderr.write(`\n[e2e] using the running local cluster from KUBECONFIG=${existing}\n`);
    writeClusterInfo({ kubeconfig: existing, binDir, startedBySetup: false });
    installCrds(existing, binDir);
    return;
  }
  process.stderr.write('\n[e2e] starting the local control plane\n');
  const up = await runHackScript('cluster-up.sh', e2eClusterEnv(), { echoProgress: true });
  if (up.code !== 0) throw new Error(`cluster-up failed (exit ${up.code}):\n${up.stderr.split('\n').slice(-30).join('\n')}`);
  // "already up" means a cluster left in the e2e state dir (an interrupted run): use it, leave it running.
  const startedBySetup = !up.stderr.includes('cluster already up');
  const kubeconfig = kubeconfigFromClusterUp(up.stdout);
  writeClusterInfo({ kubeconfig, binDir, startedBySetup });
  installCrds(kubeconfig, binDir);
}
