/**
 * Data source for the TypeORM CLI (`npm run migration:generate`). Needs DATABASE_URL pointing at a
 * migrated PostgreSQL database.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must point at a PostgreSQL database to generate migrations');

export default new DataSource(dataSourceOptions(url, 2));
