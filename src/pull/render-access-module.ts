import { qualifiedText, type PulledAccess, type PulledGrant, type PulledMembership, type PulledPolicy, type PulledRole, type PulledTable } from './pulled-access.js';

/*
 * Writes a pulled declaration as a TypeScript access module that imports
 * pg-access's builders. Deterministic (no date, sorted input), so pulling
 * an unchanged database rewrites the same file. A predicate that several
 * policies repeat is written once, as a named constant, and used by each.
 */

/** The first line of every module pull writes: `pull --out` overwrites only files that start with it. */
export const PULLED_HEADER = '// Written by `pg-access pull`';

/**
 * Drizzle style: the tables a Drizzle schema module exports, referenced by
 * their exported names (imported from `module`, as the access module will
 * import it) instead of by name. Policies a Drizzle table declares itself
 * (pgPolicy in its definition) come with it and are not written again.
 */
export interface DrizzleTables {
  readonly module: string;
  /** By 'schema\0name'. */
  readonly tables: ReadonlyMap<string, { readonly exportName: string; readonly policies: ReadonlySet<string> }>;
}

export function renderAccessModule(access: PulledAccess, drizzle?: DrizzleTables): string {
  const shared = sharedExpressions(access.tables);
  const drizzleOf = (t: PulledTable) => drizzle?.tables.get(`${t.schema}\0${t.name}`);
  const imported = new Set<string>();
  // An export named like a builder or a shared predicate is imported under another name.
  const taken = new Set([...BUILDERS, ...[...shared.values()].map((x) => x.name)]);
  const localName = (exportName: string) => (taken.has(exportName) ? `${exportName}Table` : exportName);
  const builders = new Set(['defineAccess']);
  const use = (name: string) => (builders.add(name), name);
  const expr = (text: string) => shared.get(text)?.name ?? js(text);

  const grantCall = (g: PulledGrant) => {
    const options = [`to: ${list(g.to)}`];
    if (g.withGrantOption) options.push('withGrantOption: true');
    if (g.columns) options.push(`columns: [${g.columns.map(js).join(', ')}]`);
    return `${use('grant')}(${g.privileges.length === 1 ? js(g.privileges[0]!) : `[${g.privileges.map(js).join(', ')}]`}, { ${options.join(', ')} })`;
  };
  const grants = (list: readonly PulledGrant[]) => `grants: [${list.map(grantCall).join(', ')}]`;
  const policyCall = (p: PulledPolicy) => {
    const options: string[] = [];
    if (p.restrictive) options.push(`as: 'restrictive'`);
    if (p.command !== 'ALL') options.push(`for: ${js(p.command)}`);
    if (p.to.length) options.push(`to: ${list(p.to)}`);
    if (p.using !== null) options.push(`using: ${expr(p.using)}`);
    if (p.withCheck !== null) options.push(`withCheck: ${expr(p.withCheck)}`);
    return `${use('policy')}(${js(p.name)}${options.length ? `, { ${options.join(', ')} }` : ''})`;
  };
  const tableCall = (t: PulledTable) => {
    const options: string[] = [];
    const own = drizzleOf(t);
    const policies = own ? t.policies.filter((p) => !own.policies.has(p.name)) : t.policies;
    if (t.rls !== undefined) options.push(`rls: ${t.rls === 'force' ? `'force'` : String(t.rls)}`);
    if (policies.length) options.push(`policies: [\n${policies.map((p) => `        ${policyCall(p)},`).join('\n')}\n      ]`);
    if (t.grants.length) options.push(grants(t.grants));
    if (own) imported.add(own.exportName);
    const name = own ? localName(own.exportName) : js(qualifiedText(t));
    return `${use('table')}(${name}${options.length ? `, {\n${options.map((o) => `      ${o},`).join('\n')}\n    }` : ''})`;
  };

  const body: string[] = [];
  body.push(`  roles: [${access.roles.length ? `\n${access.roles.map((r) => `    ${roleCall(r, use)},`).join('\n')}\n  ` : ''}],`);
  if (!access.impliedGrants) {
    body.push(`  // Some roles may INSERT into a table without USAGE on its sequence: pg-access would grant it.`);
    body.push(`  impliedGrants: false,`);
  }
  if (access.schemas.length) {
    const schemaCall = (s: PulledAccess['schemas'][number]) => {
      const options = [...(s.grants.length ? [grants(s.grants)] : []), ...(s.revokeFromPublic ? ['revokeFromPublic: true'] : [])];
      return `${use('schema')}(${js(s.name)}${options.length ? `, { ${options.join(', ')} }` : ''})`;
    };
    body.push(`  schemas: [\n${access.schemas.map((s) => `    ${schemaCall(s)},`).join('\n')}\n  ],`);
  }
  body.push(`  tables: [${access.tables.length ? `\n${access.tables.map((t) => `    ${tableCall(t)},`).join('\n')}\n  ` : ''}],`);
  const objectCall = (builder: string, o: { name: string; grants: readonly PulledGrant[]; revokeFromPublic: boolean }) => {
    const options = [...(o.grants.length ? [grants(o.grants)] : []), ...(o.revokeFromPublic ? ['revokeFromPublic: true'] : [])];
    return `${use(builder)}(${js(o.name)}${options.length ? `, { ${options.join(', ')} }` : ''})`;
  };
  if (access.sequences.length) body.push(`  sequences: [\n${access.sequences.map((s) => `    ${objectCall('sequence', s)},`).join('\n')}\n  ],`);
  if (access.routines.length) body.push(`  routines: [\n${access.routines.map((r) => `    ${objectCall('routine', r)},`).join('\n')}\n  ],`);
  if (access.databaseGrants) {
    const d = access.databaseGrants;
    const options = [...(d.grants.length ? [grants(d.grants)] : []), ...(d.revokeFromPublic ? ['revokeFromPublic: true'] : [])];
    body.push(`  database: ${use('database')}({ ${options.join(', ')} }),`);
  }
  if (access.defaultPrivileges.length) {
    const call = (d: PulledAccess['defaultPrivileges'][number]) => {
      const options = [`forRole: ${js(d.forRole)}`, ...(d.inSchema !== null ? [`inSchema: ${js(d.inSchema)}`] : []), `on: ${js(d.on)}`];
      if (d.grants.length) options.push(grants(d.grants));
      if (d.revokeFromPublic) options.push('revokeFromPublic: true');
      return `${use('defaultPrivileges')}({ ${options.join(', ')} })`;
    };
    body.push(`  defaultPrivileges: [\n${access.defaultPrivileges.map((d) => `    ${call(d)},`).join('\n')}\n  ],`);
  }

  const constants = [...shared.entries()].map(([text, s]) => `/** Used by ${s.uses} policies. */\nconst ${s.name} = ${js(text)};\n`);
  return [
    `${PULLED_HEADER} from database ${js(access.database)}. Planning it against that database changes nothing; edit it to change access.`,
    `import { ${[...builders].sort().join(', ')} } from 'pg-access';`,
    ...(imported.size ? [`import { ${[...imported].sort().map((n) => (localName(n) === n ? n : `${n} as ${localName(n)}`)).join(', ')} } from ${js(drizzle!.module)};`] : []),
    '',
    ...(constants.length ? [constants.join('\n')] : []),
    `export default defineAccess({`,
    ...body,
    `});`,
    '',
  ].join('\n');
}

function roleCall(r: PulledRole, use: (name: string) => string): string {
  const inRoles = r.inRoles.length ? `inRoles: [${r.inRoles.map(membership).join(', ')}]` : null;
  if (r.attributes === null) return inRoles ? `${use('existingRole')}(${js(r.name)}, { ${inRoles} })` : js(r.name);
  const options = Object.entries(r.attributes).map(([k, v]) => `${k}: ${v === null ? 'null' : typeof v === 'string' ? js(v) : String(v)}`);
  if (inRoles) options.push(inRoles);
  return `${use('role')}(${js(r.name)}${options.length ? `, { ${options.join(', ')} }` : ''})`;
}

function membership(m: PulledMembership): string {
  const options = [...(m.admin ? ['admin: true'] : []), ...(m.inherit !== undefined ? [`inherit: ${m.inherit}`] : []), ...(m.set !== undefined ? [`set: ${m.set}`] : [])];
  return options.length ? `{ role: ${js(m.role)}, ${options.join(', ')} }` : js(m.role);
}

/** Expressions used by two policies or more, each with a constant's name made from the words of its text. */
function sharedExpressions(tables: readonly PulledTable[]): Map<string, { name: string; uses: number }> {
  const uses = new Map<string, number>();
  for (const t of tables) {
    for (const p of t.policies) {
      for (const text of [p.using, p.withCheck]) if (text !== null) uses.set(text, (uses.get(text) ?? 0) + 1);
    }
  }
  const taken = new Set<string>();
  const shared = new Map<string, { name: string; uses: number }>();
  for (const [text, n] of uses) {
    if (n < 2) continue;
    const base = identifier(expressionWords(text));
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    shared.set(text, { name, uses: n });
  }
  return shared;
}

/** Words that say little in a predicate's name: current_setting (the setting's name says more), casts to common types and SQL keywords. */
const FILLER = new Set(['current', 'setting', 'text', 'uuid', 'integer', 'bigint', 'boolean', 'bool', 'name', 'regclass', 'jsonb', 'json', 'varchar', 'character', 'varying', 'numeric', 'timestamp', 'with', 'time', 'zone', 'select', 'from', 'where', 'and', 'or', 'not', 'is', 'null', 'as', 'any', 'array', 'in', 'exists', 'case', 'when', 'then', 'else', 'end', 'true', 'false', 'public']);

/** The predicate's first few meaningful words: (auth.uid() = user_id) → "auth uid user id"; (owner_id = current_setting('app.user_id')::int) → "owner id app user id". */
function expressionWords(text: string): string {
  const words = (text.match(/[A-Za-z][A-Za-z0-9]*/g) ?? []).filter((w) => !FILLER.has(w.toLowerCase()));
  return (words.length ? words.slice(0, 6) : ['predicate']).join(' ');
}

const RESERVED = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'await']);
const BUILDERS = new Set(['defineAccess', 'grant', 'policy', 'table', 'schema', 'role', 'existingRole', 'sequence', 'routine', 'database', 'defaultPrivileges']);

/** A camelCase JavaScript identifier from free text ("owner can read using" → ownerCanReadUsing). */
function identifier(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  let name = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  if (!/^[A-Za-z_$]/.test(name)) name = `p${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  if (RESERVED.has(name) || BUILDERS.has(name)) name = `${name}Expression`;
  return name;
}

/** A JavaScript string literal: single quotes unless the text needs escapes, then JSON's. */
function js(text: string): string {
  if (/^[^'\\\n\r\u2028\u2029]*$/.test(text)) return `'${text}'`;
  // PostgreSQL prints subqueries over several lines: kept as lines.
  if (text.includes('\n') && !/[`\\\r\u2028\u2029]|\$\{/.test(text)) return `\`${text}\``;
  return JSON.stringify(text);
}

function list(names: readonly string[]): string {
  return names.length === 1 ? js(names[0]!) : `[${names.map(js).join(', ')}]`;
}
