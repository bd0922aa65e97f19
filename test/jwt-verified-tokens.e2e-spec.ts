import { randomBytes } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import type { RunningPaymux } from '../src/bootstrap';
import { http, Merchant, newMerchant, startTestApp } from './helpers/app';
import { waitFor } from './helpers/wait';

/**
 * An access token is verified (jsonwebtoken) the first time this process sees it and then remembered
 * until it expires (VerifiedTokens): the exact token string only, its expiry checked on every request.
 */
describe('Bearer JWT: verified once per process', () => {
  const secret = randomBytes(32).toString('hex');
  let app: RunningPaymux;
  let m: Merchant;
  // passport-jwt calls jsonwebtoken's verify through the module object, so the spy sees every call.
  const verify = jest.spyOn(jsonwebtoken, 'verify');
  const verifiedTimes = (token: string): number => verify.mock.calls.filter(([t]) => t === token).length;

  beforeAll(async () => {
    app = await startTestApp({ JWT_SECRET: secret });
    m = await newMerchant(app);
  });
  afterAll(() => app.close());

  it('verifies a token on its first request only', async () => {
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: m.email, password: m.password })
      .expect(200);
    const token = login.body.access_token as string;
    const auth = { authorization: `Bearer ${token}` };
    expect(verifiedTimes(token)).toBe(0);
    await http(app).get('/api/v1/auth/me').set(auth).expect(200);
    await http(app).get('/api/v1/auth/me').set(auth).expect(200);
    await http(app).get('/api/v1/applications').set(auth).expect(200);
    expect(verifiedTimes(token)).toBe(1);
  });

  it('refuses a token that differs from a remembered one in its signature or claims', async () => {
    await http(app).get('/api/v1/auth/me').set(m.auth).expect(200);
    const [header, payload, signature] = m.token.split('.');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    await http(app)
      .get('/api/v1/auth/me')
      .set({ authorization: `Bearer ${header}.${payload}.${flipped}` })
      .expect(401);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'owner', pa: true })).toString('base64url');
    await http(app)
      .get('/api/v1/auth/me')
      .set({ authorization: `Bearer ${header}.${forged}.${signature}` })
      .expect(401);
  });

  it('refuses a remembered token once it has expired', async () => {
    const me = await http(app).get('/api/v1/auth/me').set(m.auth).expect(200);
    const iat = Math.floor(Date.now() / 1000);
    const short = jsonwebtoken.sign(
      { sub: m.userId, tid: m.tenantId, role: me.body.role as string, pa: false, ims: Date.now() },
      secret,
      { algorithm: 'HS256', expiresIn: 2 },
    );
    await http(app)
      .get('/api/v1/auth/me')
      .set({ authorization: `Bearer ${short}` })
      .expect(200);
    expect(verifiedTimes(short)).toBe(1);
    // Answered from what was remembered until it expires; refused from then on.
    await waitFor(
      'the short-lived token to be refused',
      async () =>
        (
          await http(app)
            .get('/api/v1/auth/me')
            .set({ authorization: `Bearer ${short}` })
        ).status === 401,
      60_000,
    );
    expect(Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(iat + 2);
    await http(app)
      .get('/api/v1/auth/me')
      .set({ authorization: `Bearer ${short}` })
      .expect(401);
  });
});
