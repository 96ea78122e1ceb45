import type { LintRule } from '../lint-rule.js';
import { tableName } from '../lint-rule.js';
import { privilegesOfRoles, type AccessCell } from '../../audit/effective-access.js';
import { grant } from '../../ops/grant.op.js';
import { quoteIdent, quoteQualified } from '../../render/sql/quote.js';

/**
 * A role may INSERT into a table whose serial column takes its default from
 * a sequence the role may not use: an INSERT that leaves the column to its
 * default fails with "permission denied for sequence". Identity columns are
 * exempt (PostgreSQL takes their values without a privilege check), and so
 * are roles the audit finds denied or without a row to insert.
 */
export const insertWithoutSequenceUsage: LintRule = {
  id: 'insert-without-sequence-usage',
  severity: 'warning',
  title: "A role may INSERT into a table but not use its serial column's sequence",
  why: "nextval() needs USAGE (or UPDATE) on the sequence. The INSERT privilege and an INSERT policy are not enough: an insert that leaves the serial column to its default fails with \"permission denied for sequence\", usually found in production by the first user who tries.",
  check: ({ catalog, access }) => {
    const privsOf = privilegesOfRoles(catalog);
    const findings: ReturnType<LintRule['check']>[number][] = [];
    // Who may insert, by table: one pass over the cells (a million at 10,000 tables).
    const insertersOf = new Map<string, AccessCell[]>();
    for (const c of access.cells) {
      if (c.command !== 'INSERT' || (c.access !== 'all' && c.access !== 'filtered')) continue;
      const key = `${c.schema}\0${c.table}`;
      let list = insertersOf.get(key);
      if (!list) insertersOf.set(key, (list = []));
      list.push(c);
    }
    for (const t of catalog.tables.values()) {
      const serial = t.sequences.filter((s) => s.identity !== true);
      if (serial.length === 0) continue;
      const inserters = insertersOf.get(`${t.schema}\0${t.name}`) ?? [];
      for (const s of serial) {
        const lacking = inserters
          .filter((c) => {
            if (c.bypass === 'superuser') return false;
            const privs = c.role === 'public' ? new Set<string>() : privsOf(c.role);
            if (privs.has(s.owner)) return false;
            return !s.acl.some((e) => (e.privilege === 'USAGE' || e.privilege === 'UPDATE') && (e.grantee === 'public' || privs.has(e.grantee)));
          })
          .map((c) => c.role);
        if (lacking.length === 0) continue;
        const shown = lacking.map((role) => (role === 'public' ? 'PUBLIC' : role));
        findings.push({
          object: tableName(t),
          message: `${shown.join(', ')} may insert into ${tableName(t)} but ${lacking.length > 1 ? 'hold' : 'holds'} neither USAGE nor UPDATE on ${s.schema}.${s.name}, the sequence of its serial column: an insert that takes the column's default fails.`,
          fix: `GRANT USAGE ON SEQUENCE ${quoteQualified(s.schema, s.name)} TO ${lacking.map((role) => (role === 'public' ? 'PUBLIC' : quoteIdent(role))).join(', ')} (pg-access adds it for declared INSERT grants unless implied grants are off), or make the column an identity column.`,
          repair: () => lacking.map((grantee) => grant({ target: { kind: 'sequence', schema: s.schema, name: s.name }, grantee, privileges: ['USAGE'], withGrantOption: false, hadWithoutGrantOption: false })),
        });
      }
    }
    return findings;
  },
};
