import { randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../src/bootstrap';
import { AppConfig } from '../src/config/app-config';
import { db, http, startTestApp } from './helpers/app';

/** A client address of its own: rate-limit windows live in the database every suite shares. */
const randomIp = (): string =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** Registration: a per-address limit and a password policy. */
describe('registration', () => {
  let app: RunningPaymux;

  beforeAll(async () => {
    // One proxy of ours in front: the client is the right-most X-Forwarded-For entry.
    app = await startTestApp({
      REGISTER_RATE_LIMIT: '3',
      REGISTER_RATE_WINDOW_SECONDS: '3600',
      TRUST_PROXY: '1',
    });
  });
  afterAll(() => app.close());

  const register = (
    xff: string,
    email = `r-${randomUUID()}@example.test`,
    password = 'correct horse battery',
  ) =>
    http(app).post('/api/v1/auth/register').set('x-forwarded-for', xff).send({ email, password, name: 'R' });

  const usersWithEmail = async (email: string): Promise<number> =>
    (
      await db(app).query<{ n: number }[]>('SELECT count(*)::int AS n FROM users WHERE email = $1', [email])
    )[0].n;

  it('limits registrations per client address: 429 rate_limited with Retry-After, writing nothing', async () => {
    const ip = randomIp();
    for (let i = 0; i < 3; i++) expect((await register(ip)).status).toBe(201);
    const email = `r-${randomUUID()}@example.test`;
    const limited = await register(ip, email).expect(429);
    expect(limited.body.code).toBe('rate_limited');
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600);
    expect(await usersWithEmail(email)).toBe(0);
    // Another address has its own window.
    await register(randomIp()).expect(201);
  });

  it('with TRUST_PROXY=1, a client-chosen X-Forwarded-For entry does not escape the limit', async () => {
    const ip = randomIp();
    // The client sends "X-Forwarded-For: <anything>"; our proxy appends the address it saw.
    const forged = (): string => `${randomIp()}, ${ip}`;
    for (let i = 0; i < 3; i++) expect((await register(forged())).status).toBe(201);
    expect((await register(forged())).status).toBe(429);
  });

  it('refuses weak passwords with 400 validation_failed naming the field, writing nothing', async () => {
    const email = `weak-${randomUUID()}@example.test`;
    const weak = [
      '12345678',
      '1234567890123',
      'aaaaaaaaaaaa',
      'Password123',
      'qwertyuiop',
      email,
      email.split('@')[0],
      'short1!',
    ];
    for (const password of weak) {
      const res = await http(app)
        .post('/api/v1/auth/register')
        .set('x-forwarded-for', randomIp())
        .send({ email, password, name: 'Weak' })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(JSON.stringify(res.body)).toContain('password');
    }
    expect(await usersWithEmail(email)).toBe(0);
    await register(randomIp(), email, 'a long and unusual passphrase').expect(201);
  });

  it('refuses a weak ADMIN_PASSWORD and TRUST_PROXY=true at start, saying what to use', () => {
    const dataDir = app.config.dataDir;
    expect(() =>
      AppConfig.fromEnv({ DATA_DIR: dataDir, ADMIN_EMAIL: 'a@example.test', ADMIN_PASSWORD: '12345678' }),
    ).toThrow(/ADMIN_PASSWORD.*digits only/);
    expect(() => AppConfig.fromEnv({ DATA_DIR: dataDir, TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY="true".*hop count|TRUST_PROXY="true"[\s\S]*TRUST_PROXY=1/,
    );
    expect(AppConfig.fromEnv({ DATA_DIR: dataDir, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(AppConfig.fromEnv({ DATA_DIR: dataDir, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(
      ['10.0.0.0/8', '127.0.0.1'],
    );
  });
});
