import type { DefaultObjectType } from '../model/grant.js';
import { collectGrants } from './collect-grant.js';
import type { CollectedDatabase, CollectedDefaultPrivileges, CollectedRoutine, CollectedSequence } from './collected-access.js';
import { checkIdentifier, describeValue, display } from './declaration-checks.js';
import type { DatabaseDeclaration, DefaultPrivilegesDeclaration, RoutineDeclaration, SequenceDeclaration } from './declarations.js';
import { parseTableName } from './table-name.js';

/** Sequences, routines, the database and default privileges: objects that carry only grants. */

export function collectSequence(d: SequenceDeclaration, errors: string[]): CollectedSequence | null {
  const parsed = typeof d.sequence === 'string' ? parseTableName(d.sequence) : null;
  if (!parsed) {
    errors.push(`sequence(${describeValue(d.sequence)}) is not a sequence name; write 'schema.sequence' or 'sequence'.`);
    return null;
  }
  const where = display(parsed.schema, parsed.name);
  checkIdentifier(parsed.schema, `schema of sequence ${where}`, errors);
  checkIdentifier(parsed.name, `sequence ${where}`, errors);
  return { ...parsed, grants: collectGrants(d.options.grants, `grant on sequence ${where}`, 'sequence', errors) };
}

/**
 * A signature is looked up with PostgreSQL's own parser (to_regprocedure) and
 * the statements use the catalog's spelling of it, so the text is only data.
 * This check just catches what is clearly not a signature, with a helpful
 * message, before a query would fail on it.
 */
const SIGNATURE = /^.+\(.*\)$/s;

export function collectRoutine(d: RoutineDeclaration, errors: string[]): CollectedRoutine | null {
  const signature = typeof d.signature === 'string' ? d.signature.trim() : '';
  const where = `routine ${JSON.stringify(d.signature)}`;
  if (!SIGNATURE.test(signature)) {
    errors.push(`${where}: write a signature with its argument types, e.g. 'app.current_tenant()' or 'app.transfer(integer, numeric)'.`);
    return null;
  }
  checkBoolean(d.options.revokeFromPublic, `${where}: revokeFromPublic`, errors);
  return {
    signature,
    grants: collectGrants(d.options.grants, `grant on ${where}`, 'function', errors),
    revokeFromPublic: d.options.revokeFromPublic === true,
  };
}

export function collectDatabase(d: DatabaseDeclaration | undefined, errors: string[]): CollectedDatabase | undefined {
  if (!d) return undefined;
  checkBoolean(d.options.revokeFromPublic, 'database(): revokeFromPublic', errors);
  return {
    grants: collectGrants(d.options.grants, 'grant on the database', 'database', errors),
    revokeFromPublic: d.options.revokeFromPublic === true,
  };
}

const DEFAULT_OBJECTS: Record<string, DefaultObjectType> = {
  tables: 'tables',
  sequences: 'sequences',
  functions: 'functions',
  // PostgreSQL: "ROUTINES" is a synonym of FUNCTIONS in ALTER DEFAULT PRIVILEGES.
  routines: 'functions',
  types: 'types',
  schemas: 'schemas',
};

export function collectDefaultPrivileges(d: DefaultPrivilegesDeclaration, errors: string[]): CollectedDefaultPrivileges | null {
  const o = d.options;
  const objects = typeof o.on === 'string' ? DEFAULT_OBJECTS[o.on.toLowerCase()] : undefined;
  const origin = `defaultPrivileges({ on: ${JSON.stringify(o.on)}${o.forRole ? `, forRole: ${JSON.stringify(o.forRole)}` : ''}${o.inSchema ? `, inSchema: ${JSON.stringify(o.inSchema)}` : ''} })`;
  if (!objects) {
    errors.push(`${origin}: on must be one of ${Object.keys(DEFAULT_OBJECTS).join(', ')}.`);
    return null;
  }
  if (o.forRole !== undefined) checkIdentifier(o.forRole, `${origin}: forRole`, errors);
  if (o.inSchema !== undefined) checkIdentifier(o.inSchema, `${origin}: inSchema`, errors);
  if (objects === 'schemas' && o.inSchema !== undefined) {
    errors.push(`${origin}: default privileges on schemas cannot be limited to a schema (PostgreSQL refuses IN SCHEMA with ON SCHEMAS); remove inSchema.`);
  }
  checkBoolean(o.revokeFromPublic, `${origin}: revokeFromPublic`, errors);
  if (o.revokeFromPublic === true && o.inSchema !== undefined) {
    errors.push(`${origin}: revokeFromPublic needs a declaration without inSchema: PostgreSQL's per-schema default privileges only add to the global ones, so PUBLIC's default ${objects === 'types' ? 'USAGE' : 'EXECUTE'} can only be taken away globally.`);
  }
  return {
    forRole: o.forRole ?? null,
    inSchema: o.inSchema ?? null,
    objects,
    grants: collectGrants(o.grants, origin, objects, errors),
    revokeFromPublic: o.revokeFromPublic === true,
    origin,
  };
}

function checkBoolean(value: unknown, what: string, errors: string[]): void {
  if (value !== undefined && typeof value !== 'boolean') errors.push(`${what} must be true or false, got ${describeValue(value)}.`);
}
