import type { LintRule } from '../lint-rule.js';

/** splinter's authenticated/anon_security_definer_function_executable, for every role (PUBLIC included). */
export const securityDefinerExecutable: LintRule = {
  id: 'security-definer-executable',
  severity: 'warning',
  title: 'A SECURITY DEFINER function can be called by roles other than its owner',
  why: "A SECURITY DEFINER function runs with its owner's privileges: row-level security is applied as the owner (not at all, when the owner owns the tables or bypasses RLS). Every role that may EXECUTE it, PUBLIC by default, reaches what the function reads or writes, whatever its own grants and policies say.",
  check: ({ definer }) =>
    (definer?.routines ?? [])
      .filter((r) => r.executors.length > 0)
      .map((r) => ({
        object: `function ${r.schema}.${r.signature}`,
        message: `${r.schema}.${r.signature} is SECURITY DEFINER (runs as ${r.owner}) and ${r.executors.map((e) => (e === 'public' ? 'PUBLIC' : e)).join(', ')} may execute it.`,
        fix: `REVOKE EXECUTE ON FUNCTION ${r.schema}.${r.signature} FROM PUBLIC and from every role that does not need it (in a declaration: routine('${r.schema}.${r.signature}', { revokeFromPublic: true, grants: [...] })), or make it SECURITY INVOKER.`,
      })),
};
