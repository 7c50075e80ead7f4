#!/usr/bin/env node
/**
 * kubectl-triage: the kubectl plugin (`kubectl triage ...`). Creates a TriageRequest through the
 * user's kubeconfig and RBAC, waits for the operator's verdict and prints it; or runs the same
 * diagnosis here (--local, --from-file). `kubectl triage --help` lists the commands.
 */
import { parseCommandLine } from './args';
import { PluginError } from './errors';
import { runCommand } from './commands';
import { DumpError } from './dump';
import { DiagnosisAborted } from '../triage/engine';
import { enableLinearRegExp } from '../triage/linear-regex';

async function main(argv: readonly string[]): Promise<number> {
  // Regexes in templates are user input: the same linear-time fallback as the operator's.
  enableLinearRegExp();
  const interrupted = new AbortController();
  // The first signal stops the wait and deletes the request it created; a second one quits at once.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      if (interrupted.signal.aborted) process.exit(130);
      interrupted.abort();
    });
  try {
    return await runCommand(parseCommandLine(argv), {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      stdoutIsTTY: process.stdout.isTTY,
      stderrIsTTY: process.stderr.isTTY,
      now: () => new Date(),
      signal: interrupted.signal,
    });
  } catch (error: unknown) {
    // Expected failures are a sentence on stderr; anything else is a bug, printed with its stack below.
    if (error instanceof DiagnosisAborted) {
      process.stderr.write('kubectl-triage: interrupted\n');
      return 130;
    }
    if (!(error instanceof PluginError || error instanceof DumpError)) throw error;
    process.stderr.write(`kubectl-triage: ${error.message}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`kubectl-triage: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
