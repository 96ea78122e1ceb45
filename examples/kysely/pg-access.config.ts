import { defineConfig } from 'pg-access';

export default defineConfig({ access: './access.ts', url: process.env.DATABASE_URL, out: './migrations', format: 'kysely' });
