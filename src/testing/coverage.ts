/**
 * Which declared policies the expectations exercise, per command: a policy
 * for ALL counts once for each of the four. An expectation exercises a
 * policy's command when it tries that command on the policy's table as a
 * role the policy applies to (named, PUBLIC, or a group the role is a
 * member of, as the database says).
 */
import { collectStructure } from '../declare/collect-declaration.js';
import { SPECIAL_POLICY_ROLES } from '../declare/collected-access.js';
import type { AccessDeclaration } from '../declare/declarations.js';
import { describeTable } from '../declare/describe-table.js';
import { expandSelectors, selectorRequest } from '../declare/selectors.js';
import { readSelectedObjects } from '../introspect/select-objects.js';
import { quoteQualified } from '../render/sql/quote.js';
import type { AccessExpectation, ExpectedCommand } from './expectations.js';
import { inRolledBackTransaction, type TestClient } from './test-client.js';

export interface PolicyCommandCoverage {
  /** "public"."documents" */
  readonly table: string;
  readonly policy: string;
  readonly command: ExpectedCommand;
  readonly roles: readonly string[];
  readonly exercised: boolean;
}

export interface ExpectationCoverage {
  readonly total: number;
  readonly exercised: number;
  readonly entries: readonly PolicyCommandCoverage[];
  /** The entries no expectation exercised. */
  readonly missing: readonly PolicyCommandCoverage[];
}

const ALL: readonly ExpectedCommand[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

export async function expectationCoverage(db: TestClient, declared: AccessDeclaration, expectations: readonly AccessExpectation[]): Promise<ExpectationCoverage> {
  // Bulk selectors declare the tables they match now, as the plan does.
  const access = declared.selectors?.length
    ? await inRolledBackTransaction(db, async (c) => expandSelectors(declared, await readSelectedObjects(async (sql, params) => (await c.query(sql, params)).rows, selectorRequest(declared))).declaration)
    : declared;
  const collected = await (await collectStructure(access)).withPolicies();
  const tried = await Promise.all(
    expectations.map(async (e, i) => {
      const t = await describeTable(e.table, `expectation ${i + 1}`);
      return { table: quoteQualified(t.schema, t.name), command: e.command, role: e.role };
    }),
  );
  // Whether a role is a member of a policy's role: asked once per pair, of the database.
  const pairs = new Map<string, boolean>();
  for (const t of collected.tables) {
    for (const p of t.policies) for (const r of p.roles) for (const e of tried) if (r !== e.role && !(SPECIAL_POLICY_ROLES as readonly string[]).includes(r)) pairs.set(JSON.stringify([e.role, r]), false);
  }
  if (pairs.size) {
    await inRolledBackTransaction(db, async (connection) => {
      const keys = [...pairs.keys()].map((k) => JSON.parse(k) as [string, string]);
      const { rows } = await connection.query(
        `SELECT m.member, m.grp, coalesce((SELECT pg_has_role(m.member, m.grp, 'MEMBER') FROM pg_roles a, pg_roles b WHERE a.rolname = m.member AND b.rolname = m.grp), false) AS is_member
         FROM unnest($1::text[], $2::text[]) AS m(member, grp)`,
        [keys.map((k) => k[0]), keys.map((k) => k[1])],
      );
      for (const row of rows) pairs.set(JSON.stringify([row.member, row.grp]), row.is_member === true);
    });
  }
  const applies = (roles: readonly string[], role: string) =>
    roles.some((r) => r === role || (SPECIAL_POLICY_ROLES as readonly string[]).includes(r) || pairs.get(JSON.stringify([role, r])) === true);
  const entries: PolicyCommandCoverage[] = [];
  for (const t of collected.tables) {
    const table = quoteQualified(t.schema, t.name);
    for (const p of t.policies) {
      for (const command of p.command === 'ALL' ? ALL : [p.command as ExpectedCommand]) {
        const exercised = tried.some((e) => e.table === table && e.command === command && applies(p.roles, e.role));
        entries.push({ table, policy: p.name, command, roles: p.roles, exercised });
      }
    }
  }
  const missing = entries.filter((e) => !e.exercised);
  return { total: entries.length, exercised: entries.length - missing.length, entries, missing };
}
