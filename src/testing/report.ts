import type { ExpectationCoverage } from './coverage.js';
import type { ExpectationRun } from './expectations.js';

/** Fixed-width columns; the last one is not padded. */
function tableText(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

const settingsText = (s: Readonly<Record<string, unknown>> | undefined) => (s && Object.keys(s).length ? Object.entries(s).map(([k, v]) => `${k}=${String(v)}`).join(' ') : '-');

/** The report `pg-access test` prints: a line for the totals, a table of the failures (all with `all`), the coverage. */
export function formatExpectationReport(run: ExpectationRun, coverage?: ExpectationCoverage, options: { all?: boolean } = {}): string {
  const lines = [`${run.results.length} expectation${run.results.length === 1 ? '' : 's'}: ${run.passed} passed, ${run.failed} failed (${Math.round(run.ms)} ms)`];
  const shown = options.all ? run.results : run.results.filter((r) => !r.pass);
  if (shown.length) {
    lines.push('');
    const rows = [['', '#', 'role', 'settings', 'table', 'command', 'expected', 'actual']];
    for (const r of shown) {
      const e = r.expectation;
      const command = e.command + (e.where ? ` ${JSON.stringify(e.where)}` : '') + (e.values ? ` ${JSON.stringify(e.values)}` : '');
      rows.push([r.pass ? 'ok' : 'FAIL', e.name ? `${r.index + 1} ${e.name}` : String(r.index + 1), e.role, settingsText(e.settings), r.table, command, r.expected, r.actual]);
    }
    lines.push(...tableText(rows).map((l) => `  ${l}`));
  }
  if (coverage) {
    lines.push('', `Coverage: ${coverage.exercised} of ${coverage.total} declared policy commands exercised`);
    const byPolicy = new Map<string, string[]>();
    for (const m of coverage.missing) {
      const key = `"${m.policy}" on ${m.table} (to ${m.roles.join(', ')})`;
      byPolicy.set(key, [...(byPolicy.get(key) ?? []), m.command]);
    }
    for (const [policy, commands] of byPolicy) lines.push(`  not exercised: ${policy}: ${commands.join(', ')}`);
  }
  return lines.join('\n');
}
