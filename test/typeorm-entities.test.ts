/**
 * TypeORM entities with pg-access decorators (issue 12): table and column
 * names come from TypeORM's own metadata (built without a connection, its
 * naming strategy applied), the declaration applies and PostgreSQL enforces
 * it. Both decorator flavours, each compiled as a project compiles it
 * (through tsx in a child process: Node runs neither): experimentalDecorators
 * with TypeORM's own @Entity/@Column, and TC39 decorators (TypeScript 5's
 * default) on a class TypeORM maps with an EntitySchema, its @Entity being
 * experimentalDecorators-only.
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
let r: Awaited<ReturnType<typeof createRoles<'to_app'>>>;
const dirs: string[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('to_app');
  await db.query(`CREATE SCHEMA app; CREATE TABLE app.stored_documents (id serial PRIMARY KEY, owner_id int NOT NULL, title text NOT NULL);
    INSERT INTO app.stored_documents (owner_id, title) VALUES (1, 'one'), (2, 'two');
    CREATE TABLE public.note (id serial PRIMARY KEY, author_id int NOT NULL, body text NOT NULL); INSERT INTO public.note (author_id, body) VALUES (1, 'a'), (2, 'b')`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Runs `source` as access.ts of a project with these compiler options; it prints JSON. */
async function runProject(compilerOptions: Record<string, unknown>, source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  await mkdir(join(repo, '.pg-access-tmp'), { recursive: true });
  const dir = await mkdtemp(join(repo, '.pg-access-tmp', 'typeorm-'));
  dirs.push(dir);
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, ...compilerOptions } }));
  await writeFile(join(dir, 'access.ts'), source.replace('PG_ACCESS', JSON.stringify(join(repo, 'src/index.ts'))));
  return runNodeProcess(dir, ['--import', 'tsx', 'access.ts'], { ...process.env, DATABASE_URL: db.url, ROLE: r.to_app });
}

const seenBy = (sql: string) => asRole(db.pool, r.to_app, { 'app.uid': '2' }, async (c) => (await c.query(sql)).rows.map((row) => Object.values(row)[0])).catch((e: Error) => e.message);

describe('TypeORM entities', () => {
  it("experimentalDecorators with TypeORM's @Entity and @Column: its naming strategy applied, applied and enforced", async () => {
    const run = await runProject(
      { experimentalDecorators: true },
      `import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import pg from 'pg';
import { apply, check, defineAccess, EnableRls, GrantPermissions, publicRead, RlsPolicy, RlsTemplate, typeormAccess } from PG_ACCESS;

const role = process.env.ROLE!;

@Entity()
@EnableRls()
@GrantPermissions('SELECT', { to: role })
@RlsPolicy<Note>({ name: 'mine', for: 'SELECT', to: role, using: (t) => \`\${t.authorId} = current_setting('app.uid')::int\` })
// A template on the entity, its column typed by the entity's properties (t.body is the column "body").
@RlsTemplate<Note>((t) => publicRead(t, { to: role, where: (c) => \`\${c.body} = 'a'\`, name: 'public_a' }))
class Note {
  @PrimaryGeneratedColumn() id!: number;
  @Column('int', { name: 'author_id' }) authorId!: number;
  @Column('text') body!: string;
}

const dataSource = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [Note] });
const access = defineAccess({ roles: [role], tables: await typeormAccess(dataSource) });
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const applied = await apply(pool, access);
process.stdout.write(JSON.stringify({ initialized: dataSource.isInitialized, applied: applied.plan.operations.map((o) => o.description), inSync: (await check(pool, access)).inSync }));
await pool.end();
`,
    );
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ initialized: false, inSync: true });
    expect(out.applied).toContain('create policy "mine" on public.note');
    expect(out.applied).toContain('create policy "public_a" on public.note');
    // Its own row, and the row the template's policy shows everyone.
    expect(await seenBy('SELECT body FROM public.note ORDER BY 1')).toEqual(['a', 'b']);
  });

  it('TC39 decorators on a class mapped by an EntitySchema; a decorated class TypeORM does not know is an error naming it', async () => {
    const run = await runProject(
      {},
      `import { DataSource, EntitySchema } from 'typeorm';
import pg from 'pg';
import { apply, defineAccess, EnableRls, GrantPermissions, RlsPolicy, typeormAccess } from PG_ACCESS;

const role = process.env.ROLE!;

@EnableRls()
@GrantPermissions('SELECT', { to: role })
@RlsPolicy<StoredDocument>({ name: 'own', for: 'SELECT', to: role, using: (t) => \`\${t.ownerId} = current_setting('app.uid')::int\` })
class StoredDocument {
  id!: number;
  ownerId!: number;
  title!: string;
}
const schema = new EntitySchema<StoredDocument>({
  name: 'StoredDocument',
  target: StoredDocument,
  tableName: 'stored_documents',
  schema: 'app',
  columns: { id: { type: 'int', primary: true, generated: true }, ownerId: { type: 'int', name: 'owner_id' }, title: { type: 'text' } },
});
const dataSource = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [schema] });
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
await apply(pool, defineAccess({ roles: [role], tables: await typeormAccess(dataSource) }));
await pool.end();

@EnableRls()
class NotAnEntity {}
void NotAnEntity;
const refused = await typeormAccess(dataSource).then(() => 'accepted', (e: Error & { code?: string }) => \`\${e.code}: \${e.message}\`);
process.stdout.write(JSON.stringify({ refused }));
`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).refused).toBe(
      'ENTITY_UNKNOWN: class NotAnEntity carries pg-access decorators but is not an entity of this DataSource: add it to its entities (with @Entity()), or remove the decorators.',
    );
    expect(await seenBy('SELECT title FROM app.stored_documents')).toEqual(['two']);
  });

  it('through the CLI: a config whose access module imports decorated entities (jiti cannot transpile them; tsx does, per the tsconfig)', async () => {
    await db.query('CREATE TABLE public.memo (id serial PRIMARY KEY, writer_id int NOT NULL)');
    await mkdir(join(repo, '.pg-access-tmp'), { recursive: true });
    const dir = await mkdtemp(join(repo, '.pg-access-tmp', 'typeorm-cli-'));
    dirs.push(dir);
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, experimentalDecorators: true } }));
    await writeFile(
      join(dir, 'entities.ts'),
      `import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { EnableRls, RlsPolicy } from ${JSON.stringify(join(repo, 'src/index.ts'))};

@Entity()
@EnableRls()
@RlsPolicy<Memo>({ name: 'mine', for: 'SELECT', to: process.env.ROLE!, using: (t) => \`\${t.writerId} = 1\` })
export class Memo {
  @PrimaryGeneratedColumn() id!: number;
  @Column('int', { name: 'writer_id' }) writerId!: number;
}
export const dataSource = new DataSource({ type: 'postgres', entities: [Memo] });
`,
    );
    await writeFile(
      join(dir, 'access.ts'),
      `import { defineAccess, typeormAccess } from ${JSON.stringify(join(repo, 'src/index.ts'))};
import { dataSource } from './entities.ts';
export default defineAccess({ roles: [process.env.ROLE!], tables: await typeormAccess(dataSource) });
`,
    );
    await writeFile(join(dir, 'pg-access.config.ts'), `export default { access: './access.ts', url: ${JSON.stringify(db.url)} };\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, PG_ACCESS_FROM_SOURCE: '1', ROLE: r.to_app };
    for (const key of ['DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'CI']) delete env[key];
    const run = await runNodeProcess(dir, [join(repo, 'bin/pg-access.js'), 'plan'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('CREATE POLICY "mine" ON "public"."memo"');
    expect(run.stdout).toContain('(writer_id = 1)');
  });
});
