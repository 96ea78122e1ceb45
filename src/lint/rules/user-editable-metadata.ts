import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';

/** Names of JSON that the signed-in user can change about themselves (Supabase: auth.updateUser({ data })). */
const USER_EDITABLE = /\b(raw_user_meta_data|user_metadata)\b/;

/**
 * splinter's rls_references_user_metadata: a policy that decides access by
 * metadata the user writes. Judged by the text of the policy (the JWT claim
 * or the auth.users column named); a function that reads it on the policy's
 * behalf is not followed.
 */
export const userEditableMetadata: LintRule = {
  id: 'user-editable-metadata',
  severity: 'error',
  title: 'A policy decides access by metadata the user can edit (user_metadata, raw_user_meta_data)',
  why: "Supabase lets every signed-in user write their own user_metadata (auth.updateUser({ data })), stored in auth.users.raw_user_meta_data and copied into the JWT's user_metadata claim. A policy that reads a role, a tenant or a flag from it lets any user grant themselves that access. Authorization data belongs in app_metadata (raw_app_meta_data), which only the service role writes, or in a table of your own.",
  check: ({ catalog }) =>
    catalog.policies
      .filter((p) => USER_EDITABLE.test(p.using ?? '') || USER_EDITABLE.test(p.withCheck ?? ''))
      .map((p) => {
        const named = (USER_EDITABLE.exec(p.using ?? '') ?? USER_EDITABLE.exec(p.withCheck ?? ''))![1]!;
        return {
          object: policyName(p),
          message: `${policyName(p)} reads ${named}, which the user it judges can change: any user can give themselves what it checks for.`,
          fix: `Read the fact from ${named === 'user_metadata' ? 'app_metadata (auth.jwt() -> \'app_metadata\')' : 'raw_app_meta_data'}, which only the service role writes, or from a table the user cannot write.`,
        };
      }),
};
