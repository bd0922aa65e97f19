import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { StatementGroups } from './statement-groups';
import { NAME_STATEMENTS, PreparedStatements } from './prepared-statements';

/** The URL of the database in use (PostgreSQL, or the embedded one's socket), for clients beside TypeORM. */
export const DATABASE_URL = Symbol('DATABASE_URL');

@Module({})
export class DatabaseModule {
  /** `embedded`: the database is the embedded PGlite (no named statements: see PreparedStatements). */
  static forRoot(url: string, embedded: boolean): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: DATABASE_URL, useValue: url },
        {
          provide: NAME_STATEMENTS,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => config.dbPreparedStatements && !embedded,
        },
        PreparedStatements,
        StatementGroups,
      ],
      exports: [DATABASE_URL, PreparedStatements, StatementGroups],
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          // Each feature module registers its own entities (TypeOrmModule.forFeature).
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(url, config.dbPoolSize, []),
            autoLoadEntities: true,
          }),
        }),
      ],
    };
  }
}
