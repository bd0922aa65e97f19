import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

/**
 * Every entity file, found by its name (`*.entity.ts`, or `.js` once built). In the app each feature
 * module registers its own entities (TypeOrmModule.forFeature, autoLoadEntities); tools that run
 * without the app (the migration CLI and its drift check, the admin scripts) load them all this way,
 * so the database layer names no feature.
 */
export const ENTITY_FILES = join(__dirname, '..', '**', '*.entity.{ts,js}');

export function dataSourceOptions(
  url: string,
  poolSize = 10,
  entities: NonNullable<DataSourceOptions['entities']> = [ENTITY_FILES],
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    extra: { max: poolSize, connectionTimeoutMillis: 10000 },
  };
}
