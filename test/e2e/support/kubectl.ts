import { spawn } from 'node:child_process';
import path from 'node:path';
import { readClusterInfo } from './cluster-info';
import { repoRoot, type ScriptResult } from './scripts';

/** Runs the kubectl that matches the apiserver (built with it), against the e2e cluster. */
export function kubectl(args: readonly string[], input?: string, kubeconfig?: string): Promise<ScriptResult> {
  const info = readClusterInfo();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(info.binDir, 'kubectl'), ['--kubeconfig', kubeconfig ?? info.kubeconfig, ...args], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** kubectl that must succeed. */
export async function kubectlOk(args: readonly string[], input?: string, kubeconfig?: string): Promise<string> {
  const result = await kubectl(args, input, kubeconfig);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}
