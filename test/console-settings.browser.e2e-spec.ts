import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import type { RunningPaymux } from '../src/bootstrap';
import { http, type Merchant, newMerchant, paidOrderId, signedRequest, startTestApp } from './helpers/app';
import {
  describeInBrowser,
  ensureConsoleBuilt,
  launchBrowser,
  openConsolePage,
  screenshot,
  signIn,
  signInOnForm,
  type ConsolePage,
} from './helpers/console-browser';

/**
 * The console's merchant-settings pages in a real Chromium: invitations end to end (an owner invites,
 * the new member accepts in the browser, signs in and is offered no refund), the provider account
 * form's field error, an API key's secret shown once; and a screenshot of every settings page.
 */
describeInBrowser('console settings pages in a real browser', () => {
  let app: RunningPaymux;
  let browser: Browser;
  let owner: Merchant;
  let orderId: string;
  const opened: ConsolePage[] = [];

  const open = async (width?: number): Promise<ConsolePage> => {
    const p = await openConsolePage(browser, width);
    opened.push(p);
    return p;
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    app = await startTestApp({ LOGIN_RATE_LIMIT: '1000' });
    browser = await launchBrowser();
    owner = await newMerchant(app);
    orderId = await paidOrderId(app, owner);
  });

  afterEach(async () => {
    for (const p of opened.splice(0)) await p.context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('an owner invites a member, who accepts with a new account, signs in, sees orders and is offered no refund', async () => {
    const { page: ownerPage, errors } = await open();
    await signIn(ownerPage, app.url, owner.email, owner.password);
    await ownerPage.getByRole('link', { name: 'Members' }).click();
    await ownerPage.getByRole('table', { name: 'Members' }).getByText(owner.email).waitFor();

    const email = `invited-${randomUUID()}@example.test`;
    const invite = ownerPage.getByRole('form', { name: 'Invite a member' });
    await invite.getByLabel('Email').fill(email);
    await invite.getByRole('button', { name: 'Invite' }).click();
    const link = ownerPage.getByTestId('copy-value-invitation-link');
    await link.waitFor();
    const acceptUrl = (await link.textContent()) ?? '';
    expect(acceptUrl).toMatch(/\/admin\/accept-invite\?token=[A-Za-z0-9_-]{43}$/);
    await expect(ownerPage.getByRole('button', { name: 'Copy' }).count()).resolves.toBe(1);
    await ownerPage.getByTestId(`invitation-${email}`).getByText('pending').waitFor();
    await screenshot(ownerPage, 'members');
    expect(errors).toEqual([]);

    // The invited person, in their own browser: the link, a new password, then the sign-in.
    const { page, errors: memberErrors } = await open();
    await page.goto(acceptUrl.replace(/^https?:\/\/[^/]+/, app.url));
    await page.getByRole('heading', { name: /^Join / }).waitFor();
    await page.getByText('invited as member').waitFor();
    await screenshot(page, 'accept-invite');
    const password = 'invited member pw 1';
    await page.getByLabel('Your name').fill('Invited Member');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
    await page.getByRole('textbox', { name: 'Repeat the password', exact: true }).fill(password);
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.getByText('You are now member of').waitFor();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/login/);
    await signInOnForm(page, email, password);
    await expect(page.getByTestId('role').textContent()).resolves.toBe('member');

    // A member sees orders and members, not the API keys page, and no management buttons.
    await expect(page.getByRole('link', { name: 'API keys' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('table', { name: 'Members' }).getByText(email).waitFor();
    await expect(page.getByRole('form', { name: 'Invite a member' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /^Remove / }).count()).resolves.toBe(0);

    // The member sees the tenant's orders.
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByRole('link', { name: orderId.slice(0, 8), exact: true }).waitFor();
    expect(memberErrors).toEqual([]);

    // And the API refuses the member's refund, whatever the page offers.
    const login = await http(app).post('/api/v1/auth/login').send({ email, password }).expect(200);
    const refused = await http(app)
      .post(`/api/v1/orders/${orderId}/refunds`)
      .set({ authorization: `Bearer ${login.body.access_token as string}` })
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1.00', reason: 'member tries' });
    expect(refused.status).toBe(403);

    // On the order's page the owner is offered a refund (so its absence for the member means something);
    // the page needs the staff timeline route (GET /api/v1/orders/:id/timeline, helper "orders").
    await ownerPage.goto(`${app.url}/admin/orders/${orderId}`);
    await ownerPage.getByText(orderId).first().waitFor();
    await ownerPage
      .getByRole('button', { name: /refund/i })
      .first()
      .waitFor();
    await page.goto(`${app.url}/admin/orders/${orderId}`);
    await page.getByText(orderId).first().waitFor();
    await page.waitForLoadState('networkidle');
    await expect(page.getByRole('button', { name: /refund/i }).count()).resolves.toBe(0);
  });

  it('the provider account form shows the API refusal on the bad field, then saves with secrets write-only', async () => {
    const { page, errors } = await open();
    await signIn(page, app.url, owner.email, owner.password);
    await page.getByRole('link', { name: 'Provider accounts' }).click();
    const tokenpay = page.getByTestId('provider-tokenpay');
    await tokenpay.getByRole('button', { name: 'TokenPay account' }).click();
    const form = tokenpay.getByRole('form', { name: 'TokenPay account' });
    await form.getByLabel('App id').fill('tp-app');
    await form.getByLabel('Mch id').fill('tp-merchant');
    const secret = form.getByLabel('App secret');
    await secret.fill('not-32-bytes');
    await form.getByRole('button', { name: 'Save TokenPay account' }).click();

    await tokenpay.locator('input[name=app_secret][aria-invalid=true]').waitFor();
    await form.getByText('must be exactly 32 bytes').waitFor();
    await expect(form.getByLabel('App id').getAttribute('aria-invalid')).resolves.not.toBe('true');
    await screenshot(page, 'providers');

    const good = 'k'.repeat(32);
    await secret.fill(good);
    await form.getByRole('button', { name: 'Save TokenPay account' }).click();
    await tokenpay.getByText('enabled', { exact: true }).waitFor();
    await form.getByText('configured', { exact: true }).waitFor();
    await expect(secret.inputValue()).resolves.toBe('');
    await expect(page.content()).resolves.not.toContain(good);
    const stored = await http(app).get('/api/v1/providers').set(owner.auth).expect(200);
    expect(stored.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          provider: 'tokenpay',
          credentials: expect.objectContaining({ app_secret: '••••' }),
        }),
      ]),
    );
    expect(errors).toEqual([]);
  });

  it("shows an API key's secret once, with a copy button, and never again", async () => {
    const { page, errors } = await open();
    await signIn(page, app.url, owner.email, owner.password);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const name = `shop backend ${randomUUID().slice(0, 8)}`;
    await page.getByRole('dialog').getByLabel('Name').fill(name);
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();

    const shown = page.getByRole('dialog', { name: /copy its secret/ });
    await shown.waitFor();
    const secret = (await shown.getByTestId('copy-value-secret').textContent()) ?? '';
    const keyId = (await shown.getByTestId('copy-value-key-id').textContent()) ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(await shown.getByRole('button', { name: 'Copy' }).count()).toBe(2);
    await screenshot(page, 'api-keys-created');

    // The secret shown is the key's real secret: a signed merchant request with it is accepted.
    await signedRequest(
      app,
      { key_id: keyId, secret },
      'GET',
      `/v1/payment/no-such-order-${randomUUID()}`,
    ).expect((res) => expect(res.status).not.toBe(401));

    await shown.getByRole('button', { name: 'I have stored the secret' }).click();
    await shown.waitFor({ state: 'detached' });
    await page.getByTestId(`api-key-${keyId}`).waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.getByTestId(`api-key-${keyId}`).getByText('active').waitFor();
    expect(await page.content()).not.toContain(secret);

    // Revoke asks first.
    await page.getByRole('button', { name: `Revoke ${name}` }).click();
    await page
      .getByRole('dialog', { name: `Revoke ${name}?` })
      .getByRole('button', { name: 'Revoke key' })
      .click();
    await page.getByTestId(`api-key-${keyId}`).getByText('revoked').waitFor();
    await screenshot(page, 'api-keys');
    expect(errors).toEqual([]);
  });

  it('renders the other settings pages (screenshots at 1280 px, one page at 390 px)', async () => {
    const { page, errors } = await open();
    await signIn(page, app.url, owner.email, owner.password);

    await page.getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('table', { name: 'Applications' }).getByText('500 credits').waitFor();
    await screenshot(page, 'applications');
    await page.getByRole('link', { name: 'App', exact: true }).click();
    await page.getByRole('table', { name: 'Ledger' }).getByText('credit', { exact: true }).waitFor();
    await expect(page.getByTestId('application-balance').textContent()).resolves.toBe('500 credits');
    await screenshot(page, 'application-ledger');

    await page.getByRole('link', { name: 'Packages' }).click();
    await page.getByRole('table', { name: 'Packages' }).getByText('49.99 USD').waitFor();
    await page.getByRole('button', { name: 'New package' }).click();
    const dialog = page.getByRole('dialog', { name: 'New package' });
    const pkgName = `pkg ${randomUUID().slice(0, 8)}`;
    await dialog.getByLabel('Name').fill(pkgName);
    await dialog.getByLabel('Credits').fill('1000');
    await dialog.getByLabel('Price').fill('89.90');
    await dialog.getByRole('button', { name: 'Save' }).click();
    // Shown at the currency's scale, from the exact text sent (the API answers the number 89.9).
    await page
      .getByRole('row', { name: new RegExp(pkgName) })
      .getByText('89.90 USD', { exact: true })
      .waitFor();
    await screenshot(page, 'packages');

    await page.getByRole('link', { name: 'Webhooks' }).click();
    const url = page.getByLabel('Webhook URL');
    await url.fill('https://127.0.0.1/hook');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('must not point to a private or loopback address').waitFor();
    await expect(url.getAttribute('aria-invalid')).resolves.toBe('true');
    await url.fill('https://shop.example/paymux-webhook');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Webhook settings saved').waitFor();
    await page.getByLabel('Order id').fill(orderId);
    await page.getByRole('button', { name: 'Show deliveries' }).click();
    await page
      .getByText(/No notifications for this order|order\.paid|attempt/)
      .first()
      .waitFor();
    await screenshot(page, 'webhooks');

    const { page: mobile } = await open(390);
    await signIn(mobile, app.url, owner.email, owner.password);
    await mobile.goto(`${app.url}/admin/members`);
    await mobile.getByRole('table', { name: 'Members' }).getByText(owner.email).waitFor();
    await screenshot(mobile, 'members-390');

    const { page: reset } = await open();
    await reset.goto(`${app.url}/admin/reset-password?token=not-a-real-token`);
    await reset.getByRole('textbox', { name: 'New password', exact: true }).fill('a new password 1');
    await reset
      .getByRole('textbox', { name: 'Repeat the new password', exact: true })
      .fill('a new password 1');
    await reset.getByRole('button', { name: 'Set password' }).click();
    await reset.getByText('This reset link is unknown, expired or already used').waitFor();
    await screenshot(reset, 'reset-password');
    expect(errors).toEqual([]);
  });
});
