/**
 * An access snapshot as sorted one-line facts, with the per-file role names
 * written as the symbolic r.a / r.b / r.c / r.x, so two snapshots are
 * compared as "missing" and "unexpected" lines a person can read.
 */
import type { AccessSnapshot } from '../support/catalog.js';
import { SENTINEL_RELATIONS, type RoleNames } from './fixture.js';

export function catalogLines(s: AccessSnapshot, roles: RoleNames): string[] {
  const names = new Map(Object.entries(roles).map(([k, v]) => [v, `r.${k}`]));
  const role = (name: string) => names.get(name) ?? name;
  const acl = (entries: readonly string[]) =>
    entries.map((e) => {
      const at = e.lastIndexOf(':');
      return `${role(e.slice(0, at))}:${e.slice(at + 1)}`;
    });
  return [
    ...s.schemas.flatMap((x) => acl(x.acl).map((e) => `schema ${x.name} grants ${e}`)),
    ...s.schemas.map((x) => `schema ${x.name}`),
    ...s.relations.map((r) => `relation ${r.schema}.${r.name} (${r.kind})${r.kind === 'S' ? '' : ` rls=${r.rls} force=${r.force}`}`),
    ...s.relations.flatMap((r) => acl(r.acl).map((e) => `relation ${r.schema}.${r.name} grants ${e}`)),
    ...s.policies.map(
      (p) =>
        `policy ${JSON.stringify(p.name)} on ${p.schema}.${p.table}: ${p.permissive} FOR ${p.cmd} TO ${p.roles.map(role).join(', ')}` +
        `${p.qual !== null ? ` USING ${JSON.stringify(p.qual)}` : ''}${p.with_check !== null ? ` WITH CHECK ${JSON.stringify(p.with_check)}` : ''}`,
    ),
  ].sort();
}

/** Lines of `actual` not in `expected` (+) and of `expected` not in `actual` (-); empty when equal, duplicates counted. */
export function catalogDifferences(actual: AccessSnapshot, expected: AccessSnapshot, roles: RoleNames): string[] {
  const count = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const a = count(catalogLines(actual, roles));
  const e = count(catalogLines(expected, roles));
  const out: string[] = [];
  for (const [line, n] of a) for (let i = e.get(line) ?? 0; i < n; i++) out.push(`+ ${line}`);
  for (const [line, n] of e) for (let i = a.get(line) ?? 0; i < n; i++) out.push(`- ${line}`);
  return out.sort((x, y) => (x.slice(2) < y.slice(2) ? -1 : x.slice(2) > y.slice(2) ? 1 : 0));
}

/** The part of a snapshot no declaration may change: the undeclarable relations (with their policies) and every privilege r.x holds. */
export function sentinelLines(s: AccessSnapshot, roles: RoleNames): string[] {
  const about = (line: string) => SENTINEL_RELATIONS.some((r) => line.startsWith(`relation ${r} `) || line.includes(` on ${r}: `));
  return catalogLines(s, roles).filter((l) => about(l) || l.includes(' grants r.x:'));
}
