import { POLICY_COMMANDS, type PolicyCommand } from '../model/policy.js';
import { quoteIdent } from '../render/sql/quote.js';
import { SPECIAL_POLICY_ROLES, type CollectedPolicy } from './collected-access.js';
import { checkIdentifier, describeValue, display } from './declaration-checks.js';
import type { ExpressionInput, PolicyDeclaration } from './declarations.js';
import type { GuardedText } from './expression-guard.js';
import { loadTableSource, sourceOfExpression } from './table-source.js';


const TO_PUBLIC: readonly string[] = Object.freeze(['public']);

/** current_user, PUBLIC and the like in lower case, as the catalogs and the rest of pg-access spell them; any other name as it is. */
function specialRole(r: string): string {
  const lower = typeof r === 'string' ? r.toLowerCase() : r;
  return (SPECIAL_POLICY_ROLES as readonly unknown[]).includes(lower) || r === 'PUBLIC' ? lower : r;
}

export async function collectPolicy(
  declared: PolicyDeclaration,
  schema: string,
  table: string,
  columns: unknown,
  errors: string[],
  guard: (text: string) => GuardedText,
): Promise<CollectedPolicy[]> {
  // Built only for a message: most declarations have none, and a plan collects every policy.
  const where = () => `policy ${quoteIdent(declared.name)} on ${display(schema, table)}`;
  const o = declared.options ?? {};
  const as = o.as ?? 'permissive';
  if (as !== 'permissive' && as !== 'restrictive') {
    errors.push(`${where()}: as must be 'permissive' or 'restrictive', got ${describeValue(as)}.`);
  }
  const requested = o.for === undefined ? ['ALL'] : Array.isArray(o.for) ? o.for : [o.for];
  const commands: PolicyCommand[] = [];
  for (const c of requested) {
    const upper = typeof c === 'string' ? c.toUpperCase() : c;
    if ((POLICY_COMMANDS as readonly unknown[]).includes(upper)) commands.push(upper as PolicyCommand);
    else errors.push(`${where()}: unknown command ${describeValue(c)}; allowed: ${POLICY_COMMANDS.join(', ')}.`);
  }
  if (commands.length === 0 && requested.length === 0) errors.push(`${where()}: for: [] names no command; allowed: ${POLICY_COMMANDS.join(', ')}.`);
  if (commands.length > 1 && commands.includes('ALL')) errors.push(`${where()}: for: ALL already covers every command; do not combine it with others.`);
  const listed: readonly string[] = o.to === undefined ? TO_PUBLIC : Array.isArray(o.to) ? o.to : [o.to];
  // Kept as declared unless a special role is spelled in capitals (the usual list is kept, not copied).
  const roles = listed.some((r) => specialRole(r) !== r) ? listed.map(specialRole) : listed;
  if (roles.length === 0) errors.push(`${where()}: to: [] names no role; leave it out for PUBLIC, or list roles.`);
  const using = o.using === undefined || o.using === null ? null : await renderExpression(o.using, columns, () => `${where()}: using`, errors, guard);
  const withCheck = o.withCheck === undefined || o.withCheck === null ? null : await renderExpression(o.withCheck, columns, () => `${where()}: withCheck`, errors, guard);
  // One command per policy: PostgreSQL has no "FOR SELECT, UPDATE". A list
  // becomes one policy per command, named <name>_<command>.
  return commands.map((command) => {
    const name = commands.length > 1 ? `${declared.name}_${command.toLowerCase()}` : declared.name;
    const label = () => `policy ${quoteIdent(name)} on ${display(schema, table)}`;
    checkIdentifier(name, label, errors);
    if (command === 'INSERT' && using !== null) errors.push(`${label()}: an INSERT policy takes only withCheck (PostgreSQL rejects USING for INSERT); move the expression to withCheck.`);
    if ((command === 'SELECT' || command === 'DELETE') && withCheck !== null) errors.push(`${label()}: a ${command} policy takes only using (PostgreSQL rejects WITH CHECK for ${command}); move the expression to using.`);
    return {
      schema,
      table,
      name,
      command,
      permissive: as !== 'restrictive',
      roles,
      using: command === 'INSERT' ? null : using,
      withCheck: command === 'SELECT' || command === 'DELETE' ? null : withCheck,
    };
  });
}

async function renderExpression(input: ExpressionInput, columns: unknown, where: () => string, errors: string[], guard: (text: string) => GuardedText): Promise<string | null> {
  let value: unknown = input;
  try {
    // A callback may be async (a template that loads the front end of another table it reads).
    if (typeof value === 'function') value = await (value as (t: unknown) => unknown)(columns);
    // An expression object of a front end (a Drizzle sql`...` fragment), rendered by it.
    const source = typeof value === 'object' && value !== null ? sourceOfExpression(value) : undefined;
    if (source?.renderExpression) {
      await loadTableSource(source);
      value = source.renderExpression(value);
    }
  } catch (cause) {
    errors.push(`${where()}: the expression could not be built: ${(cause as Error).message}`);
    return null;
  }
  if (typeof value !== 'string') {
    errors.push(`${where()}: expected SQL text or a Drizzle sql\`...\` fragment, got ${describeValue(value)}.`);
    return null;
  }
  const guarded = guard(value);
  if (typeof guarded !== 'string') {
    errors.push(`${where()}: ${guarded.problem}: ${JSON.stringify(value)}`);
    return null;
  }
  return guarded;
}
