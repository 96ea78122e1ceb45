/**
 * Property: for any two valid declarations A and B over the round-trip
 * fixture (tables with policies, RLS and FORCE, table and column grants to
 * roles that need quoting, a member role with attributes and memberships,
 * schemas, drift by hand on top):
 *
 *   apply(A), audit       → every fixture role and PUBLIC × fixture relation ×
 *                           command agrees with PostgreSQL
 *                           (support/audit-oracle: has_*_privilege,
 *                           row_security_active under SET ROLE);
 *   plan(B) with impact,  → for PUBLIC and every role B names, on every table
 *                           B declares, every cell the
 *   apply(B), audit         impact lists moved from exactly its `before` to
 *                           exactly its `after` and every other cell stayed;
 *                           the audit after agrees with PostgreSQL.
 *
 * The seed rotates per run and is printed (PG_ACCESS_PROPERTY_SEED replays,
 * PG_ACCESS_AUDIT_RUNS sets the number of pairs).
 */
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { parseTableName } from '../../src/declare/table-name.js';
import { apply, audit, plan } from '../../src/index.js';
import { auditMismatches, impactMismatches } from '../support/audit-oracle.js';
import { createTestDatabase, quoteIdent, uniqueName, type TestDatabase } from '../support/database.js';
import { dropRoles } from '../support/roles.js';
import type { AccessPair } from './access-spec.js';
import { accessPairArbitrary } from './access-state.arbitrary.js';
import { describePair, toDeclaration } from './declaration-code.js';
import { driftSql, driftTemplates, dropFixtureSql, FIXTURE_TABLES, fixtureSql, type RoleNames } from './fixture.js';

const RUNS = Number(process.env.PG_ACCESS_AUDIT_RUNS ?? 60);
const SEED = Number(process.env.PG_ACCESS_PROPERTY_SEED ?? randomInt(2 ** 31 - 1));
const PATH = process.env.PG_ACCESS_PROPERTY_PATH;

let db: TestDatabase;
let roles: RoleNames;
let publicPrivileges: string[];
let drift: string[];
let tablePrivileges: string[];
let v16: boolean;

beforeAll(async () => {
  db = await createTestDatabase();
  const suffix = uniqueName('pa').slice(3);
  roles = { a: `pa_a_${suffix}`, b: `PA b "quoted" ${suffix}`, c: `pa c; -- owner ${suffix}`, x: `pa_x_${suffix}`, m: `PA member's ${suffix}` };
  for (const name of [roles.a, roles.b, roles.c, roles.x]) await db.admin.query(`CREATE ROLE ${quoteIdent(name)} NOLOGIN`);
  const { rows } = await db.query(`SELECT current_setting('server_version_num')::int AS version,
    ARRAY(SELECT a.privilege_type FROM aclexplode(n.nspacl) a WHERE a.grantee = 0 ORDER BY 1) AS public_privileges
    FROM pg_namespace n WHERE n.nspname = 'public'`);
  v16 = rows[0].version >= 160000;
  tablePrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', ...(rows[0].version >= 170000 ? ['MAINTAIN'] : [])];
  publicPrivileges = rows[0].public_privileges;
  drift = driftTemplates(rows[0].version);
  for (const batch of fixtureSql(roles)) await db.query(batch);
});
afterAll(async () => {
  await db?.close();
  if (roles) await dropRoles(...Object.values(roles));
});

async function check(pair: AccessPair): Promise<void> {
  const fail = (message: string): never => {
    throw new Error(`${message}\n${describePair(pair)}`);
  };
  await db.query(dropFixtureSql(roles, publicPrivileges));
  for (const batch of fixtureSql(roles)) await db.query(batch);
  if (pair.drift.length) await db.query(pair.drift.map((statement) => driftSql(statement, roles)).join(';\n'));
  // The drift may drop the member role: only roles that exist can be asked about.
  const existing = (await db.query(`SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])`, [Object.values(roles)])).rows.map((r) => r.rolname as string);
  const subjects = ['public', ...existing];
  const tables = FIXTURE_TABLES.map((t) => ({ schema: t.schema, table: t.name }));

  await apply(db.pool, toDeclaration(pair.a, roles));
  const afterA = await audit(db.pool);
  const a = await auditMismatches(db.pool, afterA, subjects);
  if (a.mismatches.length) fail(`after apply(A), the audit disagrees with PostgreSQL:\n  ${a.mismatches.join('\n  ')}`);

  const declarationB = toDeclaration(pair.b, roles);
  const planned = await plan(db.pool, declarationB, { impact: true });
  await apply(db.pool, declarationB);
  const afterB = await audit(db.pool);
  const b = await auditMismatches(db.pool, afterB, subjects);
  if (b.mismatches.length) fail(`after apply(B), the audit disagrees with PostgreSQL:\n  ${b.mismatches.join('\n  ')}`);
  // The impact speaks for the tables the declaration names (a schema's USAGE taken away also closes tables it does not
  // name: not predicted), and for the roles it names and everyone through PUBLIC.
  const named = declarationB.roles.map((r) => (typeof r === 'string' ? r : (r as { name: string }).name));
  const declared = new Set(declarationB.tables.map((t) => parseTableName(t.table as string)).map((n) => `${n!.schema ?? 'public'}.${n!.name}`));
  const wrong = impactMismatches(afterA, afterB, planned.impact!, ['public', ...named], tables.filter((t) => declared.has(`${t.schema}.${t.table}`)));
  if (wrong.length) fail(`the impact of plan(B) is not what happened:\n  ${wrong.join('\n  ')}\n(the plan was:\n  ${planned.up.join(';\n  ')})`);
}

it(
  `the audit agrees with PostgreSQL and a plan's impact with what happens, over random pairs (${RUNS} pairs, seed ${SEED})`,
  async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(accessPairArbitrary({ tablePrivileges, v16, drift, whereDeclared: true }), (pair) => check(pair)),
      { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH, endOnFailure: true } : {}) },
    );
    console.log(`[pg-access] audit and impact property: ${RUNS} pairs in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${SEED})`);
  },
  Math.max(300_000, RUNS * 3_000),
);
