import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import { db, http, newMember, newMerchant, signedRequest, startTestApp, type Merchant } from './helpers/app';

/**
 * The /admin console: the session API (cookies, CSRF, logout, revocation) over HTTP, and the console in
 * a real (headless) Chromium: an operator signs in, finds a merchant's order by its merchant order_no,
 * opens its timeline and refunds part of it; a member sees no operator pages and no refund button.
 * Screenshots of every page go to test-artifacts/console-<page>.png.
 */
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(executablePath);
if (!hasChromium) {
  console.warn(
    `console browser tests skipped: no Chromium at ${executablePath} (install chromium or set CHROMIUM_PATH)`,
  );
}
const describeInBrowser = hasChromium ? describe : describe.skip;

const ROOT = join(__dirname, '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');

/** The session cookies of a Set-Cookie answer, as `name=value` pairs and their raw attributes. */
function cookiesOf(res: request.Response): Record<string, { pair: string; attrs: string }> {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  const out: Record<string, { pair: string; attrs: string }> = {};
  for (const line of raw ?? []) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    out[pair.split('=')[0]] = { pair, attrs: attrs.join('; ') };
  }
  return out;
}

describe('console', () => {
  let app: RunningPaymux;
  const adminEmail = `op-${randomUUID()}@example.test`;
  const adminPassword = 'operator-password-1';

  beforeAll(async () => {
    app = await startTestApp({
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: adminPassword,
      LOGIN_RATE_LIMIT: '1000',
    });
  });
  afterAll(() => app?.close());

  /** Sign in to the console over HTTP: the Cookie header to send back and the CSRF token. */
  const signIn = async (
    email: string,
    password: string,
  ): Promise<{ cookie: string; csrf: string; res: request.Response }> => {
    const res = await request(app.url).post('/api/v1/auth/session').send({ email, password }).expect(200);
    const c = cookiesOf(res);
    return {
      cookie: `${c.paymux_session.pair}; ${c.paymux_csrf.pair}`,
      csrf: decodeURIComponent(c.paymux_csrf.pair.split('=')[1]),
      res,
    };
  };

  describe('session API', () => {
    let m: Merchant;
    beforeAll(async () => {
      m = await newMerchant(app);
    });

    it('signs in with an httpOnly SameSite=Strict session cookie and a readable CSRF cookie; no token in the body', async () => {
      const { res, cookie } = await signIn(m.email, m.password);
      expect(res.body).toEqual({
        user: { id: m.userId, email: m.email, name: 'Merchant', is_platform_admin: false },
        tenant: { id: m.tenantId, name: expect.any(String) },
        role: 'owner',
        auth: 'session',
      });
      const c = cookiesOf(res);
      expect(c.paymux_session.attrs).toMatch(/HttpOnly/i);
      expect(c.paymux_session.attrs).toMatch(/SameSite=Strict/i);
      expect(c.paymux_session.attrs).toMatch(/Path=\//);
      // Not production and PUBLIC_BASE_URL is not https here.
      expect(c.paymux_session.attrs).not.toMatch(/Secure/i);
      expect(c.paymux_csrf.attrs).not.toMatch(/HttpOnly/i);
      expect(c.paymux_csrf.attrs).toMatch(/SameSite=Strict/i);
      const token = c.paymux_session.pair.split('=')[1];
      expect(JSON.stringify(res.body)).not.toContain(token);
      // Only a hash is stored.
      const rows = await db(app).query<{ token_hash: string }[]>(
        'SELECT token_hash FROM console_sessions WHERE user_id = $1',
        [m.userId],
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.token_hash)).not.toContain(token);
      const me = await request(app.url).get('/api/v1/auth/me').set('Cookie', cookie).expect(200);
      expect(me.body).toMatchObject({ user: { id: m.userId }, auth: 'session' });
    });

    it('refuses a wrong password (401) and a tenant the account is not a member of (403)', async () => {
      const bad = await request(app.url)
        .post('/api/v1/auth/session')
        .send({ email: m.email, password: 'not the password' })
        .expect(401);
      expect(bad.body.code).toBe('invalid_credentials');
      expect(bad.headers['set-cookie']).toBeUndefined();
      const other = await request(app.url)
        .post('/api/v1/auth/session')
        .send({ email: m.email, password: m.password, tenant_id: randomUUID() })
        .expect(403);
      expect(other.body.code).toBe('no_tenant');
    });

    it('needs X-CSRF-Token matching the session on every cookie-authenticated write (403 csrf_failed)', async () => {
      const { cookie, csrf } = await signIn(m.email, m.password);
      const none = await request(app.url)
        .post('/api/v1/auth/tokens')
        .set('Cookie', cookie)
        .send({ name: 'x' })
        .expect(403);
      expect(none.body.code).toBe('csrf_failed');
      const wrong = await request(app.url)
        .post('/api/v1/auth/tokens')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', 'a'.repeat(csrf.length))
        .send({ name: 'x' })
        .expect(403);
      expect(wrong.body.code).toBe('csrf_failed');
      // The CSRF token of another session does not do either.
      const other = await signIn(m.email, m.password);
      await request(app.url)
        .post('/api/v1/auth/tokens')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', other.csrf)
        .send({ name: 'x' })
        .expect(403);
      await request(app.url)
        .post('/api/v1/auth/tokens')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .send({ name: 'console' })
        .expect(201);
      // Reads need no CSRF header.
      await request(app.url).get('/api/v1/auth/tokens').set('Cookie', cookie).expect(200);
    });

    it('ignores the cookie when an Authorization header is sent', async () => {
      const { cookie } = await signIn(m.email, m.password);
      const res = await request(app.url)
        .get('/api/v1/auth/me')
        .set('Cookie', cookie)
        .set('Authorization', 'Bearer not-a-token')
        .expect(401);
      expect(res.body.code).toBe('unauthenticated');
      const viaJwt = await request(app.url)
        .get('/api/v1/auth/me')
        .set('Cookie', cookie)
        .set(m.auth)
        .expect(200);
      expect(viaJwt.body.auth).toBe('jwt');
    });

    it('logout ends the session server-side and clears both cookies; the old cookie then gets 401', async () => {
      const { cookie, csrf } = await signIn(m.email, m.password);
      await request(app.url).delete('/api/v1/auth/session').set('Cookie', cookie).expect(403);
      const out = await request(app.url)
        .delete('/api/v1/auth/session')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .expect(204);
      const cleared = cookiesOf(out);
      expect(cleared.paymux_session.pair).toBe('paymux_session=');
      expect(cleared.paymux_csrf.pair).toBe('paymux_csrf=');
      const after = await request(app.url).get('/api/v1/auth/me').set('Cookie', cookie).expect(401);
      expect(after.body.code).toBe('unauthenticated');
    });

    it('ends the sessions of a disabled account', async () => {
      const victim = await newMerchant(app);
      const { cookie } = await signIn(victim.email, victim.password);
      const op = await signIn(adminEmail, adminPassword);
      await request(app.url)
        .post(`/api/v1/admin/users/${victim.userId}/disable`)
        .set('Cookie', op.cookie)
        .set('X-CSRF-Token', op.csrf)
        .expect(200);
      await request(app.url).get('/api/v1/auth/me').set('Cookie', cookie).expect(401);
      const live = await db(app).query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM console_sessions WHERE user_id = $1 AND revoked_at IS NULL',
        [victim.userId],
      );
      expect(live[0].n).toBe(0);
    });

    it('serves the console at /admin: index.html for any path (no-cache, strict CSP), assets with a long cache', async () => {
      const index = await request(app.url).get('/admin/orders/some-id').expect(200);
      expect(index.headers['content-type']).toMatch(/text\/html/);
      expect(index.headers['cache-control']).toBe('no-cache');
      const csp = String(index.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      const asset = /\/admin\/assets\/[^"]+\.js/.exec(index.text)?.[0];
      expect(asset).toBeDefined();
      const js = await request(app.url).get(String(asset)).expect(200);
      expect(js.headers['cache-control']).toMatch(/max-age=31536000.*immutable/);
      await request(app.url).get('/admin/assets/nope-123.js').expect(404);
    });
  });

  describeInBrowser('in a real browser', () => {
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let m: Merchant;
    let orderNo: string;
    let orderId: string;
    let requested: string[];
    let consoleErrors: string[];

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      // CI builds before testing (npm run build); a bare `npx jest` here builds the console once.
      if (!existsSync(join(ROOT, 'console/dist/index.html')))
        execFileSync('npm', ['run', '-s', '-w', 'console', 'build'], { cwd: ROOT, stdio: 'inherit' });
      browser = await chromium.launch({
        executablePath,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-sync',
        ],
      });
      // A merchant's order placed through the merchant API (so it has a merchant order_no), paid in the Sandbox.
      m = await newMerchant(app);
      const key = (await http(app).post('/api/v1/api-keys').set(m.auth).send({ name: 'server' }).expect(201))
        .body;
      orderNo = `Console${randomBytes(5).toString('hex')}`;
      const created = await signedRequest(app, key, 'POST', '/v1/payment', {
        order_no: orderNo,
        currency: 'USDT',
        amount: '25',
        chain_type: 'BSC',
        product_name: 'Console test',
        notify_url: 'https://merchant.example/notify',
        redirect_url: 'https://merchant.example/back',
      }).expect(200);
      orderId = created.body.data.id as string;
      const [{ pay_id }] = await db(app).query<{ pay_id: string }[]>(
        'SELECT pay_id FROM orders WHERE id = $1',
        [orderId],
      );
      await http(app)
        .post(`/api/v1/sandbox/payments/${pay_id}/complete`)
        .send({ outcome: 'succeeded' })
        .expect(200);
    });
    afterAll(async () => {
      await browser?.close();
    });

    const open = async (width: number): Promise<void> => {
      context = await browser.newContext({ viewport: { width, height: 900 } });
      page = await context.newPage();
      requested = [];
      consoleErrors = [];
      page.on('request', (r) => requested.push(r.url()));
      page.on('console', (msg) => {
        const at = msg.location().url;
        // A 4xx the page asked for and handles (e.g. /me before sign-in, a route another helper adds) is logged by Chromium.
        if (msg.type() === 'error' && !at.endsWith('/favicon.ico') && !/status of 4\d\d/.test(msg.text()))
          consoleErrors.push(`${msg.text()} @ ${at}`);
      });
      page.on('pageerror', (err) => consoleErrors.push(err.message));
    };
    afterEach(async () => {
      await context?.close();
    });
    const shot = (name: string): Promise<Buffer> =>
      page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
    const signInAs = async (email: string, password: string, next = '/admin/'): Promise<void> => {
      await page.goto(`${app.url}${next}`);
      await page.waitForURL(/\/admin\/login/);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('role').waitFor();
    };
    const expectOnlyOwnRequests = (): void => {
      expect(requested.length).toBeGreaterThan(0);
      expect(requested.filter((u) => !u.startsWith(`${app.url}/`))).toEqual([]);
    };

    it('an operator signs in, finds the order by its merchant order_no and opens its timeline', async () => {
      await open(1280);
      await page.goto(`${app.url}/admin/`);
      await page.waitForURL(/\/admin\/login/);
      await page.getByLabel('Email').waitFor();
      await shot('login');
      await signInAs(adminEmail, adminPassword, '/admin/orders');
      expect(await page.getByTestId('role').textContent()).toBe('operator');
      const nav = page.getByRole('navigation', { name: 'Main navigation' });
      for (const name of ['Orders', 'Tenants', 'Users', 'Audit log', 'FX rates'])
        await nav.getByRole('link', { name }).waitFor();
      // No token is readable by the page: only the CSRF cookie.
      const readable = await page.evaluate<string>('document.cookie');
      expect(readable).toMatch(/paymux_csrf=/);
      expect(readable).not.toMatch(/paymux_session/);

      await page.getByLabel('Search', { exact: true }).fill(orderNo);
      await page.getByRole('button', { name: 'Apply' }).click();
      const row = page.getByRole('row').filter({ hasText: orderNo });
      await row.waitFor();
      expect(await page.getByRole('row').count()).toBe(2); // the header and this order
      expect(await row.textContent()).toContain('25.000000 USDT');
      expect(await row.textContent()).toContain('Finished');
      await shot('orders');

      await row.getByRole('link').first().click();
      await page.waitForURL(`${app.url}/admin/orders/${orderId}`);
      await page.getByRole('heading', { name: /Order/ }).waitFor();
      await page.getByRole('region', { name: 'Transitions' }).getByText('Finished').first().waitFor();
      await page.getByRole('region', { name: 'Payment attempts' }).getByText('25.000000 USDT').waitFor();
      await page.getByRole('region', { name: 'Provider events' }).getByText('applied').waitFor();
      await page.getByRole('button', { name: 'Refund…' }).waitFor();
      await shot('timeline');
      expectOnlyOwnRequests();
      expect(consoleErrors).toEqual([]);
    });

    // Depends on POST /api/v1/admin/orders/:id/refunds (helper "orders", contracts.md "Order operations").
    it('refunds part of the order from the timeline and sees the refund and its audit entry', async () => {
      await open(1280);
      await signInAs(adminEmail, adminPassword, `/admin/orders/${orderId}`);
      await page.getByRole('button', { name: 'Refund…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(/Amount/).fill('10');
      await dialog.getByLabel('Reason').fill('customer asked (console test)');
      await shot('refund-dialog');
      await dialog.getByRole('button', { name: 'Refund', exact: true }).click();
      // Closes once the refund is accepted; a refusal stays in the dialog as an alert: fail with its text.
      const refused = dialog.getByRole('alert');
      const accepted = dialog.waitFor({ state: 'hidden' }).then(() => 'accepted' as const);
      const refusal = refused.waitFor().then(() => 'refused' as const);
      // The loser is left to time out or end with the page: not an unhandled rejection.
      accepted.catch(() => undefined);
      refusal.catch(() => undefined);
      if ((await Promise.race([accepted, refusal])) === 'refused')
        throw new Error(`the refund was refused: ${await refused.textContent()}`);
      const refunds = page.getByRole('region', { name: 'Refunds' });
      await refunds.getByText('10.000000 USDT').waitFor();
      await refunds.getByText('customer asked (console test)').waitFor();
      await page
        .getByRole('region', { name: 'Audit entries' })
        .getByText(/refund/)
        .first()
        .waitFor();
      await shot('timeline-refunded');
      const audit = await db(app).query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action LIKE 'refund%'`,
        [m.tenantId],
      );
      expect(audit[0].n).toBe(1);
      expect(consoleErrors).toEqual([]);
    });

    it('shows the orders page at 390 px with the navigation behind a burger', async () => {
      await open(390);
      await signInAs(adminEmail, adminPassword, '/admin/orders');
      await page.getByRole('heading', { name: 'Orders' }).waitFor();
      const burger = page.getByRole('button', { name: 'Toggle navigation' });
      expect(await burger.isVisible()).toBe(true);
      const tenantsLink = page
        .getByRole('navigation', { name: 'Main navigation' })
        .getByRole('link', { name: 'Tenants' });
      // The navigation is off-screen (Mantine slides it out) until the burger opens it.
      const onScreen = async (): Promise<boolean> => {
        const box = await tenantsLink.boundingBox();
        return box !== null && box.x >= 0 && box.x + box.width <= 390;
      };
      expect(await onScreen()).toBe(false);
      await page.getByRole('row').nth(1).waitFor();
      await shot('orders-390');
      await burger.click();
      for (let i = 0; i < 50 && !(await onScreen()); i++) await page.waitForTimeout(100);
      expect(await onScreen()).toBe(true);
      await tenantsLink.click();
      await page.waitForURL(`${app.url}/admin/tenants`);
      await shot('nav-390');
    });

    it('renders every operator page (screenshots), the tenant and user details, and logs out', async () => {
      await open(1280);
      await signInAs(adminEmail, adminPassword, '/admin/tenants');
      await page.getByRole('heading', { name: 'Tenants' }).waitFor();
      await page.getByRole('row').nth(1).waitFor();
      await shot('tenants');
      await page.goto(`${app.url}/admin/tenants/${m.tenantId}`);
      await page.getByRole('button', { name: 'Suspend…' }).waitFor();
      await page.getByRole('region', { name: 'Members' }).getByText(m.email).waitFor();
      await shot('tenant-detail');
      await page.goto(`${app.url}/admin/users?`);
      await page.getByRole('heading', { name: 'Users' }).waitFor();
      await page.getByRole('row').nth(1).waitFor();
      await shot('users');
      await page.goto(`${app.url}/admin/users/${m.userId}`);
      await page.getByRole('button', { name: 'Disable account' }).waitFor();
      await shot('user-detail');
      await page.goto(`${app.url}/admin/audit`);
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await page.getByRole('row').nth(1).waitFor();
      await shot('audit');
      await page.goto(`${app.url}/admin/fx`);
      await page.getByRole('heading', { name: 'FX rates' }).waitFor();
      await page.getByLabel(/^Rate/).waitFor();
      await shot('fx');
      await page.goto(`${app.url}/admin/attention`);
      await page.getByRole('heading', { name: 'Needs attention' }).waitFor();
      await page.getByRole('status').waitFor({ state: 'detached' });
      await shot('attention');
      await page.goto(`${app.url}/admin/dashboard`);
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await page.getByRole('status').waitFor({ state: 'detached' });
      await shot('dashboard');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/admin\/login/);
      await page.goto(`${app.url}/admin/orders`);
      await page.waitForURL(/\/admin\/login/);
      expect(consoleErrors).toEqual([]);
    });

    it('a member sees no operator pages and no refund or cancel buttons', async () => {
      const member = await newMember(app, m);
      const [{ email }] = await db(app).query<{ email: string }[]>('SELECT email FROM users WHERE id = $1', [
        member.userId,
      ]);
      await open(1280);
      await signInAs(email, 'member password 1', '/admin/orders');
      expect(await page.getByTestId('role').textContent()).toBe('member');
      const nav = page.getByRole('navigation', { name: 'Main navigation' });
      await nav.getByRole('link', { name: 'Orders' }).waitFor();
      for (const name of ['Tenants', 'Users', 'Audit log', 'FX rates'])
        expect(await nav.getByRole('link', { name }).count()).toBe(0);
      // The staff list sends the amount as a JSON number (25): shown at USDT's scale, not as "25".
      await page.getByRole('row').filter({ hasText: '25.000000 USDT' }).first().waitFor();
      await shot('orders-member');
      await page.goto(`${app.url}/admin/tenants`);
      await page.getByText('This page is for platform operators.').waitFor();
      // An owners-and-admins page refuses a member with its own reason, not the operators' one.
      await page.goto(`${app.url}/admin/api-keys`);
      await page.getByText("This page is for the tenant's owners and admins.").waitFor();
      expect(await page.getByText('This page is for platform operators.').count()).toBe(0);
      await page.goto(`${app.url}/admin/orders/${orderId}`);
      await page.getByRole('status').waitFor({ state: 'detached' });
      expect(await page.getByRole('button', { name: 'Refund…' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);
    });
  });
});
