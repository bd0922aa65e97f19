import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import request from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import { type Merchant, newMerchant, newOrder, startTestApp } from './helpers/app';

/**
 * The hosted checkout in a real (headless) Chromium: the page as a payer sees it, the Sandbox Pay
 * and Fail buttons, the status polling, the redirect back to the merchant, and no external asset.
 */
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(executablePath);
if (!hasChromium) {
  console.warn(
    `checkout browser tests skipped: no Chromium at ${executablePath} (install chromium or set CHROMIUM_PATH)`,
  );
}
const describeInBrowser = hasChromium ? describe : describe.skip;

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const COUNTDOWN = /^\d\d:\d\d$/;

/** A stand-in for the merchant's site: the page the payer is sent back to once paid. */
async function startThanksServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/thanks') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Merchant</title></head>' +
          '<body><h1>Thanks for paying</h1></body></html>',
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, server };
}

const seconds = (mmss: string): number => {
  const [m, s] = mmss.split(':').map(Number);
  return m * 60 + s;
};

const SUITE = 'hosted checkout in a real browser';

describeInBrowser(hasChromium ? SUITE : `${SUITE} (skipped: no Chromium at ${executablePath})`, () => {
  let app: RunningPaymux;
  let thanks: { origin: string; server: Server };
  let browser: Browser;
  let merchant: Merchant;
  let context: BrowserContext;
  let page: Page;
  let requested: string[];
  let consoleErrors: string[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startTestApp();
    thanks = await startThanksServer();
    browser = await chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (thanks) await new Promise<void>((resolve) => thanks.server.close(() => resolve()));
    await app?.close();
  });

  beforeEach(async () => {
    merchant = await newMerchant(app);
    context = await browser.newContext({ viewport: { width: 520, height: 760 } });
    page = await context.newPage();
    requested = [];
    consoleErrors = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (msg) => {
      // Chromium asks every origin for /favicon.ico on its own; neither server has one.
      const at = msg.location().url;
      if (msg.type() === 'error' && !at.endsWith('/favicon.ico')) consoleErrors.push(`${msg.text()} @ ${at}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
  });

  afterEach(async () => {
    await context?.close();
  });

  /** The order's pay_url, opened as the payer gets it: it must point at this running server. */
  const checkoutUrlOf = (order: Record<string, unknown>): string => {
    expect(order.pay_url).toBe(`${app.url}/checkout/${String(order.id)}`);
    return String(order.pay_url);
  };

  const getOrder = async (id: string): Promise<Record<string, unknown>> => {
    const res = await request(app.url).get(`/api/v1/orders/${id}`).set(merchant.auth).expect(200);
    return res.body as Record<string, unknown>;
  };

  /** Every request the page made went to the app or to the merchant's redirect target. */
  const expectNoExternalRequest = (): void => {
    expect(requested.length).toBeGreaterThan(0);
    const foreign = requested.filter(
      (u) => !u.startsWith(`${app.url}/`) && !u.startsWith(`${thanks.origin}/`),
    );
    expect(foreign).toEqual([]);
  };

  it('shows the order, pays it with the Sandbox button and redirects back to the merchant', async () => {
    const redirectUrl = `${thanks.origin}/thanks`;
    const order = await newOrder(app, merchant, { redirect_url: redirectUrl });
    const orderId = String(order.id);

    const opened = await page.goto(checkoutUrlOf(order));
    expect(opened?.status()).toBe(200);
    expect(opened?.headers()['content-security-policy']).toContain("default-src 'none'");

    await expect(page.getByTestId('amount').textContent()).resolves.toBe('49.99 USD');
    await expect(page.getByTestId('method').textContent()).resolves.toBe('Sandbox');
    const countdown = page.getByTestId('countdown');
    await page.locator('[data-testid=countdown]', { hasText: COUNTDOWN }).waitFor();
    const left = (await countdown.textContent()) ?? '';
    expect(left).toMatch(COUNTDOWN);
    expect(seconds(left)).toBeGreaterThan(0);
    await expect(page.locator('[data-testid=qr] svg').count()).resolves.toBe(1);
    expect(await page.locator('[data-testid=qr] svg').isVisible()).toBe(true);
    await expect(page.getByTestId('state').getAttribute('data-state')).resolves.toBe('Pending');
    await page.screenshot({ path: join(ARTIFACTS, 'checkout-1-open.png'), fullPage: true });

    // Hold the redirect until the "paid" screen is captured, so the screenshot cannot race the
    // page's 1.2 s redirect timer on a slow machine.
    let releaseRedirect = (): void => undefined;
    const redirectHeld = new Promise<void>((resolve) => (releaseRedirect = resolve));
    let redirectRequested = false;
    await page.route(redirectUrl, async (route: Route) => {
      redirectRequested = true;
      await redirectHeld;
      await route.continue();
    });

    await page.getByTestId('pay').click();
    const paid = page.locator(
      '[data-testid=state][data-state=Finished], [data-testid=state][data-state=Paid]',
    );
    await paid.waitFor();
    await expect(paid.textContent()).resolves.toBe('Paid');
    expect(await page.getByTestId('pay').isDisabled()).toBe(true);
    expect(await page.getByTestId('fail').isDisabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'checkout-2-paid.png'), fullPage: true });
    expect(page.url()).toBe(checkoutUrlOf(order));

    releaseRedirect();
    await page.waitForURL(redirectUrl);
    expect(redirectRequested).toBe(true);
    await page.getByText('Thanks for paying').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'checkout-3-redirected.png'), fullPage: true });

    const finished = await getOrder(orderId);
    expect(finished).toMatchObject({ state: 'Finished', remaining_amount: 500 });
    const application = await request(app.url)
      .get(`/api/v1/applications/${merchant.applicationId}`)
      .set(merchant.auth)
      .expect(200);
    expect(application.body.balance).toBe(500);

    expectNoExternalRequest();
    expect(requested).toContain(`${app.url}/checkout/${orderId}/status`);
    expect(consoleErrors).toEqual([]);
  });

  it('shows a failure when the Sandbox payment fails, leaves the order Pending and lets the payer retry', async () => {
    const order = await newOrder(app, merchant);
    const orderId = String(order.id);
    const checkoutUrl = checkoutUrlOf(order);

    const opened = await page.goto(checkoutUrl);
    expect(opened?.status()).toBe(200);
    await expect(page.getByTestId('state').getAttribute('data-state')).resolves.toBe('Pending');

    const completed = page.waitForResponse((r) =>
      r.url().endsWith(`/sandbox/payments/${String(order.pay_id)}/complete`),
    );
    await page.getByTestId('fail').click();
    const completion = await completed;
    expect(completion.status()).toBe(200);
    await expect(completion.json()).resolves.toMatchObject({ outcome: 'failed', delivered: true });

    const state = page.getByTestId('state');
    await page.locator('[data-testid=state]', { hasText: 'Payment failed' }).waitFor();
    await expect(state.getAttribute('class')).resolves.toContain('bad');
    // The page keeps saying so across a status poll (the order itself is still payable).
    await page.waitForResponse((r) => r.url() === `${app.url}/checkout/${orderId}/status`);
    await expect(state.textContent()).resolves.toContain('Payment failed');
    expect(await page.getByTestId('pay').isEnabled()).toBe(true);
    expect(page.url()).toBe(checkoutUrl);

    const pending = await getOrder(orderId);
    expect(pending.state).toBe('Pending');

    // "you can try again": a failed Sandbox charge is not final, Pay still settles the order.
    await page.getByTestId('pay').click();
    await page
      .locator('[data-testid=state][data-state=Finished], [data-testid=state][data-state=Paid]')
      .waitFor();
    await expect(state.textContent()).resolves.toBe('Paid');
    expect(page.url()).toBe(checkoutUrl);
    await expect(getOrder(orderId)).resolves.toMatchObject({ state: 'Finished', remaining_amount: 500 });

    expectNoExternalRequest();
    expect(consoleErrors).toEqual([]);
  });
});
