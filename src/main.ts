/**
 * triage-operator entry point. The controller (informer caches, work queue, status writes) is
 * assembled here once it lands; until then the binary only identifies itself.
 */
import packageJson from '../package.json';

function main(argv: readonly string[]): number {
  if (argv.includes('--version')) {
    process.stdout.write(`${packageJson.name} ${packageJson.version}\n`);
    return 0;
  }
  process.stderr.write(`${packageJson.name}: the controller is not built yet; see README.md\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
