import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { apiDocumentConfig, withTenantSuspension } from './api-document';
import { serveConsole } from './admin/console-assets';
import { AppModule } from './app.module';
import { AuthService } from './auth/auth.service';
import { registerBodyParsers } from './common/body-parsers';
import { refuseComplexQueries } from './common/body-shape';
import { drainOversizedBodies } from './common/oversized-body';
import { logRequests, rootLogger } from './common/logging';
import { addSecurityHeaders } from './common/security-headers';
import { assertPortFree, portError } from './common/port-probe';
import { validationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { fastifyTrustProxy } from './config/trust-proxy';
import { DatabaseHandle, openDatabase } from './database/embedded-database';
import { runMigrations } from './database/migrate';
import { DemoService } from './demo/demo.service';
import { PROVIDER_IDS } from './payments/providers';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request bodies above this get 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface RunningPaymux {
  app: NestFastifyApplication;
  config: AppConfig;
  db: DatabaseHandle;
  /** http://127.0.0.1:<port> once listening. */
  url: string;
  demoSeeded: boolean;
  /** The demo operator login (a platform admin) exists: the banner prints it. */
  demoOperator: boolean;
  close(): Promise<void>;
}

/**
 * Build and start paymux: validate config, open the database (PostgreSQL or embedded PGlite), run
 * migrations, create the Nest app on Fastify, bootstrap the admin and the demo, listen.
 * `main.ts` and the tests share this, so tests run the same start-up as production.
 */
export async function startPaymux(
  env: Record<string, string | undefined> = process.env,
  opts: { port?: number } = {},
): Promise<RunningPaymux> {
  const config = AppConfig.fromEnv(env, PROVIDER_IDS);
  // A port in use is reported now, before the database is opened and migrated, not after.
  await assertPortFree(opts.port ?? config.port, '0.0.0.0');
  const db = await openDatabase(config.databaseUrl, config.dataDir, config.dbPoolSize);
  let app: NestFastifyApplication | undefined;
  try {
    const log = rootLogger(config);
    const migrations = log.child({ context: 'Migrations' });
    await runMigrations(db.url, (line) => migrations.info(line));
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(config, db, log),
      new FastifyAdapter({
        bodyLimit: BODY_LIMIT_BYTES,
        trustProxy: fastifyTrustProxy(config.trustProxy),
        routerOptions: { ignoreTrailingSlash: true },
        // One request id per request: the caller's X-Request-Id when it is sane, else a UUID. It is in
        // every log line of the request (pino) and echoed back in the X-Request-Id response header.
        requestIdHeader: false,
        genReqId: (req: { headers: IncomingHttpHeaders }) => {
          const given = req.headers['x-request-id'];
          return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        },
      }),
      { bodyParser: false, bufferLogs: true },
    );
    const logger = app.get(Logger);
    app.useLogger(logger);
    for (const w of config.warnings) logger.warn(w);
    app.useGlobalPipes(validationPipe);
    const fastify = app.getHttpAdapter().getInstance();
    // A POST with no body at all (`curl -X POST -H 'Content-Type: application/json'`) is a request
    // without a body, not malformed JSON: drop the content type so no parser runs.
    fastify.addHook('onRequest', (req, _reply, done) => {
      if (req.headers['content-length'] === '0' && req.headers['content-type'] !== undefined)
        delete req.headers['content-type'];
      done();
    });
    fastify.addHook('onSend', (req, reply, payload, done) => {
      void reply.header('x-request-id', req.id);
      done(null, payload);
    });
    logRequests(fastify, log);
    registerBodyParsers(fastify, BODY_LIMIT_BYTES);
    drainOversizedBodies(fastify, BODY_LIMIT_BYTES);
    refuseComplexQueries(fastify);
    addSecurityHeaders(fastify, {
      alwaysHsts: config.production && !!config.publicBaseUrl?.startsWith('https://'),
    });
    // Cookies: the console's session (ConsoleSessionStrategy) and CSRF cookies.
    await app.register(fastifyCookie);
    // The operator and merchant console (a single-page app built into console/dist) at /admin.
    await serveConsole(fastify);
    // API_DOCS: off in production unless asked for (see AppConfig.apiDocsEnabled).
    if (config.apiDocsEnabled)
      SwaggerModule.setup(
        'docs',
        app,
        () =>
          withTenantSuspension(
            SwaggerModule.createDocument(app as NestFastifyApplication, apiDocumentConfig()),
          ),
        {
          jsonDocumentUrl: 'docs-json',
        },
      );
    await app.init();
    await app.get(AuthService).bootstrapAdmin();
    // The demo operator only on the embedded default (a laptop), and never beside a configured admin.
    const demo = config.demoEnabled
      ? await app.get(DemoService).seed({ operator: db.embedded && !config.adminEmail })
      : { seeded: false, operator: false };
    await app
      .listen({ port: opts.port ?? config.port, host: '0.0.0.0' })
      .catch((err: NodeJS.ErrnoException) => Promise.reject(portError(opts.port ?? config.port, err)));
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    config.bindPort(port);
    const running: RunningPaymux = {
      app,
      config,
      db,
      url: `http://127.0.0.1:${port}`,
      demoSeeded: demo.seeded,
      demoOperator: demo.operator,
      close: async () => {
        await running.app.close();
        await db.stop();
      },
    };
    return running;
  } catch (err) {
    await app?.close().catch(() => undefined);
    await db.stop().catch(() => undefined);
    throw err;
  }
}
