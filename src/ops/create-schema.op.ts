export interface CreateSchemaOp {
  readonly kind: 'create-schema';
  readonly schema: string;
}
export interface DropSchemaOp {
  readonly kind: 'drop-schema';
  readonly schema: string;
}
export const createSchema = (schema: string): CreateSchemaOp => Object.freeze({ kind: 'create-schema', schema });
export const dropSchema = (schema: string): DropSchemaOp => Object.freeze({ kind: 'drop-schema', schema });
