import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from './app-config';

/**
 * The configuration validated at boot (AppConfig.fromEnv lists every bad variable at once), held by
 * @nestjs/config and provided as the typed AppConfig.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      // The env file, if any, was loaded by loadEnvFile before AppConfig was built.
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ app: config })] })],
      providers: [
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (c: ConfigService) => c.getOrThrow<AppConfig>('app'),
        },
      ],
      exports: [AppConfig],
    };
  }
}

/**
 * Load the env file into `process.env` with @nestjs/config's loader (dotenv), before AppConfig.fromEnv
 * validates the environment: ENV_FILE names it (empty: none), default `.env` in the working directory,
 * skipped when absent. A variable already in the environment wins over the file. Only the entry points
 * (main.ts, the admin:promote command) call this, so an app built in-process (the tests) reads the
 * environment it is given, never a developer's `.env`. Returns the file read, if any.
 */
export async function loadEnvFile(): Promise<string | undefined> {
  const named = process.env.ENV_FILE;
  if (named === '') return undefined;
  const path = resolve(named ?? '.env');
  if (!existsSync(path)) {
    if (named !== undefined) throw new Error(`ENV_FILE=${named}: there is no such file (${path})`);
    return undefined;
  }
  // forRoot copies the file's variables that are not set yet into process.env; the module it returns
  // is not needed (AppConfigModule provides the configuration).
  await ConfigModule.forRoot({ envFilePath: path });
  return path;
}
