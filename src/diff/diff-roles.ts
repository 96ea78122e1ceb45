import type { Scope } from '../model/access-state.js';
import { ROLE_ATTRIBUTES, widens, type Role } from '../model/role.js';
import { alterRole, createRole, dropRole, type AlterRoleOp, type CreateRoleOp, type DropRoleOp } from '../ops/role.op.js';

/**
 * Managed roles are created when missing and altered to their declared
 * attributes. Only roles in scope.droppedRoles (created by pg-access, no
 * longer declared, dropping allowed) are dropped. An attribute change that
 * both gives and takes away is split in two (narrowing, then widening), so
 * the ordering can run each in its own phase.
 */
export function diffRoles(desired: readonly Role[], actual: readonly Role[], scope: Scope, database: string): (CreateRoleOp | AlterRoleOp | DropRoleOp)[] {
  const actualByName = new Map(actual.map((r) => [r.name, r]));
  const ops: (CreateRoleOp | AlterRoleOp | DropRoleOp)[] = [];
  for (const want of desired) {
    const have = actualByName.get(want.name);
    if (!have) {
      // BYPASSRLS is given with the widening steps, not at creation: a role
      // created first (phase 0) could otherwise read past every policy while
      // the plan still narrows (what PUBLIC may, it may at once).
      if (want.bypassRls) ops.push(createRole({ ...want, bypassRls: false }, database), alterRole({ ...want, bypassRls: false }, want));
      else ops.push(createRole(want, database));
      continue;
    }
    const changed = ROLE_ATTRIBUTES.filter((a) => have[a] !== want[a]);
    if (changed.length === 0) continue;
    const narrowing = changed.filter((a) => !widens(a, have, want));
    const widening = changed.filter((a) => widens(a, have, want));
    if (narrowing.length && widening.length) {
      const middle: Role = { ...have, ...Object.fromEntries(narrowing.map((a) => [a, want[a]])) };
      ops.push(alterRole(have, middle), alterRole(middle, want));
    } else {
      ops.push(alterRole(have, want));
    }
  }
  for (const name of scope.droppedRoles) {
    const have = actualByName.get(name);
    if (have) ops.push(dropRole(have, database));
  }
  return ops;
}
