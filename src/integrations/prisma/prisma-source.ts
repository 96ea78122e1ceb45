/** Prisma models (readPrismaSchema(...).model(name)) as a table source: already read, so nothing to load. */
import type { TableSource } from '../../declare/table-source.js';
import { PRISMA_MODEL, type PrismaModel } from './prisma-schema.js';

export const prismaSource: TableSource = {
  name: 'prisma',
  recognizes: (value) => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PRISMA_MODEL] === true,
  describe(value) {
    const m = value as PrismaModel;
    return { schema: m.table.schema, name: m.table.name, columns: m.columns };
  },
  label: (value) => `Prisma model ${(value as PrismaModel).model}`,
};
