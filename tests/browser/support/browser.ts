// Debian's Chromium driven by playwright-core: headless, a fresh profile per browser, and a
// screenshot per test under test-artifacts/ (git-ignored; CI keeps it as an artifact), with what
// the page said meanwhile (its console's warnings and errors, uncaught errors, failed requests and
// navigations) beside it, so a test that failed once on a loaded machine can be read afterwards.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts/browser');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function openBrowser(
  opts: {
    width?: number;
    height?: number;
    microphone?: boolean;
    /**
     * Host names that lead to this machine, so a page can be opened at an address the browser does
     * not trust as it trusts localhost: plain http there is an insecure context, as on a LAN address.
     */
    hosts?: string[];
  } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'loa-chromium-'));
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--lang=vi-VN',
  ];
  // A fake microphone (a beeping source) that needs no permission prompt: MediaRecorder gets real audio.
  if (opts.microphone) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream');
  if (opts.hosts?.length) args.push(`--host-resolver-rules=${opts.hosts.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  context.on('page', listen); // pages a test opens itself (a second tab)
  const page = context.pages()[0] ?? (await context.newPage());
  if (!pageLogs.has(page)) listen(page);
  // Generous: these run beside ffmpeg-heavy tests on two cores, where a first page load in a new
  // Chromium has been seen to take over 10 s. Waiting longer changes no assertion.
  page.setDefaultTimeout(20_000);
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's last lines of note, by page; written beside each screenshot. */
const pageLogs = new WeakMap<Page, string[]>();
const KEPT_LINES = 200;

function listen(page: Page): void {
  const lines: string[] = [];
  pageLogs.set(page, lines);
  const add = (line: string) => {
    lines.push(`${new Date().toISOString()} ${line}`);
    if (lines.length > KEPT_LINES) lines.shift();
  };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') add(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => add(`uncaught: ${err.stack ?? err.message}`));
  page.on('requestfailed', (r) => add(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) add(`response ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) add(`navigated: ${f.url()}`);
  });
}

/**
 * Saves a full-page PNG as test-artifacts/browser/<name>.png and returns its path; what the page
 * said since it opened (listen above) goes to <name>.log.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const base = join(ARTIFACTS, name.replace(/[^\p{L}\p{N}._-]+/gu, '-').slice(0, 120));
  writeFileSync(`${base}.log`, (pageLogs.get(page) ?? []).join('\n') + '\n');
  await page.screenshot({ path: `${base}.png`, fullPage: true });
  return `${base}.png`;
}
