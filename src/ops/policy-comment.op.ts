/**
 * COMMENT ON POLICY alone, for a policy already as declared: writes
 * pg-access's normalization record (model/policy-record) so the next plan
 * needs no normalization. (A created or changed policy's comment travels
 * with its own statements.) It changes no access; `from` is the old comment,
 * so the inverse needs no database. Undefined means no comment.
 */
export interface SetPolicyCommentOp {
  readonly kind: 'set-policy-comment';
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
}

export const setPolicyComment = (p: { schema: string; table: string; name: string }, from: string | undefined, to: string | undefined): SetPolicyCommentOp =>
  Object.freeze({ kind: 'set-policy-comment', schema: p.schema, table: p.table, name: p.name, from, to });
