/**
 * triage-operator entry point: configuration, logging, the Kubernetes connection, signals.
 * Flags and environment: see src/config.ts or `--help`.
 */
import { KubeConfig } from '@kubernetes/client-node';
import packageJson from '../package.json';
import { ConfigError, parseCommandLine, usage } from './config';
import { createLogger } from './logger';
import { Operator } from './operator';
import { enableLinearRegExp } from './triage/linear-regex';

async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCommandLine(argv, process.env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${packageJson.name}: ${error.message}\nRun ${packageJson.name} --help for the flags.\n`);
      return 2;
    }
    throw error;
  }
  if (command.action === 'help') {
    process.stdout.write(usage(packageJson));
    return 0;
  }
  if (command.action === 'version') {
    process.stdout.write(`${packageJson.name} ${packageJson.version}\n`);
    return 0;
  }
  const config = command.config;
  // Every regex in the process falls back to the linear-time engine when it backtracks excessively.
  enableLinearRegExp();
  const logger = createLogger(config.logLevel);
  const kubeConfig = new KubeConfig();
  // An explicit kubeconfig wins; otherwise KUBECONFIG, ~/.kube/config, then the in-cluster account.
  // From the environment, KUBECONFIG may list several files (a:b): loadFromDefault merges them as kubectl does.
  if (config.kubeconfig === undefined || config.kubeconfig === process.env.KUBECONFIG) kubeConfig.loadFromDefault();
  else kubeConfig.loadFromFile(config.kubeconfig);

  // A stray rejection is a bug to log, not a reason to crash-loop the controller.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error('Unhandled promise rejection', { error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) });
  });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info('Signal received, draining', { signal });
      stop.abort();
    });
  }
  const exit = await new Operator(config, kubeConfig, logger).run(stop.signal);
  return exit === 'Stopped' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Informer sockets and timers may linger; the operator has finished its shutdown.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (error: unknown) => {
    process.stderr.write(`${packageJson.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
