/**
 * The benchmark's database and declaration: N tables over three schemas, five
 * roles, four policies and three grants per table. Both sides are generated
 * from the same rules, so after one apply the declaration and the database
 * agree and a plan is empty.
 */
import { defineAccess, grant, policy, table, type AccessDeclaration, type PolicyDeclaration } from '../src/index.js';

export const BENCH_ROLES = ['bench_app_user', 'bench_readonly', 'bench_auditor', 'bench_admin', 'bench_service'] as const;
export const BENCH_SCHEMAS = ['bench_a', 'bench_b', 'bench_c'] as const;

/** Tables created per DO block: keeps each transaction's lock count well under max_locks_per_transaction. */
const TABLES_PER_BATCH = 500;

export const tableSchema = (i: number): string => BENCH_SCHEMAS[i % BENCH_SCHEMAS.length]!;
export const tableName = (i: number): string => `doc_${String(i).padStart(5, '0')}`;

/** Roles are cluster-wide: created once per server. */
export function createRolesSql(): string {
  return BENCH_ROLES.map((r) => `CREATE ROLE ${r} NOLOGIN;`).join('\n');
}

/**
 * The schema, as a handful of statements whatever N is: one DO block per
 * TABLES_PER_BATCH tables (a serial id, so every table owns a sequence, and an
 * owner column the policies read).
 */
export function createSchemaStatements(n: number): string[] {
  const statements = [BENCH_SCHEMAS.map((s) => `CREATE SCHEMA ${s};`).join('\n')];
  for (let from = 0; from < n; from += TABLES_PER_BATCH) {
    const to = Math.min(n, from + TABLES_PER_BATCH) - 1;
    statements.push(`DO $bench$
BEGIN
  FOR i IN ${from}..${to} LOOP
    EXECUTE format('CREATE TABLE %I.%I (id serial PRIMARY KEY, owner_id int NOT NULL, tenant_id int NOT NULL, body text)',
      (ARRAY[${BENCH_SCHEMAS.map((s) => `'${s}'`).join(', ')}])[i % ${BENCH_SCHEMAS.length} + 1], 'doc_' || lpad(i::text, 5, '0'));
  END LOOP;
END
$bench$`);
  }
  return statements;
}

export interface DeclarationOptions {
  /**
   * Change the expressions of 10% of the policies: on table i, policy j is
   * changed when (i + j) % 10 === 0. That is one policy on 40% of the tables,
   * all four kinds in turn, so exactly N*4/10 policies when N is a multiple of 10.
   */
  readonly changeTenPercent?: boolean;
}

const USER_ID = `current_setting('app.user_id')::int`;
const TENANT_ID = `current_setting('app.tenant_id', true)::int`;

/** How many policies `changeTenPercent` changes for n tables. */
export function changedPolicyCount(n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) if ((i + j) % 10 === 0) count++;
  return count;
}

export function benchDeclaration(n: number, options: DeclarationOptions = {}): AccessDeclaration {
  const [appUser, readonly, auditor, admin, service] = BENCH_ROLES;
  const tables = [];
  for (let i = 0; i < n; i++) {
    const changed = (j: number) => options.changeTenPercent === true && (i + j) % 10 === 0;
    const extra = (j: number) => (changed(j) ? ' AND tenant_id >= 0' : '');
    // Half the tables use the callback form, half plain text: both are common.
    const owner = i % 2 === 0 ? (t: Record<string, string>) => `${t.owner_id} = ${USER_ID}` : () => `owner_id = ${USER_ID}`;
    const policies: PolicyDeclaration[] = [
      policy('owner_reads', { for: 'SELECT', to: [appUser, readonly], using: (t) => `${owner(t)}${extra(0)}` }),
      policy('owner_inserts', { for: 'INSERT', to: appUser, withCheck: `owner_id = ${USER_ID} AND tenant_id = ${TENANT_ID}${extra(1)}` }),
      policy('owner_updates', { for: 'UPDATE', to: appUser, using: (t) => `${owner(t)}${extra(2)}`, withCheck: (t) => `${owner(t)}${extra(2)}` }),
      // Restrictive: a tenant fence, on DELETE for even tables and on every command for odd ones.
      policy('tenant_fence', { as: 'restrictive', for: i % 2 === 0 ? 'DELETE' : 'ALL', to: [appUser, admin], using: `tenant_id = ${TENANT_ID}${extra(3)}` }),
    ];
    tables.push(
      table(`${tableSchema(i)}.${tableName(i)}`, {
        policies,
        grants: [
          grant(['SELECT', 'INSERT', 'UPDATE'], { to: appUser }),
          grant('SELECT', { to: [readonly, auditor] }),
          i % 2 === 0 ? grant('DELETE', { to: admin }) : grant('ALL', { to: service }),
        ],
      }),
    );
  }
  return defineAccess({ roles: [...BENCH_ROLES], tables });
}
