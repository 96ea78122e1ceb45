import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Document } from './entities.ts';

export default defineConfig({
  clientUrl: process.env.DATABASE_URL,
  entities: [Document],
  extensions: [Migrator],
  migrations: { path: './migrations', pathTs: './migrations', glob: '!(*.d).{js,ts}' },
});
