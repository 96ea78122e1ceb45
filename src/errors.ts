/**
 * The one error type pg-access throws for anything a user can fix: a bad
 * declaration, a missing table, a rejected expression, a refused connection.
 * `code` is stable (tests and scripts may match on it); `message` names the
 * object and the fix. The CLI prints the message without a stack trace.
 */
export class PgAccessError extends Error {
  readonly code: string;
  readonly details: readonly string[];

  constructor(code: string, message: string, details: readonly string[] = []) {
    super(details.length ? `${message}\n${details.map((d) => `  - ${d}`).join('\n')}` : message);
    this.name = 'PgAccessError';
    this.code = code;
    this.details = details;
  }
}

/** Errors in what the user declared or asked for (CLI exit code 2). */
export function isUsageError(error: unknown): error is PgAccessError {
  return error instanceof PgAccessError;
}

/** The server went away mid-session: SQLSTATE class 08, 57P01-57P03 (terminated, shut down), or the client saw the socket close. */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  return typeof e?.message === 'string' && /^Connection terminated|not queryable/.test(e.message);
}
