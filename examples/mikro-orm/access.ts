import { MikroORM } from '@mikro-orm/postgresql';
import { defineAccess, mikroOrmAccess } from 'pg-access';
import config from './mikro-orm.config.ts';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';

// Table and column names from the metadata MikroORM discovers, without connecting.
const orm = await MikroORM.init({ ...config, connect: false });
export default defineAccess({ roles: [app, reporting], tables: await mikroOrmAccess(orm) });
await orm.close();
