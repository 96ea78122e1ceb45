/** How the per-kind readers run a query: rows only; readCatalog counts the round trips. */
export type CatalogQuery = (sql: string, params?: unknown[]) => Promise<any[]>;
