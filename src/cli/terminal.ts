import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** An output stream and the colours to use on it (no-ops when colour is off). */
export interface Terminal {
  write(text: string): void;
  readonly colors: Colors;
}

export interface WritableLike {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Colour only on a terminal. picocolors' own default also colours when `CI`
 * is set or on Windows, even into a pipe; output piped into a file or another
 * program must stay plain. NO_COLOR (non-empty) turns colour off and
 * FORCE_COLOR (other than 0/false) turns it on, as everywhere else.
 */
export function colorEnabled(stream: WritableLike, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createTerminal(stream: WritableLike, env: NodeJS.ProcessEnv): Terminal {
  return { write: (text) => void stream.write(text), colors: pc.createColors(colorEnabled(stream, env)) };
}
