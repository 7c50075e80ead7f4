import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../../..');

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program and collects its output; stderr is streamed to ours when `echoProgress` is set. */
export function runProgram(
  program: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; echoProgress?: boolean } = {},
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...args], { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
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
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a script under hack/ with extra environment. */
export function runHackScript(
  script: string,
  env: NodeJS.ProcessEnv = {},
  options: { echoProgress?: boolean; args?: readonly string[] } = {},
): Promise<ScriptResult> {
  return runProgram(path.join(repoRoot, 'hack', script), options.args ?? [], {
    env,
    ...(options.echoProgress === undefined ? {} : { echoProgress: options.echoProgress }),
  });
}

/**
 * The state dir of the shared e2e cluster: TRIAGE_CLUSTER_DIR when set, else a dir of its own beside
 * the binary cache, never the default one `make demo` and `make cluster-up` use (an operator left
 * running there by the demo would race the tests' own operators on every request).
 */
export function e2eClusterEnv(): NodeJS.ProcessEnv {
  const explicit = process.env.TRIAGE_CLUSTER_DIR;
  if (explicit !== undefined && explicit !== '') return {};
  const cache =
    process.env.TRIAGE_CACHE_DIR !== undefined && process.env.TRIAGE_CACHE_DIR !== ''
      ? process.env.TRIAGE_CACHE_DIR
      : path.join(os.homedir(), '.cache', 'triage-operator');
  return { TRIAGE_CLUSTER_DIR: path.join(cache, 'e2e-cluster') };
}

/** The KUBECONFIG path from the `export KUBECONFIG=<path>` line cluster-up prints last. */
export function kubeconfigFromClusterUp(stdout: string): string {
  const match = /^export KUBECONFIG=(.+)$/m.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`cluster-up printed no KUBECONFIG line:\n${stdout}`);
  return match[1].trim();
}
