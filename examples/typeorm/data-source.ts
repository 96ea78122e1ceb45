import { DataSource } from 'typeorm';
import { Document } from './entities.ts';

// The DataSource the TypeORM CLI runs migrations with (-d data-source.ts): its only export.
export default new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [Document], migrations: ['migrations/*.ts'] });
