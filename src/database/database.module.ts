import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/** The URL of the database in use (PostgreSQL, or the embedded one's socket), for clients beside TypeORM. */
export const DATABASE_URL = Symbol('DATABASE_URL');

@Module({})
export class DatabaseModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [{ provide: DATABASE_URL, useValue: url }],
      exports: [DATABASE_URL],
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
