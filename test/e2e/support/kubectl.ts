import path from 'node:path';
import { readClusterInfo } from './cluster-info';
import { runProgram, type ScriptResult } from './scripts';

/** Runs the kubectl that matches the apiserver (built with it), against the e2e cluster. */
export function kubectl(args: readonly string[], input?: string, kubeconfig?: string): Promise<ScriptResult> {
  const info = readClusterInfo();
  return runProgram(path.join(info.binDir, 'kubectl'), ['--kubeconfig', kubeconfig ?? info.kubeconfig, ...args], input === undefined ? {} : { input });
}

/** kubectl that must succeed. */
export async function kubectlOk(args: readonly string[], input?: string, kubeconfig?: string): Promise<string> {
  const result = await kubectl(args, input, kubeconfig);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}
