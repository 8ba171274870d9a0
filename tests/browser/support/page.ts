// What a person does on the page, in the words the page shows (Vietnamese first).
import type { Page } from 'playwright-core';

export async function signIn(page: Page, base: string, account: { username: string; password: string }) {
  await page.goto(base + '/');
  await page.getByLabel('Tên đăng nhập').fill(account.username);
  await page.getByLabel('Mật khẩu').fill(account.password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByRole('navigation', { name: 'Mục chính' }).waitFor();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
}

/** Waits until the live feed is connected (the header says so). */
export async function waitLive(page: Page) {
  await page.getByRole('status').filter({ hasText: 'Trực tiếp' }).waitFor();
}
