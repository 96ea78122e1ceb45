/**
 * Prints the comparison with pg_dump, migra and drizzle-kit, and the targets
 * of issue 4 next to the measured figures. Prints, never asserts.
 */
import pc from 'picocolors';
import type { MeasureResult, PlanRun } from './measure-plan.js';
import type { PgDumpFigures } from './pg-dump-reference.js';
import { formatNumber, renderTable, summarize } from './report-table.js';
import { isNotRun, type NotRun, type ToolFigures } from './tool-comparison.js';
import type { ToolRun } from './run-tool.js';

/** Targets stated by issue 4 ("Speed"). */
export const ISSUE_TARGETS = { planOverPgDumpAt10k: 2, peakRssMb: 500, linearSlack: 1.15 } as const;

interface Cell {
  /** Median ms, when the tool ran to the end. */
  readonly ms?: number;
  readonly text: string;
}

const median = (values: readonly number[]) => summarize(values).median;
const ms = (value: number) => formatNumber(value, 0);
const ratio = (a: Cell, b: Cell) => (a.ms !== undefined && b.ms !== undefined && b.ms > 0 ? `×${formatNumber(a.ms / b.ms, 2)}` : '–');

function planCell(runs: readonly PlanRun[]): Cell {
  if (runs.length === 0) return { text: '–' };
  const value = median(runs.map((r) => r.total));
  return { ms: value, text: ms(value) };
}

/** A tool's figure: the median of its runs if they all completed; `!` marks a completed run whose output check failed. */
function toolCell(result: readonly { readonly ok: boolean; readonly run: ToolRun }[] | NotRun): Cell {
  if (isNotRun(result)) return { text: 'not run' };
  const last = result[result.length - 1]!;
  if (last.run.timedOut) return { text: `> ${ms(last.run.ms / 1000)} s` };
  if (last.run.exitCode !== 0) return { text: 'failed' };
  const value = median(result.map((r) => r.run.ms));
  return { ms: value, text: `${ms(value)}${result.every((r) => r.ok) ? '' : ' !'}` };
}

function pgDumpCell(result: PgDumpFigures | NotRun): Cell {
  if (isNotRun(result)) return { text: 'not run' };
  return toolCell(result.runs.map((run) => ({ run, ok: result.ok })));
}

const maxRss = (result: readonly { readonly run: ToolRun }[] | NotRun) => {
  if (isNotRun(result)) return '–';
  const values = result.flatMap((r) => (r.run.node ? [r.run.node.maxRssMb] : []));
  return values.length ? formatNumber(Math.max(...values), 0) : '–';
};

function sanityLine(label: string, result: readonly { readonly ok: boolean; readonly sanity: string }[] | NotRun, runCount?: number): string {
  if (isNotRun(result)) return `${label}: ${result.notRun}`;
  const last = result[result.length - 1]!;
  const count = runCount ?? result.length;
  const runs = count === 1 ? '1 run' : `${count} runs`;
  return `${label} (${runs}): ${last.ok ? last.sanity : pc.yellow(last.sanity)}`;
}

/** Start-up of the Node tools (a --help or --version run), ms. */
export interface ToolStartup {
  readonly migra: number | undefined;
  readonly drizzleKit: number | undefined;
}

export function printToolComparison(plans: readonly MeasureResult[], tools: readonly ToolFigures[], startup: ToolStartup): void {
  const sizes = plans.map((r) => `N=${r.n}`);
  const rows: string[][] = [];
  const row = (label: string, cells: readonly string[]) => rows.push([label, ...cells]);
  const each = <T>(f: (plan: MeasureResult, tool: ToolFigures) => T) => plans.map((plan, i) => f(plan, tools[i]!));

  const inSync = each((p) => planCell(p.inSync));
  const dump = each((_, t) => pgDumpCell(t.pgDump));
  const migraSync = each((_, t) => toolCell(t.migraInSync));
  const scratch = each((p) => planCell(p.fromScratch));
  const migraBare = each((_, t) => toolCell(t.migraFromBare));
  const pull = each((_, t) => toolCell(t.drizzlePull));

  row('pg-access in-sync plan', inSync.map((c) => c.text));
  row('pg_dump --schema-only (reference floor)', dump.map((c) => c.text));
  row(`  plan / pg_dump  (target ≤ ×${ISSUE_TARGETS.planOverPgDumpAt10k} at 10,000)`, inSync.map((c, i) => ratio(c, dump[i]!)));
  row('migra: exact copy → database (empty script)', migraSync.map((c) => c.text));
  row('  migra / in-sync plan', migraSync.map((c, i) => ratio(c, inSync[i]!)));
  row('pg-access plan against the bare copy', scratch.map((c) => c.text));
  row('migra: bare copy → database', migraBare.map((c) => c.text));
  row('  migra / plan against the bare copy', migraBare.map((c, i) => ratio(c, scratch[i]!)));
  row('drizzle-kit pull (introspection only)', pull.map((c) => c.text));
  row('  drizzle-kit pull / in-sync plan', pull.map((c, i) => ratio(c, inSync[i]!)));
  row('peak RSS, MB: pg-access in-sync plan', plans.map((p) => formatNumber(p.memory.peakRssInSync, 0)));
  row('              migra: bare copy → database', tools.map((t) => maxRss(t.migraFromBare)));
  row('              drizzle-kit pull', tools.map((t) => maxRss(t.drizzlePull)));
  console.log(renderTable(['median ms', ...sizes], rows));

  console.log(
    pc.dim(
      [
        'Each tool is a child process, run one at a time on the databases the plans read; "!" marks a run whose output check failed (below).',
        `migra and drizzle-kit are timed as whole processes, Node start-up and module loading included (migra --help: ${startup.migra === undefined ? '?' : ms(startup.migra)} ms, drizzle-kit --version: ${startup.drizzleKit === undefined ? '?' : ms(startup.drizzleKit)} ms);`,
        'pg-access plans are timed in-process. migra inspects every kind of object in both databases; drizzle-kit pull only reads and writes files.',
      ].join('\n'),
    ),
  );
  console.log('\nOutput checks (each tool against the fixture):');
  for (const t of tools) {
    console.log(`  N=${t.n}`);
    const dumpResult = isNotRun(t.pgDump) ? t.pgDump : [t.pgDump];
    for (const line of [
      sanityLine('pg_dump', dumpResult, isNotRun(t.pgDump) ? undefined : t.pgDump.runs.length),
      sanityLine('migra, exact copy → database', t.migraInSync),
      sanityLine('migra, bare copy → database', t.migraFromBare),
      sanityLine('drizzle-kit pull', t.drizzlePull),
    ])
      console.log(`    ${line}`);
    for (const [label, result] of [['migra, exact copy', t.migraInSync], ['migra, bare copy', t.migraFromBare], ['drizzle-kit', t.drizzlePull]] as const) {
      if (!isNotRun(result) && result.some((r) => r.run.exitCode !== 0 && !r.run.timedOut)) console.log(pc.dim(`    ${label} said:\n${result.at(-1)!.run.outputTail.replace(/^/gm, '      ')}`));
    }
  }
}

/** The issue's targets next to the figures: at 10,000 tables (or the largest size measured). */
export function printIssueTargets(plans: readonly MeasureResult[], tools: readonly ToolFigures[]): void {
  const largest = plans[plans.length - 1]!;
  const at = largest.n === 10_000 ? '10,000 tables' : `${largest.n} tables (10,000 not measured: BENCH_SIZES)`;
  const verdict = (met: boolean) => (met ? pc.green('met') : pc.red('not met'));
  const planMs = planCell(largest.inSync).ms!;

  const tool = tools.find((t) => t.n === largest.n);
  const dump = tool ? pgDumpCell(tool.pgDump) : { text: 'BENCH_SKIP_TOOLS=1' };
  if (dump.ms === undefined) {
    const why = tool && isNotRun(tool.pgDump) ? tool.pgDump.notRun : dump.text;
    console.log(`  in-sync plan within ×${ISSUE_TARGETS.planOverPgDumpAt10k} of pg_dump -s at ${at}: no pg_dump figure (${why})`);
  } else {
    const r = planMs / dump.ms;
    console.log(`  in-sync plan within ×${ISSUE_TARGETS.planOverPgDumpAt10k} of pg_dump -s at ${at}: ${ms(planMs)} ms vs ${ms(dump.ms)} ms, ×${formatNumber(r, 2)}: ${verdict(r <= ISSUE_TARGETS.planOverPgDumpAt10k)}`);
  }

  // Linear growth: time per table should not grow with N. The smallest size carries fixed costs, so it is shown, not judged.
  const perTable = plans.map((p) => `${formatNumber((planCell(p.inSync).ms! * 1000) / p.n, 0)} µs (N=${p.n})`).join(', ');
  const judged = plans.filter((p) => p.n >= 1000);
  if (judged.length >= 2) {
    const [from, to] = [judged[0]!, judged[judged.length - 1]!];
    const growth = planCell(to.inSync).ms! / planCell(from.inSync).ms!;
    const tables = to.n / from.n;
    console.log(
      `  linear growth: in-sync plan time per table ${perTable}; from ${from.n} to ${to.n} tables (×${formatNumber(tables, 0)}) time ×${formatNumber(growth, 2)}, ` +
        `target ≤ ×${formatNumber(tables * ISSUE_TARGETS.linearSlack, 1)} (linear + ${Math.round((ISSUE_TARGETS.linearSlack - 1) * 100)}%): ${verdict(growth <= tables * ISSUE_TARGETS.linearSlack)}`,
    );
  } else {
    console.log(`  linear growth: in-sync plan time per table ${perTable} (two sizes of 1,000 or more needed to judge)`);
  }

  const rss = largest.memory.peakRssInSync;
  console.log(
    `  memory < ${ISSUE_TARGETS.peakRssMb} MB at ${at}: peak RSS ${formatNumber(rss, 0)} MB after in-sync plans (${formatNumber(largest.memory.peakRssChanged, 0)} MB after the changed plans): ${verdict(rss < ISSUE_TARGETS.peakRssMb)}`,
  );
}
