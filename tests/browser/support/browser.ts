// Debian's Chromium driven by playwright-core: headless, a fresh profile per browser, and a
// screenshot per test under test-artifacts/ (git-ignored; CI keeps it as an artifact).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
  const page = context.pages()[0] ?? (await context.newPage());
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

/** Saves a full-page PNG as test-artifacts/browser/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name.replace(/[^\p{L}\p{N}._-]+/gu, '-').slice(0, 120)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
