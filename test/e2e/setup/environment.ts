import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

/** A test file registers this on its global; the environment calls it when a test fails. */
export type FailureReporter = (testName: string) => Promise<void>;
export const failureReporterKey = '__triageE2eFailureReporter';

/**
 * Node environment that, when a test fails, runs the failure reporter its file registered, so the
 * objects and Events the test was looking at land in the output beside the assertion.
 */
export default class E2eEnvironment extends TestEnvironment {
  async handleTestEvent(event: Circus.Event): Promise<void> {
    if (event.name !== 'test_done' || event.test.errors.length === 0) return;
    const reporter = this.global[failureReporterKey] as FailureReporter | undefined;
    if (reporter === undefined) return;
    try {
      await reporter(event.test.name);
    } catch (error: unknown) {
      process.stderr.write(`[e2e] could not dump the failing test's objects: ${String(error)}\n`);
    }
  }
}
