import { openQuietly, type ExtraConnection, type Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import type { DefaultObjectType } from '../model/grant.js';
import type { QualifiedName } from '../model/qualified-name.js';
import type { CatalogQuery } from './catalog-query.js';
import type { CatalogSnapshot, CatalogStructure } from './catalog-snapshot.js';
import { readDatabase, readDefaultAcls, readRoutines } from './read-objects.js';
import { quoteLiteral } from '../render/sql/quote.js';
import { readDeclaredSequences, readPolicyRows, readSchemas, readTables, toPolicies, type PolicyRow, type WantedTable } from './read-relations.js';
import { catalogPool } from './acl-json.js';
import { discoverObjects, type DiscoveredObjects, type SchemaSelection } from './discover-objects.js';
import { readMembershipEdges, readMemberships, readRoleDependencies, readRoles } from './read-roles.js';

const SERVER_SQL = `SELECT current_setting('server_version_num')::int AS version_num, current_user::text AS current_user,
  session_user::text AS session_user, current_database()::text AS database,
  current_setting('search_path') AS search_path, pg_is_in_recovery() AS in_recovery`;

/** SERVER_SQL, exporting the session's snapshot for the second connection to read in. */
const SERVER_SQL_SHARING = `${SERVER_SQL}, pg_export_snapshot() AS snapshot`;

export interface DefaultAclRequest {
  /** null: the connected role. */
  readonly owner: string | null;
  readonly schema: string | null;
  readonly objects: DefaultObjectType;
}

export interface CatalogRequest {
  readonly tables: readonly WantedTable[];
  readonly schemas: readonly string[];
  /** Every role name the declaration uses (attributes are read for all of them). */
  readonly roles: readonly string[];
  /** Roles whose memberships (as a member) are compared. */
  readonly membershipMembers: readonly string[];
  readonly sequences: readonly QualifiedName[];
  readonly routines: readonly string[];
  readonly database: boolean;
  readonly defaultAcls: readonly DefaultAclRequest[];
  /** Read what refers to these roles (pg_shdepend); roles pg-access created are added when `dropCreatedRoles`. */
  readonly dropCreatedRoles: boolean;
}

export interface ReadOptions {
  /** The caller holds a transaction (apply): read in it. Otherwise the reads run in a read-only transaction of their own. */
  readonly inTransaction: boolean;
  /** How long a read waits for a lock: pg_get_expr opens each declared table (ACCESS SHARE), which waits behind an exclusive lock. */
  readonly lockTimeoutMs: number;
  /** See PlanOptions.extraConnection. */
  readonly extraConnection?: (() => Promise<ExtraConnection>) | undefined;
}

/**
 * Reads everything a plan needs with a fixed number of queries whatever the
 * number of objects: six for tables, policies and grants, plus one per
 * further kind the declaration uses. Each kind's queries live in its own
 * module (read-roles, read-relations, read-objects).
 *
 * `whileReading` is given everything but the policies as soon as that is
 * read, and runs while the server computes the policies (most of its time
 * for a plan): the caller resolves the declaration then, rather than after.
 * Its result is returned with the snapshot; if it fails, the read is
 * abandoned (rolled back) and its error is the read's.
 */
export async function readCatalog<T>(
  db: Queryable,
  request: CatalogRequest,
  options: ReadOptions,
  whileReading: (structure: CatalogStructure) => Promise<T>,
): Promise<{ catalog: CatalogSnapshot; during: T }> {
  // Opened now, while the first queries run, and only when it can pay for itself.
  const extra = options.extraConnection && request.tables.length >= SPLIT_POLICIES_FROM ? openQuietly(options.extraConnection) : null;
  try {
    return await inReadTransaction(db, options, () => readAll(db, request, extra, options, whileReading));
  } catch (cause) {
    throw readFailure(cause);
  } finally {
    (await extra)?.release();
  }
}

/**
 * Discovers the objects of the selected schemas (discover-objects) and reads
 * them as readCatalog reads a declaration's, in one snapshot: what pull,
 * audit and lint read. One query more than the declared mode.
 */
export async function discoverCatalog(
  db: Queryable,
  selection: SchemaSelection,
  options: ReadOptions,
): Promise<{ catalog: CatalogSnapshot; found: DiscoveredObjects }> {
  const opened: { extra: Promise<ExtraConnection | null> | null } = { extra: null };
  try {
    return await inReadTransaction(db, options, async () => {
      const { request, found } = await discoverObjects(async (sql, params) => (await db.query(sql, params)).rows, selection);
      opened.extra = options.extraConnection && request.tables.length >= SPLIT_POLICIES_FROM ? openQuietly(options.extraConnection) : null;
      const { catalog } = await readAll(db, request, opened.extra, options, async () => undefined);
      return { catalog: { ...catalog, roundTrips: catalog.roundTrips + 1 }, found };
    });
  } catch (cause) {
    throw readFailure(cause);
  } finally {
    (await opened.extra)?.release();
  }
}

/**
 * One read-only transaction (no transaction ID, no WAL) with a local
 * lock_timeout, so that a table held exclusively by another session (a
 * migration running) makes the read fail after the timeout rather than wait
 * for it; REPEATABLE READ, so the session's queries see one instant.
 */
async function inReadTransaction<T>(db: Queryable, options: ReadOptions, fn: () => Promise<T>): Promise<T> {
  if (!options.inTransaction) await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await db.query(`SELECT set_config('lock_timeout', $1, true)`, [`${options.lockTimeoutMs}ms`]);
    const result = await fn();
    if (!options.inTransaction) await db.query('COMMIT');
    return result;
  } catch (cause) {
    if (!options.inTransaction) await db.query('ROLLBACK').catch(() => undefined);
    throw cause;
  }
}

function readFailure(cause: unknown): unknown {
  if ((cause as { code?: string }).code !== '55P03') return cause;
  return new PgAccessError(
    'LOCK_TIMEOUT',
    `Timed out waiting for a lock while reading the catalogs (${(cause as Error).message}): another session holds a declared table exclusively (a migration running, say). Nothing was changed; retry when it is done, or raise --lock-timeout.`,
  );
}

/**
 * From this many tables, a second connection reads a share of the policies
 * while the session reads everything else, both in one snapshot (exported by
 * the session, imported by the second connection). The policy query is most
 * of what the server does for a plan: pg_get_expr opens every table, and a
 * new connection builds each table's cache entry (1.4 s at 10,000 tables on a
 * fresh connection, 0.23 s for the tables' own query). The second connection
 * starts on its share at once, not after the tables are read, so it takes the
 * larger share: the two finish together at about two thirds.
 */
const SPLIT_POLICIES_FROM = 1000;
const SECOND_CONNECTION_SHARE = 2 / 3;

async function readAll<T>(
  db: Queryable,
  request: CatalogRequest,
  extraConnection: Promise<ExtraConnection | null> | null,
  options: ReadOptions,
  whileReading: (structure: CatalogStructure) => Promise<T>,
): Promise<{ catalog: CatalogSnapshot; during: T }> {
  // Sequential on purpose: a connection runs one query at a time.
  let roundTrips = 0;
  const on =
    (connection: Queryable): CatalogQuery =>
    async (sql, params) => {
      roundTrips++;
      return (await connection.query(sql, params)).rows;
    };
  const query = on(db);
  const intern = catalogPool();
  const server = (await query(extraConnection ? SERVER_SQL_SHARING : SERVER_SQL))[0]!;
  const cut = extraConnection ? Math.round(request.tables.length * SECOND_CONNECTION_SHARE) : 0;
  const theirs = request.tables.slice(0, cut);
  const elsewhere = extraConnection ? policiesElsewhere(extraConnection, server.snapshot, theirs, options, on) : Promise.resolve(null);
  try {
    const roles = await readRoles(query, request.roles, server.database);
    const routines = request.routines.length ? await readRoutines(query, request.routines) : new Map();
    // A routine's schema is known only once its signature is resolved: read it
    // too, so the USAGE a grantee needs there is compared with what it has
    // (otherwise it would be granted on every plan, and revoked by the downgrade
    // even when the grantee held it before).
    const schemas = await readSchemas(query, [...new Set([...request.schemas, ...[...routines.values()].map((r) => r.schema)])], intern);
    const { tables, byOid } = await readTables(query, request.tables, intern);
    const droppable = request.dropCreatedRoles ? [...roles.values()].filter((r) => r.createdByPgAccess && !request.roles.includes(r.name)).map((r) => r.name) : [];
    const members = [...new Set([...request.membershipMembers, ...droppable])];
    const memberships = members.length ? await readMemberships(query, server.version_num, members, droppable) : [];
    // Every membership: the plan's holds (plan/transition-fences) and POLICY_UNREACHABLE (a policy for a group reaches its members) need them.
    const membershipEdges = members.length || request.roles.length ? await readMembershipEdges(query) : [];
    const sequences = request.sequences.length ? await readDeclaredSequences(query, request.sequences, intern) : new Map();
    const database = request.database ? await readDatabase(query) : null;
    const defaults = request.defaultAcls.map((d) => ({ ...d, owner: d.owner ?? (server.current_user as string) }));
    const defaultAcls = defaults.length ? await readDefaultAcls(query, defaults, roles) : [];
    const roleDependencies = droppable.length ? await readRoleDependencies(query, droppable) : [];
    // Sent now, computed by the server while whileReading runs; observed below (or, if whileReading fails, before the rollback).
    const ours = readPolicyRows(query, request.tables.slice(cut));
    ours.catch(() => undefined);
    const structure: CatalogStructure = {
      server: {
        versionNum: server.version_num,
        currentUser: server.current_user,
        sessionUser: server.session_user,
        database: server.database,
        searchPath: server.search_path,
        inRecovery: server.in_recovery,
      },
      roles,
      memberships,
      membershipEdges,
      schemas,
      tables,
      sequences,
      routines,
      database,
      defaultAcls,
      roleDependencies,
    };
    let during: T;
    try {
      during = await whileReading(structure);
    } catch (error) {
      await ours.catch(() => undefined);
      throw error;
    }
    const oursRows = await ours;
    const read = await elsewhere;
    if (read && 'error' in read) throw read.error;
    // The second connection could not share the snapshot (or open): the session reads its share too.
    const rows = read ? [...read.rows, ...oursRows] : [...(await readPolicyRows(query, theirs)), ...oursRows];
    const roleNames = new Map([...roles.values()].map((r) => [String(r.oid), r.name]));
    const policies = await toPolicies(query, rows, byOid, roleNames, intern);
    return { catalog: { ...structure, policies, roundTrips }, during };
  } finally {
    // Never leave the second connection reading while the session moves on (or ends the exported snapshot).
    await elsewhere;
  }
}

/**
 * The policy rows of `tables`, read on the second connection in the
 * session's snapshot. null when it cannot (not opened, or the snapshot not
 * imported: a pooler that cannot, say): the session reads them itself. A
 * failure of the read itself (a lock timeout) is the plan's failure.
 * Never rejects.
 */
async function policiesElsewhere(
  connection: Promise<ExtraConnection | null>,
  snapshot: string,
  tables: readonly WantedTable[],
  options: ReadOptions,
  on: (connection: Queryable) => CatalogQuery,
): Promise<{ rows: PolicyRow[] } | { error: unknown } | null> {
  const extra = await connection;
  if (!extra) return null;
  try {
    await extra.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await extra.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`);
  } catch {
    await extra.query('ROLLBACK').catch(() => undefined);
    return null;
  }
  try {
    await extra.query(`SELECT set_config('lock_timeout', $1, true)`, [`${options.lockTimeoutMs}ms`]);
    const rows = await readPolicyRows(on(extra), tables);
    await extra.query('COMMIT');
    return { rows };
  } catch (error) {
    await extra.query('ROLLBACK').catch(() => undefined);
    return { error };
  }
}
