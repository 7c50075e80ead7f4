import { randomBytes } from 'node:crypto';
import { failureReporterKey, type FailureReporter } from '../setup/environment';
import { dumpNamespace } from './dump';
import { kube } from './kube';

/**
 * Gives the calling test file its own namespace, created before its tests and deleted after them.
 * When a test fails, the namespace's objects and Events are printed. Call once, at file top level.
 */
export function useTestNamespace(prefix: string): { readonly name: string } {
  const handle = { name: `${prefix}-${randomBytes(3).toString('hex')}` };

  beforeAll(async () => {
    await kube().core.createNamespace({ body: { metadata: { name: handle.name, labels: { 'triage.dev/e2e': 'true' } } } });
    const reporter: FailureReporter = async (testName) => {
      process.stderr.write(`\n[e2e] "${testName}" failed; what it was looking at:\n${await dumpNamespace(handle.name)}\n`);
    };
    (globalThis as Record<string, unknown>)[failureReporterKey] = reporter;
  });

  afterAll(async () => {
    // kwok removes pods on its nodes; nothing waits for the namespace to finish terminating.
    await kube().core.deleteNamespace({ name: handle.name });
  });

  return handle;
}
