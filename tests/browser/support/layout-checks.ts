// What issue #5's quality bars ask of every screen, measured in the page: no sideways scrolling,
// and text with readable contrast (WCAG AA).
import type { Page } from 'playwright-core';

/** How wide the page is against the window: wider means the person scrolls sideways. */
export function widths(page: Page) {
  return page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
}

/** Text whose contrast against the background behind it is under WCAG AA (4.5:1, 3:1 when large). */
export function lowContrast(page: Page) {
  return page.evaluate(() => {
    const rgba = (s: string): number[] => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = (rgb: number[]) => {
      const f = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(rgb[0] ?? 0) + 0.7152 * f(rgb[1] ?? 0) + 0.0722 * f(rgb[2] ?? 0);
    };
    /** The first opaque background behind an element (every colour here is opaque or transparent). */
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgba(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c[3] ?? 1) === 1) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      const rect = el.getBoundingClientRect();
      if (!own || rect.width === 0 || el.closest('.sr-only, [aria-hidden="true"], option')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || Number(style.opacity) < 1 || (el as HTMLButtonElement).disabled) continue;
      const a = lum(rgba(style.color));
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        bad.push(`${el.tagName}.${el.className} "${el.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
    return bad;
  });
}
