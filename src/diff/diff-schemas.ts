import { createSchema, type CreateSchemaOp } from '../ops/create-schema.op.js';

/** Declared schemas that do not exist yet are created; pg-access never drops a schema it was not asked to. */
export function diffSchemas(desired: readonly string[], actual: readonly string[]): CreateSchemaOp[] {
  const existing = new Set(actual);
  return [...new Set(desired)].filter((s) => !existing.has(s)).map(createSchema);
}
