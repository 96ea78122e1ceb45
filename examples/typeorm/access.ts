import { defineAccess, typeormAccess } from 'pg-access';
import dataSource from './data-source.ts';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';

// Table and column names from TypeORM's metadata (no connection is opened).
export default defineAccess({ roles: [app, reporting], tables: await typeormAccess(dataSource) });
