/**
 * `pg-access audit --html` in a real headless browser (Debian's
 * chromium-headless-shell, driven by playwright-core; .ci/run installs it):
 * the file opens from disk with no network, lists every cell, filters by
 * role, table, command, access and text, and shows hostile names and
 * predicates as text, never as markup. A screenshot is kept in
 * .pg-access-tmp for a person to look at.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../src/index.js';
import { auditToHtml } from '../src/audit/render-html.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
const root = path.join(repo, '.pg-access-tmp', `audit-html-${randomBytes(4).toString('hex')}`);
const BROWSERS = [process.env.PG_ACCESS_CHROMIUM, '/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].filter((p): p is string => !!p);
const executable = BROWSERS.find((p) => existsSync(p));
// CI installs the browser (.ci/run): there a missing browser is a failure, not a skip.
if (!executable && process.env.CI) throw new Error(`No headless Chromium at ${BROWSERS.join(', ')}: .ci/run installs chromium-headless-shell.`);
if (!executable) console.warn('audit --html browser test skipped: install chromium-headless-shell (apt-get install -y chromium-headless-shell)');

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'ah_app' | 'ah_reader'>>>;
let browser: Browser | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('ah_app', 'ah_reader');
  await db.query(`CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO ${quoteIdent(r.ah_app)}, ${quoteIdent(r.ah_reader)};
    CREATE TABLE app.docs (id int, note text); ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
    GRANT SELECT, UPDATE ON app.docs TO ${quoteIdent(r.ah_app)}; GRANT SELECT ON app.docs TO ${quoteIdent(r.ah_reader)};
    CREATE POLICY "<b>bold</b>" ON app.docs FOR SELECT TO ${quoteIdent(r.ah_app)} USING (note <> '</script><b>x</b>');
    CREATE TABLE app."we<i>ird" (id int); GRANT SELECT ON app."we<i>ird" TO ${quoteIdent(r.ah_reader)}`);
  mkdirSync(root, { recursive: true });
  if (executable) browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
});
afterAll(async () => {
  await browser?.close();
  await db?.close();
  await r?.drop();
});

describe.skipIf(!executable)('audit --html in a headless browser', () => {
  it('lists every cell, filters by role, command and text, and shows hostile names as text', async () => {
    const result = await audit(db.pool, { schemas: ['app'] });
    const file = path.join(root, 'audit.html');
    writeFileSync(file, auditToHtml(result));
    const page = await browser!.newPage();
    // Nothing but the file itself is fetched: it opens with the network closed.
    const requests: string[] = [];
    page.on('request', (request) => void requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    const rows = page.locator('#cells tr');
    expect(await rows.count()).toBe(result.cells.length);
    expect(requests).toEqual([pathToFileURL(file).href]);

    // Hostile text is text: no <b> or <i> element was made from a name or predicate.
    expect(await page.locator('#cells b, #cells i').count()).toBe(0);
    expect(await page.locator('#cells td', { hasText: "(note <> '</script><b>x</b>'::text)" }).count()).toBe(1);
    expect(await page.locator('#cells td', { hasText: '<b>bold</b>' }).count()).toBe(1);
    expect(await page.locator('#cells td', { hasText: 'app.we<i>ird' }).count()).toBeGreaterThan(0);

    await page.selectOption('#role', r.ah_reader);
    const readerCells = result.cells.filter((c) => c.role === r.ah_reader).length;
    expect(await rows.count()).toBe(readerCells);
    expect(await page.locator('#count').textContent()).toBe(`${readerCells} of ${result.cells.length} shown`);
    await page.selectOption('#role', r.ah_app);
    await page.selectOption('#command', 'SELECT');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').nth(3).textContent()).toBe('rows');
    await page.selectOption('#command', '');
    await page.fill('#text', 'script');
    expect(await rows.count()).toBe(1);
    await page.fill('#text', '');
    await page.selectOption('#role', '');
    await page.selectOption('#access', 'none');
    expect(await rows.count()).toBe(result.cells.filter((c) => c.access === 'none').length);
    await page.selectOption('#access', '');
    await page.screenshot({ path: path.join(root, '..', 'audit-html.png'), fullPage: true });
    await page.close();
  });
});
