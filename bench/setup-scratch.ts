// scratch: builds a bench database of N tables and applies the declaration
import pg from 'pg';
import { apply } from '../src/index.js';
import { benchDeclaration, createRolesSql, createSchemaStatements } from './bench-fixture.js';
const url = process.argv[2]!; const n = Number(process.argv[3]);
const c = new pg.Client({ connectionString: url }); await c.connect();
try { await c.query(createRolesSql()); } catch {}
for (const s of createSchemaStatements(n)) await c.query(s);
const t = performance.now();
await apply(c, benchDeclaration(n), { lockTimeoutMs: 60_000 });
console.log('applied', performance.now() - t);
await c.end();
