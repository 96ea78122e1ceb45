import { defineConfig } from 'tsup';

export default defineConfig({
  // Output paths mirror src/: dist/index.js, dist/integrations/drizzle/index.js (pg-access/drizzle), dist/cli/main.js (bin/pg-access.js).
  entry: {
    index: 'src/index.ts',
    'integrations/drizzle/index': 'src/integrations/drizzle/index.ts',
    'testing/index': 'src/testing/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: true,
  // Shared code goes into common chunks, so the CLI and `import 'pg-access'` use one copy of the library (one PgAccessError class).
  splitting: true,
  sourcemap: true,
  clean: true,
  outDir: 'dist',
});
