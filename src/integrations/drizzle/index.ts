export { drizzleTableFacts, isDrizzleTable, renderDrizzleSql } from './drizzle-table.js';
