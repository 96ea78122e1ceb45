import type { LintResult } from './lint.js';
import type { LintFinding, LintSeverity } from './lint-rule.js';
import { LINT_RULES } from './rules/index.js';

/*
 * Findings as text (grouped by severity), JSON (version 1) or SARIF 2.1.0
 * for GitHub code scanning: each rule with its help, each finding a result
 * whose logical location is the object; with `artifact` (the access module)
 * also a physical location, which code scanning needs to show an alert.
 */

export const LINT_JSON_VERSION = 1;

export function lintToJson(result: LintResult): unknown {
  // A finding's repair is operations for lint --fix, not part of the documented JSON: `fixable` says whether it has one.
  const shown = <F extends LintFinding>({ repair, ...f }: F) => ({ ...f, fixable: repair !== undefined });
  return { version: LINT_JSON_VERSION, database: result.database, schemas: result.schemas, findings: result.findings.map(shown), suppressed: result.suppressed.map(shown), unusedIgnores: result.unusedIgnores };
}

export function formatLint(result: LintResult): string {
  const out: string[] = [];
  for (const severity of ['error', 'warning', 'info'] as LintSeverity[]) {
    for (const f of result.findings.filter((x) => x.severity === severity)) out.push(`${severity} ${f.rule}: ${f.message}\n  fix: ${f.fix}`);
  }
  const counts = (['error', 'warning', 'info'] as const).map((s) => `${result.findings.filter((f) => f.severity === s).length} ${s}${result.findings.filter((f) => f.severity === s).length === 1 ? '' : 's'}`).join(', ');
  out.push(`${out.length ? '\n' : ''}Lint of database "${result.database}" (schemas: ${result.schemas.join(', ') || 'none'}): ${counts}${result.suppressed.length ? `, ${result.suppressed.length} suppressed` : ''}.`);
  for (const i of result.unusedIgnores) out.push(`note: the ignore entry for ${i.rule} on ${i.object} matched nothing; remove it if the problem is gone.`);
  return `${out.join('\n')}\n`;
}

const LEVEL: Record<LintSeverity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function lintToSarif(result: LintResult, version: string, artifact?: string): unknown {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pg-access',
            version,
            rules: LINT_RULES.map((r) => ({
              id: r.id,
              shortDescription: { text: r.title },
              fullDescription: { text: r.why },
              help: { text: r.why },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        results: result.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: LINT_RULES.findIndex((r) => r.id === f.rule),
          level: LEVEL[f.severity],
          message: { text: `${f.message} Fix: ${f.fix}` },
          locations: [
            {
              ...(artifact ? { physicalLocation: { artifactLocation: { uri: artifact }, region: { startLine: 1 } } } : {}),
              logicalLocations: [{ fullyQualifiedName: `${result.database}.${f.object}`, kind: f.object.startsWith('policy ') ? 'member' : 'type' }],
            },
          ],
          partialFingerprints: { object: `${f.rule}:${f.object}` },
        })),
      },
    ],
  };
}
