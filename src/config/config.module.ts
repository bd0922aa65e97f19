import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
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
