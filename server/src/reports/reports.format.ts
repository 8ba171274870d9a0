// Report output for people: CSV that Excel opens with Vietnamese intact (UTF-8 with a BOM), and a
// printable page (one commune per page) for the monthly report.
import { toZoned } from '@loa/shared';
import type { ReportsService } from './reports.service.js';

type Report = ReturnType<ReportsService['report']>;

const HEAD_VI = [
  'Nhóm',
  'Số lần theo lịch',
  'Phút theo lịch',
  'Số lần đã phát',
  'Phút đã phát',
  'Lỗi',
  'Bỏ qua',
  'Từ chối',
  'Lý do',
  'Cụm loa lỡ khung giờ',
];

const OUTCOME_VI: Record<string, string> = {
  failed: 'Lỗi',
  skipped: 'Bỏ qua',
  refused: 'Từ chối',
  'no report': 'Cụm loa không báo về',
};

/** 'failed: ALSA busy' → 'Lỗi: ALSA busy' (the detail stays as the unit wrote it). */
function reasonVi(key: string): string {
  const [outcome, ...rest] = key.split(': ');
  return `${OUTCOME_VI[outcome!] ?? outcome}${rest.length ? `: ${rest.join(': ')}` : ''}`;
}

/** Up to this many missed windows of one unit are named; past it, counted (a dead unit in a month). */
const NAMED_WINDOWS = 3;

/** 'Cụm B (2026-11-03 17:00–19:00), Cụm C (12 khung giờ)': who missed which window. */
function missedText(r: Report['rows'][number], sep: string): string {
  return r.missedUnits
    .map((unit) => {
      const windows = r.missedWindows.filter((w) => w.unit === unit).map((w) => w.window);
      return `${unit} (${windows.length > NAMED_WINDOWS ? `${windows.length} khung giờ` : windows.join(', ')})`;
    })
    .join(sep);
}

function csvCell(v: string | number): string {
  const s = String(v);
  // Quote everything that needs it; neutralise formula injection (a title starting with =, +, -, @).
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n;]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(report: Report): string {
  const lines = [HEAD_VI.map(csvCell).join(',')];
  for (const r of report.rows) {
    lines.push(
      [
        r.label,
        r.plannedCount,
        r.plannedMinutes,
        r.airedCount,
        r.airedMinutes,
        r.failedCount,
        r.skippedCount,
        r.refusedCount,
        Object.entries(r.reasons)
          .map(([k, n]) => `${reasonVi(k)} ×${n}`)
          .join('; '),
        missedText(r, '; '),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function toHtml(reports: Report[], title: string): string {
  const pages = reports.map((rep) => {
    const body = rep.rows
      .map(
        (r) =>
          `<tr><td>${esc(r.label)}</td><td>${r.plannedCount}</td><td>${r.plannedMinutes}</td><td>${r.airedCount}</td><td>${r.airedMinutes}</td>` +
          `<td>${r.plannedCount - r.airedCount}</td><td>${esc(
            Object.entries(r.reasons)
              .map(([k, n]) => `${reasonVi(k)} ×${n}`)
              .join('; '),
          )}</td>` +
          `<td>${esc(missedText(r, '; '))}</td></tr>`,
      )
      .join('');
    return `<section class="page"><h1>${esc(title)}</h1><h2>${esc(rep.commune.name)}</h2>
<p>${esc(toZoned(rep.from, rep.commune.timeZone).date)} – ${esc(toZoned(rep.to - 1, rep.commune.timeZone).date)} (${esc(rep.commune.timeZone)})</p>
<table><thead><tr><th>Nhóm</th><th>Lần theo lịch</th><th>Phút theo lịch</th><th>Lần đã phát</th><th>Phút đã phát</th><th>Không phát</th><th>Lý do</th><th>Cụm loa lỡ khung giờ</th></tr></thead>
<tbody>${body || '<tr><td colspan="8">Không có bản tin nào theo lịch trong kỳ này.</td></tr>'}</tbody></table>
<p class="sign">Người lập báo cáo (ký, ghi rõ họ tên) &nbsp;&nbsp;&nbsp;&nbsp;&nbsp; Lãnh đạo duyệt (ký, ghi rõ họ tên)</p></section>`;
  });
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>${esc(title)}</title><style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left}th{background:#eee}.sign{margin-top:3rem}
@media print{body{margin:0}.page{page-break-after:always}.page:last-child{page-break-after:auto}}
</style></head><body>${pages.join('\n')}</body></html>`;
}
