/**
 * Prisma models as tables (issue 12): the schema is read by Prisma's own
 * reader (@prisma/get-dmmf, offline), so @@map, @map and @@schema resolve
 * as Prisma resolves them; the declaration applies and PostgreSQL enforces
 * it; an unknown model or field is an error naming it and the schema file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, check, defineAccess, grant, plan, policy, readPrismaSchema, table, type PrismaSchema } from '../src/index.js';
import { asRole, createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

const SCHEMA = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
  schemas  = ["app", "public"]
}

model User {
  id        Int        @id @default(autoincrement())
  documents Document[]
  @@map("users")
  @@schema("public")
}

model Document {
  id      Int    @id @default(autoincrement())
  ownerId Int    @map("owner_id")
  title   String
  owner   User   @relation(fields: [ownerId], references: [id])
  @@map("documents")
  @@schema("app")
}
`;

let db: TestDatabase;
let dir: string;
let prisma: PrismaSchema;
let r: Awaited<ReturnType<typeof createRoles<'pm_app'>>>;
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('pm_app');
  dir = await mkdtemp(join(tmpdir(), 'pg-access-prisma-'));
  await writeFile(join(dir, 'schema.prisma'), SCHEMA);
  prisma = await readPrismaSchema(join(dir, 'schema.prisma'));
  await db.query(`CREATE TABLE users (id serial PRIMARY KEY); INSERT INTO users DEFAULT VALUES; INSERT INTO users DEFAULT VALUES;
    CREATE SCHEMA app; CREATE TABLE app.documents (id serial PRIMARY KEY, owner_id int NOT NULL REFERENCES users, title text NOT NULL);
    INSERT INTO app.documents (owner_id, title) VALUES (1, 'one'), (2, 'two')`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Prisma models', () => {
  it('resolve @@map, @map and @@schema as Prisma does; the policy applies and is enforced', async () => {
    expect(prisma.models).toEqual(['User', 'Document']);
    const documents = prisma.model<'id' | 'ownerId' | 'title'>('Document');
    const access = defineAccess({
      roles: [r.pm_app],
      schemas: [],
      tables: [
        table(documents, {
          grants: [grant('SELECT', { to: r.pm_app })],
          policies: [policy('own', { for: 'SELECT', to: r.pm_app, using: (t) => `${t.ownerId} = current_setting('app.uid')::int` })],
        }),
      ],
    });
    const planned = await plan(db.pool, access);
    expect(planned.operations.map((o) => o.description)).toContain('create policy "own" on app.documents');
    await apply(db.pool, access);
    expect((await check(db.pool, access)).inSync).toBe(true);
    const titles = await asRole(db.pool, r.pm_app, { 'app.uid': '2' }, async (c) => (await c.query('SELECT title FROM app.documents')).rows.map((row) => row.title));
    expect(titles).toEqual(['two']);
  });

  it('an unknown model, an unknown field or a relation field is an error naming it and the schema file', async () => {
    expect(() => prisma.model('Documnt')).toThrow(`${join(dir, 'schema.prisma')} has no model "Documnt"; its models are User, Document.`);
    const misspelt = defineAccess({ roles: [r.pm_app], tables: [table(prisma.model('Document'), { policies: [policy('own', { to: r.pm_app, using: (t) => `${t.ownrId} = 1` })] })] });
    await expect(plan(db.pool, misspelt)).rejects.toMatchObject({ code: 'INVALID_DECLARATION', details: [expect.stringContaining(`model Document in ${join(dir, 'schema.prisma')} has no field "ownrId"; its fields are id, ownerId, title, owner`)] });
    const relation = defineAccess({ roles: [r.pm_app], tables: [table(prisma.model('Document'), { policies: [policy('own', { to: r.pm_app, using: (t) => `${t.owner} = 1` })] })] });
    await expect(plan(db.pool, relation)).rejects.toMatchObject({ details: [expect.stringContaining('Document.owner in')] });
    await expect(readPrismaSchema(join(dir, 'missing.prisma'))).rejects.toMatchObject({ code: 'PRISMA_SCHEMA_UNREADABLE' });
    await writeFile(join(dir, 'broken.prisma'), 'model {');
    await expect(readPrismaSchema(join(dir, 'broken.prisma'))).rejects.toMatchObject({ code: 'PRISMA_SCHEMA_INVALID' });
  });

  it("types model and field names when given them (a generated client's Prisma.ModelName and Prisma.DocumentScalarFieldEnum, say)", () => {
    const typed = async () => {
      const schema = await readPrismaSchema<'User' | 'Document'>('schema.prisma');
      // @ts-expect-error Documnt is not one of the model names given
      schema.model('Documnt');
      return table(schema.model<'id' | 'ownerId'>('Document'), {
        // @ts-expect-error ownrId is not one of the field names given
        policies: [policy('own', { using: (t) => `${t.ownrId} = 1` })],
      });
    };
    expect(typed).toBeTypeOf('function');
  });
});
