/** Options for {@link eventually}. */
export interface EventuallyOptions {
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** @default 500 */
  readonly intervalMs?: number;
}

export class EventuallyTimeoutError extends Error {
  constructor(
    readonly description: string,
    readonly timeoutMs: number,
    readonly lastError: unknown,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${description}; last attempt: ${String(lastError)}`);
    this.name = 'EventuallyTimeoutError';
  }
}

/**
 * Retries `probe` until it returns a value other than undefined (or stops throwing), and returns it.
 * The cluster converges asynchronously: tests wait for state, never sleep for a fixed time.
 */
export async function eventually<T>(description: string, probe: () => Promise<T | undefined>, options: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = 'no value yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error: unknown) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new EventuallyTimeoutError(description, timeoutMs, lastError);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
