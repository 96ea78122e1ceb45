/**
 * MikroORM entities with pg-access decorators (issue 12): table and column
 * names come from the metadata MikroORM discovers (MikroORM.init with
 * connect: false; its underscore naming strategy applied: class Article is
 * table article, authorId is author_id), the declaration applies and
 * PostgreSQL enforces it. Compiled as a MikroORM 6 project is, with
 * experimentalDecorators, through tsx in a child process.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole, createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess } from './support/run-process.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'mo_app'>>>;
let dir: string | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('mo_app');
  await db.query(`CREATE TABLE public.article (id serial PRIMARY KEY, author_id int NOT NULL, title text NOT NULL); INSERT INTO public.article (author_id, title) VALUES (1, 'a'), (2, 'b')`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('MikroORM entities', () => {
  it('decorated entities read from MikroORM metadata without a connection: applied and enforced; an unknown decorated class is an error naming it', async () => {
    await mkdir(join(repo, '.pg-access-tmp'), { recursive: true });
    dir = await mkdtemp(join(repo, '.pg-access-tmp', 'mikro-orm-'));
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, experimentalDecorators: true } }));
    await writeFile(
      join(dir, 'access.ts'),
      `import { Entity, MikroORM, PrimaryKey, Property } from '@mikro-orm/postgresql';
import pg from 'pg';
import { apply, check, defineAccess, EnableRls, GrantPermissions, mikroOrmAccess, RlsPolicy } from ${JSON.stringify(join(repo, 'src/index.ts'))};

const role = process.env.ROLE!;

@Entity()
@EnableRls()
@GrantPermissions('SELECT', { to: role })
@RlsPolicy<Article>({ name: 'mine', for: 'SELECT', to: role, using: (t) => \`\${t.authorId} = current_setting('app.uid')::int\` })
class Article {
  @PrimaryKey({ type: 'integer' }) id!: number;
  @Property({ type: 'integer' }) authorId!: number;
  @Property({ type: 'text' }) title!: string;
}

const orm = await MikroORM.init({ clientUrl: process.env.DATABASE_URL, entities: [Article], connect: false, discovery: { warnWhenNoEntities: false } });
const access = defineAccess({ roles: [role], tables: await mikroOrmAccess(orm) });
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const applied = await apply(pool, access);
const inSync = (await check(pool, access)).inSync;
await pool.end();

@EnableRls()
class Stray {}
void Stray;
const refused = await mikroOrmAccess(orm).then(() => 'accepted', (e: Error & { code?: string }) => \`\${e.code}: \${e.message}\`);
await orm.close();
process.stdout.write(JSON.stringify({ applied: applied.plan.operations.map((o) => o.description), inSync, refused }));
`,
    );
    const run = await runNodeProcess(dir, ['--import', 'tsx', 'access.ts'], { ...process.env, DATABASE_URL: db.url, ROLE: r.mo_app });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.applied).toContain('create policy "mine" on public.article');
    expect(out.inSync).toBe(true);
    expect(out.refused).toBe('ENTITY_UNKNOWN: class Stray carries pg-access decorators but is not an entity MikroORM discovered: add it to its entities (with @Entity()), or remove the decorators.');
    const titles = await asRole(db.pool, r.mo_app, { 'app.uid': '2' }, async (c) => (await c.query('SELECT title FROM public.article')).rows.map((row) => row.title));
    expect(titles).toEqual(['b']);
  });

  it('TC39 decorators (no experimentalDecorators) on a class MikroORM maps with an EntitySchema', async () => {
    await db.query(`CREATE TABLE public.memo (id serial PRIMARY KEY, writer_id int NOT NULL); INSERT INTO public.memo (writer_id) VALUES (1), (2)`);
    const tc39 = await mkdtemp(join(repo, '.pg-access-tmp', 'mikro-orm-tc39-'));
    await writeFile(join(tc39, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    await writeFile(
      join(tc39, 'access.ts'),
      `import { EntitySchema, MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { apply, defineAccess, EnableRls, GrantPermissions, mikroOrmAccess, RlsPolicy } from ${JSON.stringify(join(repo, 'src/index.ts'))};

const role = process.env.ROLE!;

@EnableRls()
@GrantPermissions('SELECT', { to: role })
@RlsPolicy<Memo>({ name: 'mine', for: 'SELECT', to: role, using: (t) => \`\${t.writerId} = current_setting('app.uid')::int\` })
class Memo {
  id!: number;
  writerId!: number;
}
const schema = new EntitySchema<Memo>({ class: Memo, properties: { id: { type: 'integer', primary: true }, writerId: { type: 'integer' } } });

const orm = await MikroORM.init({ clientUrl: process.env.DATABASE_URL, entities: [schema], connect: false });
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const applied = await apply(pool, defineAccess({ roles: [role], tables: await mikroOrmAccess(orm) }));
await pool.end();
await orm.close();
process.stdout.write(JSON.stringify(applied.plan.operations.map((o) => o.description)));
`,
    );
    try {
      const run = await runNodeProcess(tc39, ['--import', 'tsx', 'access.ts'], { ...process.env, DATABASE_URL: db.url, ROLE: r.mo_app });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toContain('create policy "mine" on public.memo');
      const writers = await asRole(db.pool, r.mo_app, { 'app.uid': '2' }, async (c) => (await c.query('SELECT writer_id FROM public.memo')).rows.map((row) => row.writer_id));
      expect(writers).toEqual([2]);
    } finally {
      await rm(tc39, { recursive: true, force: true });
    }
  });
});
