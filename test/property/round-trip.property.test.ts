/**
 * Property: for any two valid declarations A and B over the fixture
 * (test/property/fixture.ts): tables with policies, RLS, table and column
 * grants; schemas; a member role with attributes and memberships; routines
 * with EXECUTE grants and revokeFromPublic; default privileges; starting
 * from the fixture's baseline with some hand-made drift on top,
 *
 *   apply(A)                → the catalogs hold exactly A;
 *   plan(B), run its up     → the catalogs hold exactly B, and the plan
 *                             reports every unmanaged holder of a privilege
 *                             on a declared table or its columns;
 *   plan(B) again           → empty;
 *   run the plan's down     → the whole database's access snapshot (and the
 *                             fixture roles' attributes and memberships) is
 *                             exactly the one taken after A;
 *   run the up again        → exactly as after the first up;
 *
 * and the out-of-scope sentinel (relations, a routine and a default-privileges
 * entry no declaration lists, privileges of a role none names, the database's
 * ACL) never changes. Roles are cluster-wide and test files run in parallel:
 * only this file's uniquely named roles are read. "Exactly A / B" is
 * computed by expected-catalog.ts from the README's rules, without
 * pg-access; expression texts are what PostgreSQL stores for the same
 * expression created directly on a scratch copy of the table.
 *
 * Reset between pairs (the member role included): dropping and recreating
 * the fixture takes ~15 ms; a fresh database per pair copied from a template
 * took ~245 ms (WAL_LOG) or ~275 ms (FILE_COPY) with its connection, so the
 * fixture is recreated.
 *
 * The seed rotates per run and is printed. PG_ACCESS_PROPERTY_RUNS sets the
 * number of pairs (`npm run test:deep` runs 2000), PG_ACCESS_PROPERTY_SEED
 * another seed, and PG_ACCESS_PROPERTY_PATH (with the seed) replays the
 * counterexample a failure reports. A failure prints both declarations as
 * code, shrunk, with the SQL that ran and the catalog lines that differ.
 */
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apply, plan, type Op } from '../../src/index.js';
import { accessSnapshot, rolesSnapshot, runStatements } from '../support/catalog.js';
import { createTestDatabase, quoteIdent, uniqueName, type TestDatabase } from '../support/database.js';
import { dropRoles } from '../support/roles.js';
import type { AccessPair } from './access-spec.js';
import { accessPairArbitrary } from './access-state.arbitrary.js';
import { catalogDifferences, sentinelLines, type CatalogState } from './catalog-lines.js';
import { describePair, toDeclaration } from './declaration-code.js';
import { expectedSnapshot, expectedUnmanagedHolders, type ExpectationContext } from './expected-catalog.js';
import { CRM, CRM_OWNER, DROP_SCRATCH_SQL, driftSql, driftTemplates, dropFixtureSql, FIXTURE_TABLES, fixtureSql, SCRATCH_SCHEMA, scratchTablesSql, type RoleNames } from './fixture.js';

/** ~100 ms a pair on the 2-core CI machine (PostgreSQL 17, otherwise idle): 300 pairs take ~31 s; 14 and 16 are within that. */
const DEFAULT_RUNS = 300;
const RUNS = Number(process.env.PG_ACCESS_PROPERTY_RUNS ?? DEFAULT_RUNS);
// A new seed every run, printed in the test's name and its log line: PG_ACCESS_PROPERTY_SEED replays one.
const SEED = Number(process.env.PG_ACCESS_PROPERTY_SEED ?? randomInt(2 ** 31 - 1));
const PATH = process.env.PG_ACCESS_PROPERTY_PATH;

let db: TestDatabase;
let roles: RoleNames;
let ctx: ExpectationContext;
let publicPrivileges: string[];
let drift: string[];
let baseline: CatalogState;
let baselineSentinel: string[];

beforeAll(async () => {
  db = await createTestDatabase();
  // Cluster-unique, and three of them need quoting (capitals, spaces, quotes, a ';' and '--'). The fixture creates m for every pair.
  const suffix = uniqueName('pp').slice(3);
  roles = { a: `pp_a_${suffix}`, b: `PP b "quoted" ${suffix}`, c: `pp c; -- owner ${suffix}`, x: `pp_x_${suffix}`, m: `PP member's ${suffix}` };
  for (const name of [roles.a, roles.b, roles.c, roles.x]) await db.admin.query(`CREATE ROLE ${quoteIdent(name)} NOLOGIN`);
  const { rows } = await db.query(`SELECT current_user::text AS me, session_user::text AS login, current_setting('server_version_num')::int AS version,
    pg_get_userbyid(n.nspowner)::text AS public_owner,
    ARRAY(SELECT a.privilege_type FROM aclexplode(n.nspacl) a WHERE a.grantee = 0 ORDER BY 1) AS public_privileges
    FROM pg_namespace n WHERE n.nspname = 'public'`);
  const tablePrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', ...(rows[0].version >= 170000 ? ['MAINTAIN'] : [])];
  publicPrivileges = rows[0].public_privileges;
  drift = driftTemplates(rows[0].version);
  for (const batch of fixtureSql(roles)) await db.query(batch);
  const stored = await storedExpressions();
  ctx = {
    roles,
    currentUser: rows[0].me,
    sessionUser: rows[0].login,
    database: db.name,
    v16: rows[0].version >= 160000,
    schemaOwners: new Map([
      ['public', rows[0].public_owner],
      [CRM, roles[CRM_OWNER]],
    ]),
    tablePrivileges,
    deparse: (table, expression) => {
      const text = stored.get(`${table}\0${expression}`);
      if (text === undefined) throw new Error(`no stored text for ${expression} on ${table}`);
      return text;
    },
  };
  baseline = await snapshot();
  baselineSentinel = sentinelLines(baseline, roles);
});
afterAll(async () => {
  await db?.close();
  if (roles) await dropRoles(...Object.values(roles));
});

/**
 * What PostgreSQL stores for each pool expression, learned by creating it
 * directly (USING and WITH CHECK) on a scratch copy of its table, without
 * pg-access.
 */
async function storedExpressions(): Promise<Map<string, string>> {
  await db.query(scratchTablesSql());
  const stored = new Map<string, string>();
  for (const t of FIXTURE_TABLES.filter((f) => f.kind === 'table')) {
    const on = `${SCRATCH_SCHEMA[t.schema]}.${quoteIdent(t.name)}`;
    for (const [i, expression] of t.expressions.entries()) {
      await db.query(`CREATE POLICY e${i} ON ${on} USING (${expression}\n) WITH CHECK (${expression}\n)`);
    }
    const { rows } = await db.query(`SELECT polname, pg_get_expr(polqual, polrelid) AS q, pg_get_expr(polwithcheck, polrelid) AS c FROM pg_policy WHERE polrelid = $1::regclass`, [on]);
    for (const r of rows) {
      expect(r.c).toBe(r.q);
      stored.set(`${t.id}\0${t.expressions[Number(r.polname.slice(1))]}`, r.q);
    }
  }
  await db.query(DROP_SCRATCH_SQL);
  return stored;
}

/** The database's access snapshot and the fixture roles (cluster-wide: only this file's). */
async function snapshot(): Promise<CatalogState> {
  const [access, fixtureRoles] = await Promise.all([accessSnapshot(db.pool), rolesSnapshot(db.pool, Object.values(roles))]);
  return { access, roles: fixtureRoles };
}

async function resetFixture(): Promise<void> {
  await db.query(dropFixtureSql(roles, publicPrivileges));
  for (const batch of fixtureSql(roles)) await db.query(batch);
}

function differences(step: string, actual: CatalogState, expected: CatalogState): string | null {
  const diff = catalogDifferences(actual, expected, roles);
  return diff.length ? `${step}: the catalogs differ from what was expected (+ unexpected, - missing):\n  ${diff.join('\n  ')}` : null;
}

function checkSentinel(step: string, state: CatalogState): string | null {
  const now = sentinelLines(state, roles);
  const gone = baselineSentinel.filter((l) => !now.includes(l));
  const added = now.filter((l) => !baselineSentinel.includes(l));
  return gone.length || added.length ? `${step}: the out-of-scope sentinel changed:\n  ${[...added.map((l) => `+ ${l}`), ...gone.map((l) => `- ${l}`)].join('\n  ')}` : null;
}

/** What the pairs exercised, printed with the timing so a weakened generator shows. */
const exercised = new Map<string, number>();
function exercisedKind(op: Op): string {
  switch (op.kind) {
    case 'create-policy':
    case 'drop-policy':
      return op.purpose ? `${op.kind} (${op.purpose.kind})` : op.kind;
    case 'grant':
      return op.hadWithoutGrantOption ? 'grant (option only)' : op.target.kind === 'table' ? 'grant' : `grant on ${op.target.kind}`;
    case 'revoke':
      return op.grantOptionOnly ? 'revoke (option only)' : op.target.kind === 'table' ? 'revoke' : `revoke on ${op.target.kind}`;
    case 'set-rls':
      return `set-rls ${op.flag}=${op.value}`;
    default:
      return op.kind;
  }
}

async function roundTrip(pair: AccessPair): Promise<void> {
  const { a, b } = pair;
  const fail = (message: string): never => {
    throw new Error(`${message}\n${describePair(pair)}`);
  };
  const expectNoProblem = (...problems: (string | null)[]) => {
    const found = problems.filter((p): p is string => p !== null);
    if (found.length) fail(found.join('\n'));
  };
  const attempt = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      return fail(`${step} threw: ${(error as Error).message}`);
    }
  };

  await resetFixture();
  expectNoProblem(differences('reset', await snapshot(), baseline));
  if (pair.drift.length) await db.query(pair.drift.map((statement) => driftSql(statement, roles)).join(';\n'));
  const beforeA = await snapshot();
  expectNoProblem(checkSentinel('after the drift', beforeA));

  await attempt('apply(A)', () => apply(db.pool, toDeclaration(a, roles)));
  const afterA = await snapshot();
  expectNoProblem(differences('after apply(A)', afterA, expectedSnapshot(beforeA, a, ctx)), checkSentinel('after apply(A)', afterA));

  const declarationB = toDeclaration(b, roles);
  const p = await attempt('plan(B)', () => plan(db.pool, declarationB));
  for (const o of p.operations) exercised.set(exercisedKind(o.op), (exercised.get(exercisedKind(o.op)) ?? 0) + 1);
  const reported = p.diagnostics
    .filter((d) => d.code === 'UNMANAGED_GRANT')
    .map((d) => `${d.subject.replace(/^table /, '')}: ${/^PUBLIC holds/.test(d.message) ? 'PUBLIC' : /^Role "(.*)" holds /.exec(d.message)?.[1]}`)
    .sort();
  const holders = expectedUnmanagedHolders(afterA.access, b, ctx);
  if (reported.join('\n') !== holders.join('\n')) fail(`plan(B) reports these unmanaged holders:\n  ${reported.join('\n  ')}\nexpected:\n  ${holders.join('\n  ')}`);
  await attempt(`running the up of plan(B):\n  ${p.up.join(';\n  ')}\n`, () => runStatements(db.pool, p.up));
  const afterB = await snapshot();
  expectNoProblem(differences(`after the up of plan(B):\n  ${p.up.join(';\n  ')}\n`, afterB, expectedSnapshot(afterA, b, ctx)), checkSentinel('after the up of plan(B)', afterB));

  const again = await attempt('plan(B) again', () => plan(db.pool, declarationB));
  if (!again.isEmpty) fail(`plan(B) after its up is not empty:\n  ${again.operations.map((o) => o.description).join('\n  ')}\n(the up was:\n  ${p.up.join(';\n  ')})`);

  await attempt(`running the down of plan(B):\n  ${p.down.join(';\n  ')}\n`, () => runStatements(db.pool, p.down));
  const afterDown = await snapshot();
  expectNoProblem(differences(`after the down of plan(B):\n  ${p.down.join(';\n  ')}\n(the up was:\n  ${p.up.join(';\n  ')})\n`, afterDown, afterA), checkSentinel('after the down', afterDown));

  // A migration can be applied again after its downgrade.
  await attempt('running the up of plan(B) again after its down', () => runStatements(db.pool, p.up));
  expectNoProblem(differences('after the up, the down and the up again', await snapshot(), afterB));
}

it(
  `round trips random pairs of declarations (${RUNS} pairs, seed ${SEED})`,
  async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(accessPairArbitrary({ tablePrivileges: ctx.tablePrivileges, v16: ctx.v16, drift }), (pair) => roundTrip(pair)),
      { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH, endOnFailure: true } : {}) },
    );
    const kinds = [...exercised].sort(([x], [y]) => (x < y ? -1 : 1)).map(([kind, n]) => `${kind} ${n}`);
    console.log(`[pg-access] property round trips: ${RUNS} pairs in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${SEED}); operations planned: ${kinds.join(', ')}`);
  },
  Math.max(300_000, RUNS * 2_000),
);
