import { PgAccessError } from '../index.js';

/** The CLI's exit codes; scripts and CI may rely on them. */
export const ExitCode = {
  ok: 0,
  /** `check` only: the database differs from the declaration. */
  drift: 1,
  /** Anything the user can fix: a bad option, a missing config, a declaration or connection error. */
  usage: 2,
  /** A bug in pg-access (or an error nobody anticipated): printed with its stack. */
  internal: 3,
  /**
   * Retryable: the database was busy or went away, and nothing was changed —
   * a lock timeout, a lost connection, or another session changing the same
   * objects meanwhile. Running the same command again may succeed.
   */
  retryable: 4,
} as const;

/** PgAccessError codes that mean "try again", not "fix something" (exit code 4). */
export const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set(['LOCK_TIMEOUT', 'CONNECTION_LOST', 'CONCURRENT_CHANGE']);

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A PgAccessError from any copy of the library. The user's access module may
 * load its own copy of pg-access (jiti transpiles it apart from the CLI's
 * modules), so `instanceof` alone would miss errors thrown by defineAccess()
 * while the module loads. Name and code identify it just as well.
 */
export function isPgAccessError(error: unknown): error is PgAccessError {
  if (error instanceof PgAccessError) return true;
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  return typeof e === 'object' && e !== null && e.name === 'PgAccessError' && typeof e.code === 'string' && typeof e.message === 'string';
}

/** A PgAccessError that keeps what caused it (printed with DEBUG=pg-access). */
export function userError(code: string, message: string, cause?: unknown): PgAccessError {
  const error = new PgAccessError(code, message);
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
  return error;
}
