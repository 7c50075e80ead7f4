import { spawn } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../../..');

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script under hack/; stderr (progress) is streamed to ours when `echoProgress` is set. */
export function runHackScript(
  script: string,
  env: NodeJS.ProcessEnv = {},
  options: { echoProgress?: boolean; args?: readonly string[] } = {},
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'hack', script), [...(options.args ?? [])], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echoProgress === true) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => { resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

/** The KUBECONFIG path from the `export KUBECONFIG=<path>` line cluster-up prints last. */
export function kubeconfigFromClusterUp(stdout: string): string {
  const match = /^export KUBECONFIG=(.+)$/m.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`cluster-up printed no KUBECONFIG line:\n${stdout}`);
  return match[1].trim();
}
