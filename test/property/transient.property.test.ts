/**
 * Property: for any two valid declarations A and B over the fixture
 * (test/property/fixture.ts, with rows in its tables), after apply(A), the
 * up of plan(B) run statement by statement without a transaction, and then
 * its down the same way, never lets any probe see, update, delete or insert
 * a row that neither A's nor B's state allows, after any statement
 * (test/support/transient-access.ts observes it through PostgreSQL). The
 * probes are every fixture role, with no settings and with the settings the
 * fixture's expressions read.
 *
 * The round-trip property (round-trip.property.test.ts) checks where each
 * plan ends; this one checks every state in between. Observing all probes
 * after every statement costs more than the round trip, so it runs fewer
 * pairs and does not shrink a failure (which shows the statement, the
 * facts and both declarations). The seed rotates per run and is printed;
 * PG_ACCESS_TRANSIENT_RUNS sets the number of pairs, PG_ACCESS_PROPERTY_SEED
 * and PG_ACCESS_PROPERTY_PATH replay a failure as in the round-trip
 * property.
 */
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { apply, plan } from '../../src/index.js';
import { createTestDatabase, quoteIdent, uniqueName, type TestDatabase } from '../support/database.js';
import { dropRoles } from '../support/roles.js';
import { observe, observeAfter, wideningSteps, type Probe, type ProbedTable, type Widening } from '../support/transient-access.js';
import type { AccessPair } from './access-spec.js';
import { accessPairArbitrary } from './access-state.arbitrary.js';
import { describePair, toDeclaration } from './declaration-code.js';
import { driftSql, driftTemplates, dropFixtureSql, fixtureSql, type RoleNames } from './fixture.js';

const RUNS = Number(process.env.PG_ACCESS_TRANSIENT_RUNS ?? 30);
const SEED = Number(process.env.PG_ACCESS_PROPERTY_SEED ?? randomInt(2 ** 31 - 1));
const PATH = process.env.PG_ACCESS_PROPERTY_PATH;

let db: TestDatabase;
let roles: RoleNames;
let publicPrivileges: string[];
let tablePrivileges: string[];
let v16: boolean;
let drift: string[];
/** Stands in for a probe's role where it does not exist (see observe). */
let nobody: string;

/** Rows every probe can tell apart: owners 1 to 3, tenants and tags the fixture's expressions test. */
const ROWS_SQL = `
  INSERT INTO public.docs (id, owner_id, tenant, body, published) VALUES (1, 1, 'acme', 'hello', true), (2, 2, 'acme', 'a secret', true), (3, 3, 'other', 'x', false), (4, 7, 'O''Brien', 'y', true);
  INSERT INTO public."Order Items" VALUES (1, 1, 5, 'x', 'w'), (2, 2, 0, NULL, NULL), (150, 3, 2, 'n', 'v');
  INSERT INTO "Crm".accounts (owner_id, region) VALUES (1, 'eu'), (2, 'us'), (3, 'asia');
  INSERT INTO "Crm".tags VALUES ('alpha', 1), ('hidden', 2), ('Beta9', 3), ('averyverylongtag', 1)`;

const TABLES: readonly ProbedTable[] = [
  { sql: 'public.docs', schema: 'public', name: 'docs', key: 'id', inserts: [`(10, 1, 'acme', 'new', true)`, `(11, 3, 'other', 'new secret', false)`] },
  { sql: 'public."Order Items"', schema: 'public', name: 'Order Items', key: '"Order Id"', inserts: [`(10, 1, 1, 'n', 'w')`, `(200, 2, 0, 'x', NULL)`] },
  { sql: 'public.docs_view', schema: 'public', name: 'docs_view', key: 'id', inserts: [`(20, 1, 'acme')`] },
  { sql: '"Crm".accounts', schema: 'Crm', name: 'accounts', key: 'owner_id', inserts: [`(DEFAULT, 1, 'eu')`, `(DEFAULT, 4, 'asia')`] },
  { sql: '"Crm".tags', schema: 'Crm', name: 'tags', key: 'tag', inserts: [`('gamma', 1)`, `('hidden', 3)`] },
];

/** The settings the fixture's expressions read (app.tenant has no missing_ok: without it, such a policy errors, which is seen as nothing allowed). */
const SETTINGS = { 'app.user_id': '1', 'app.tenant': 'acme', 'app.role': 'admin', 'app.ids': '1,2', 'app.tag': 'x' };

beforeAll(async () => {
  db = await createTestDatabase();
  const suffix = uniqueName('pt').slice(3);
  roles = { a: `pt_a_${suffix}`, b: `PT b "quoted" ${suffix}`, c: `pt c; -- owner ${suffix}`, x: `pt_x_${suffix}`, m: `PT member's ${suffix}` };
  nobody = `pt_nobody_${suffix}`;
  for (const name of [roles.a, roles.b, roles.c, roles.x, nobody]) await db.admin.query(`CREATE ROLE ${quoteIdent(name)} NOLOGIN`);
  const { rows } = await db.query(`SELECT current_setting('server_version_num')::int AS version,
    ARRAY(SELECT a.privilege_type FROM aclexplode(n.nspacl) a WHERE a.grantee = 0 ORDER BY 1) AS public_privileges
    FROM pg_namespace n WHERE n.nspname = 'public'`);
  publicPrivileges = rows[0].public_privileges;
  v16 = rows[0].version >= 160000;
  tablePrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', ...(rows[0].version >= 170000 ? ['MAINTAIN'] : [])];
  drift = driftTemplates(rows[0].version);
  for (const batch of fixtureSql(roles)) await db.query(batch);
});
afterAll(async () => {
  await db?.close();
  if (roles) await dropRoles(...Object.values(roles), nobody);
});

async function resetFixture(): Promise<void> {
  await db.query(dropFixtureSql(roles, publicPrivileges));
  for (const batch of fixtureSql(roles)) await db.query(batch);
  await db.query(ROWS_SQL);
}

function report(widenings: readonly Widening[]): string {
  return widenings.map((w) => `after ${w.after}\n    ${w.facts.join('\n    ')}`).join('\n  ');
}

let checked = 0;
async function stepThrough(pair: AccessPair): Promise<void> {
  const started = performance.now();
  await resetFixture();
  if (pair.drift.length) await db.query(pair.drift.map((statement) => driftSql(statement, roles)).join(';\n'));
  await apply(db.pool, toDeclaration(pair.a, roles));
  const probes: Probe[] = [roles.a, roles.b, roles.c, roles.x, roles.m].flatMap((role) => [
    { role, settings: {} },
    { role, settings: SETTINGS },
  ]);
  const client = await db.pool.connect();
  try {
    const before = await observe(client, probes, TABLES, nobody);
    const p = await plan(client, toDeclaration(pair.b, roles));
    const after = await observeAfter(client, p.up, probes, TABLES, nobody);
    const up = await wideningSteps(client, p.up, probes, TABLES, before, after, nobody);
    const down = await wideningSteps(client, p.down, probes, TABLES, before, after, nobody);
    if (up.length || down.length) {
      throw new Error(
        `a statement let a probe do what neither state allows:\n  ${report([...up, ...down.map((w) => ({ ...w, after: `down ${w.after}` }))])}\n` +
          (process.env.PG_ACCESS_TRANSIENT_VERBOSE ? `before:\n  ${[...before].sort().join('\n  ')}\nafter:\n  ${[...after].sort().join('\n  ')}\n` : '') +
          `the up:\n  ${p.up.join(';\n  ')}\nthe down:\n  ${p.down.join(';\n  ')}\n${describePair(pair)}`,
      );
    }
  } finally {
    client.release();
    if (process.env.PG_ACCESS_TRANSIENT_VERBOSE) console.log(`pair ${++checked}: ${(performance.now() - started).toFixed(0)} ms`);
  }
}

it(
  `runs the plans of random pairs statement by statement, never wider than either state (${RUNS} pairs, seed ${SEED})`,
  async () => {
    const started = performance.now();
    // No shrinking: a pair takes seconds to check, and the failure shows the statement, the facts and both declarations.
    await fc.assert(fc.asyncProperty(accessPairArbitrary({ tablePrivileges, v16, drift, whereDeclared: true }), (pair) => stepThrough(pair)), {
      seed: SEED,
      numRuns: RUNS,
      endOnFailure: true,
      ...(PATH ? { path: PATH } : {}),
    });
    console.log(`[pg-access] transient-access property: ${RUNS} pairs in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${SEED})`);
  },
  Math.max(300_000, RUNS * 10_000),
);
