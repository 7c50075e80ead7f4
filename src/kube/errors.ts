/** A non-2xx answer from the apiserver, with the Status object's reason when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
    /** Why, per the Status's details.causes (their `reason`), e.g. NamespaceTerminating. */
    readonly causes: readonly string[] = [],
  ) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${message}`);
    this.name = 'ApiError';
  }

  get isNotFound(): boolean {
    return this.statusCode === 404;
  }

  get isConflict(): boolean {
    return this.statusCode === 409;
  }

  get isForbidden(): boolean {
    return this.statusCode === 403;
  }

  /** NamespaceLifecycle admission refused a create: the namespace, and everything in it, is going away. */
  get isNamespaceTerminating(): boolean {
    return this.statusCode === 403 && this.causes.includes('NamespaceTerminating');
  }

  get isGone(): boolean {
    return this.statusCode === 410;
  }

  /** Worth retrying: throttling, server-side failures and timeouts; never bad input or authz. */
  get isTransient(): boolean {
    return this.statusCode === 429 || this.statusCode >= 500 || this.statusCode === 408;
  }
}

/** The connection failed before any answer: apiserver down, refused, reset. Always transient. */
export class ConnectionError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`${method} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ConnectionError';
  }
}

export function isTransientError(error: unknown): boolean {
  if (error instanceof ApiError) return error.isTransient || error.isConflict;
  return error instanceof ConnectionError;
}
