import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import { quoteIdent, quoteLiteral } from '../render/sql/quote.js';

/** A managed role whose password comes from an environment variable. */
export interface PasswordSource {
  readonly role: string;
  readonly env: string;
  /** The plan creates the role, so it has no password yet. */
  readonly createdByPlan: boolean;
}

export interface PasswordOutcome {
  readonly role: string;
  readonly env: string;
  readonly status: 'set' | 'variable-not-set' | 'kept';
}

/**
 * Sets passwords from the environment inside apply's transaction: for roles
 * the plan creates, or for all of them when asked (rotation). The statement
 * carries a SCRAM-SHA-256 verifier computed here, never the password itself,
 * so it cannot show up in the server's statement log, and it is never part
 * of a plan, a migration or an error message.
 */
export async function setRolePasswords(db: Queryable, sources: readonly PasswordSource[], setAll: boolean, env: NodeJS.ProcessEnv = process.env): Promise<PasswordOutcome[]> {
  const outcomes: PasswordOutcome[] = [];
  for (const s of sources) {
    if (!s.createdByPlan && !setAll) {
      outcomes.push({ role: s.role, env: s.env, status: 'kept' });
      continue;
    }
    const password = env[s.env];
    if (password === undefined || password === '') {
      outcomes.push({ role: s.role, env: s.env, status: 'variable-not-set' });
      continue;
    }
    try {
      await db.query(`ALTER ROLE ${quoteIdent(s.role)} PASSWORD ${quoteLiteral(scramSha256Verifier(password))}`);
    } catch (cause) {
      // The statement holds a verifier: the message names the role only.
      throw new PgAccessError('APPLY_FAILED', `PostgreSQL refused to set the password of role ${quoteIdent(s.role)} (from $${s.env}): ${(cause as Error).message}. The transaction was rolled back; nothing was changed.`);
    }
    outcomes.push({ role: s.role, env: s.env, status: 'set' });
  }
  return outcomes;
}

const SCRAM_ITERATIONS = 4096;

/**
 * The verifier PostgreSQL stores for password_encryption = scram-sha-256
 * (RFC 5802/7677: StoredKey = H(HMAC(SaltedPassword, "Client Key")),
 * ServerKey = HMAC(SaltedPassword, "Server Key")). PostgreSQL accepts a
 * verifier in ALTER ROLE ... PASSWORD and stores it as is.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it before hashing: non-ASCII
 * spaces become spaces, "commonly mapped to nothing" characters are removed,
 * then NFKC. ASCII passwords are unchanged.
 */
function saslPrep(password: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  return password
    .replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, ' ')
    .replace(/[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/g, '')
    .normalize('NFKC');
}
