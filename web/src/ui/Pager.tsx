import { t } from '../i18n/index.js';

/** Previous/next over pages of a long list (a unit table of thousands stays light: issue #5). */
export function Pager({
  page,
  pages,
  total,
  onPage,
}: {
  page: number;
  pages: number;
  total: number;
  onPage: (p: number) => void;
}) {
  if (pages <= 1) return <p class="muted">{t('pager.total', { n: total })}</p>;
  return (
    <nav class="pager" aria-label={t('pager.label')}>
      <button type="button" disabled={page <= 0} onClick={() => onPage(page - 1)}>
        ‹ {t('pager.previous')}
      </button>
      <span aria-live="polite">{t('pager.status', { page: page + 1, pages, n: total })}</span>
      <button type="button" disabled={page >= pages - 1} onClick={() => onPage(page + 1)}>
        {t('pager.next')} ›
      </button>
    </nav>
  );
}
