/** Terminal output for the demo: headings, SQL, result tables, and checked expectations. */
import pc from 'picocolors';

export class ExpectationFailed extends Error {
  override readonly name = 'ExpectationFailed';
}

export function step(number: number, title: string): void {
  console.log(`\n${pc.bold(pc.cyan(`━━ Step ${number}. ${title} `.padEnd(78, '━')))}`);
}

export function say(text: string): void {
  console.log(text);
}

export function subheading(text: string): void {
  console.log(`\n${pc.bold(text)}`);
}

/** Statements as psql would take them: one per line block, with a semicolon. */
export function showSql(statements: readonly string[], color: (s: string) => string = pc.green): void {
  for (const statement of statements) console.log(color(`  ${statement.replaceAll('\n', '\n  ')};`));
}

/** A query as typed at the prompt, with the role and settings it runs under. */
export function showQuery(who: string, sql: string): void {
  console.log(`${pc.dim(who)} ${pc.bold('=>')} ${sql}`);
}

/** Rows as a small aligned table, like psql. */
export function showRows(rows: readonly Record<string, unknown>[]): void {
  if (rows.length === 0) {
    console.log(pc.dim('  (0 rows)'));
    return;
  }
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => String(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) => `  ${values.map((v, i) => v.padEnd(widths[i]!)).join(' │ ')}`.trimEnd();
  console.log(pc.dim(line(columns)));
  console.log(pc.dim(`  ${widths.map((w) => '─'.repeat(w)).join('─┼─')}`));
  for (const row of cells) console.log(line(row));
  console.log(pc.dim(`  (${rows.length} row${rows.length === 1 ? '' : 's'})`));
}

/** PostgreSQL's error text, as psql prints it. */
export function showError(error: { message: string; code?: string }): void {
  console.log(pc.red(`  ERROR:  ${error.message}`) + (error.code ? pc.dim(`  (SQLSTATE ${error.code})`) : ''));
}

/** Prints a green check, or throws (the demo doubles as a smoke test). */
export function expectThat(condition: boolean, description: string, detail = ''): void {
  if (!condition) throw new ExpectationFailed(`Expectation failed: ${description}${detail ? `\n${detail}` : ''}`);
  console.log(pc.green(`  ✔ ${description}`));
}
