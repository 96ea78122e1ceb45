/**
 * The front ends pg-access ships, registered with the declaration layer's
 * table-source registry. Loaded by the package entry (src/index.ts); the
 * core itself imports none of them.
 */
import { registerTableSource } from '../declare/table-source.js';
import { drizzleSource } from './drizzle/drizzle-source.js';
import { mikroOrmSource } from './mikro-orm/mikro-orm-access.js';
import { prismaSource } from './prisma/prisma-source.js';
import { typeormSource } from './typeorm/typeorm-access.js';

registerTableSource(drizzleSource);
registerTableSource(prismaSource);
registerTableSource(typeormSource);
registerTableSource(mikroOrmSource);
