/** A schema-qualified relation name, as PostgreSQL stores it (no quoting, exact case). */
export interface QualifiedName {
  readonly schema: string;
  readonly name: string;
}

/** A collision-free map key for a qualified name (names may contain any character). */
export function qualifiedKey(ref: QualifiedName): string {
  return JSON.stringify([ref.schema, ref.name]);
}

export function compareQualified(a: QualifiedName, b: QualifiedName): number {
  return compareText(a.schema, b.schema) || compareText(a.name, b.name);
}

/** Byte-wise (C collation) comparison, so ordering never depends on the machine's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
