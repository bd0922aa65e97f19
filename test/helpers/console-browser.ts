import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * The console in a real (headless) Chromium: launch, build the console once if console/dist is missing,
 * sign in through the login page, screenshots into test-artifacts/. Shared by the console browser suites.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const ROOT = join(__dirname, '..', '..');

/** describe, or describe.skip with a warning when there is no Chromium. */
export function describeInBrowser(name: string, fn: () => void): void {
  if (!hasChromium) {
    console.warn(`${name}: skipped, no Chromium at ${CHROMIUM} (install chromium or set CHROMIUM_PATH)`);
    describe.skip(`${name} (skipped: no Chromium at ${CHROMIUM})`, fn);
    return;
  }
  describe(name, fn);
}

/** console/dist exists after `npm run build`; a bare checkout builds the console here once. */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(ROOT, 'console', 'dist', 'index.html'))) return;
  execFileSync('npm', ['run', '-s', '-w', 'console', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
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
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (the favicon request excepted). */
  errors: string[];
}

export async function openConsolePage(browser: Browser, width = 1280, height = 900): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    const at = msg.location().url;
    // A refused API call is logged by Chromium as a failed resource; the page shows it itself.
    if (msg.type() === 'error' && !at.endsWith('/favicon.ico') && !/status of [45]\d\d/.test(msg.text()))
      errors.push(`${msg.text()} @ ${at}`);
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

/** Sign in through /admin/login and wait for the shell. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/login`);
  await signInOnForm(page, email, password);
}

/** Fill the sign-in form already on the page. */
export async function signInOnForm(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Attached, not visible: the header hides the email below the xs breakpoint.
  await page.getByTestId('whoami').filter({ hasText: email }).waitFor({ state: 'attached' });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  // From the top: a full-page capture of a scrolled page draws the fixed header where it scrolled to.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
}
