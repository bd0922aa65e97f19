import { startPaymux } from './bootstrap';
import { loadEnvFile } from './config/config.module';
import { DEMO } from './demo/demo.service';

async function main(): Promise<void> {
  const envFile = await loadEnvFile();
  const paymux = await startPaymux(process.env);
  const { config } = paymux;
  const base = config.baseUrl();
  /** The port actually bound (PORT=0 picks one); `base` may be PUBLIC_BASE_URL, which names another. */
  const port = /:(\d+)$/.exec(paymux.url)?.[1] ?? String(config.port);
  const lines = [
    '',
    `paymux is listening on port ${port} (${paymux.db.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL'}), links use ${base}`,
    `  ${config.apiDocsEnabled ? `API docs: ${base}/docs    ` : ''}health: ${base}/health`,
  ];
  if (envFile) lines.push(`  settings read from ${envFile} too (the environment wins over it)`);
  if (config.demoEnabled) {
    lines.push(
      `  demo login: ${DEMO.email} / ${DEMO.password}${paymux.demoSeeded ? ' (demo tenant just created)' : ''}`,
      ...(paymux.demoOperator
        ? [`  operator login: ${DEMO.operator.email} / ${DEMO.operator.password} (platform admin)`]
        : []),
      `  console: ${base}/admin`,
      '  create an order:',
      `    TOKEN=$(curl -s -X POST ${base}/api/v1/auth/login -H 'content-type: application/json' \\`,
      `      -d '{"email":"${DEMO.email}","password":"${DEMO.password}"}' | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
      `    curl -s -X POST ${base}/api/v1/orders/ -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `      -d '{"application_id":"${DEMO.applicationId}","package_id":"${DEMO.packages[0].id}","pay_way":"Sandbox"}'`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down gracefully\n`);
    const force = setTimeout(() => process.exit(1), 15000);
    force.unref();
    paymux
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
