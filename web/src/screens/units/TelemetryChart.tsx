// A unit's health over the last 24 hours or 7 days (issue #9: telemetry history charted on the unit
// page): temperature, load, disk free and clock offset, one small chart each, in plain SVG — no
// chart library, so the unit page stays within the initial-JS budget and draws fast on a phone.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import type { Key } from '../../i18n/index.js';
import { query } from '../../lib/api.js';
import { bytes, clock, day } from '../../lib/format.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import './telemetry-chart.css';
import { gapOf, H, merged, pathOf, RAW_MS, scale, series, W, type History, type Metric } from './telemetry-series.js';

const METRICS: ReadonlyArray<{ key: Metric; label: Key; format: (v: number) => string; color: string }> = [
  { key: 'cpuTempC', label: 'unit.cpuTemp', format: (v) => `${v.toFixed(0)} °C`, color: '#a3161a' },
  { key: 'load1', label: 'unit.load', format: (v) => v.toFixed(2), color: '#1f5fa8' },
  { key: 'diskFreeBytes', label: 'unit.diskFree', format: (v) => bytes(Math.round(v)), color: '#2c6e2f' },
  { key: 'clockOffsetMs', label: 'unit.clockOffset', format: (v) => `${v.toFixed(0)} ms`, color: '#6e4300' },
];
const RANGES = { '24h': 24 * 3600_000, '7d': 7 * 86_400_000 } as const;
type Range = keyof typeof RANGES;
function Chart({ m, h, range, tz }: { m: (typeof METRICS)[number]; h: History; range: Range; tz: string }) {
  const pts = series(h.points, m.key, h.from, h.to);
  const values = pts.map(([, v]) => v);
  const label = t(m.label);
  if (pts.length === 0)
    return (
      <figure class="tchart" data-metric={m.key}>
        <figcaption>
          <strong>{label}</strong> <span class="muted">—</span>
        </figcaption>
      </figure>
    );
  const min = Math.min(...values);
  const max = Math.max(...values);
  const latest = m.format(values[values.length - 1]!);
  const gapMs = gapOf(h);
  const summary = `${label}: ${t('telemetry.latest', { value: latest })}; ${t('telemetry.range.values', {
    min: m.format(min),
    max: m.format(max),
  })}`;
  const sc = scale(h.from, h.to, min, max);
  const [lastAt, lastV] = pts[pts.length - 1]!;
  const lastX = sc.x(lastAt);
  const lastY = sc.y(lastV);
  const tick = (ms: number) => (range === '24h' ? `${day(ms, tz)} ${clock(ms, tz)}` : day(ms, tz));
  return (
    <figure class="tchart" data-metric={m.key}>
      <figcaption>
        <strong>{label}</strong> <span>{t('telemetry.latest', { value: latest })}</span>
        <span class="muted"> · {t('telemetry.range.values', { min: m.format(min), max: m.format(max) })}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
        <path
          d={pathOf(pts, h.from, h.to, min, max, gapMs)}
          fill="none"
          stroke={m.color}
          stroke-width="1.5"
          vector-effect="non-scaling-stroke"
        />
        {/* The latest report as a dot: a lone sample is seen too (round caps keep it round when stretched). */}
        <path
          d={`M${lastX.toFixed(1)},${lastY.toFixed(1)}h0`}
          stroke={m.color}
          stroke-width="6"
          stroke-linecap="round"
          vector-effect="non-scaling-stroke"
        />
      </svg>
      <div class="tchart-axis muted" aria-hidden="true">
        <span>{tick(h.from)}</span>
        <span>{tick(h.to)}</span>
      </div>
    </figure>
  );
}

export function TelemetryChart({ unitId, timeZone }: { unitId: string; timeZone: string }) {
  const [range, setRange] = useState<Range>('24h');
  // The period's end is fixed until new figures arrive, so the path (and the request) is stable.
  const [anchor, setAnchor] = useState(() => Date.now());
  useEffect(() => setAnchor(Date.now()), [range]);
  const base = `/api/units/${encodeURIComponent(unitId)}/telemetry`;
  const from = anchor - RANGES[range];
  const to = anchor + 1;
  // 24 h: the raw samples. 7 days: the 5-minute averages, and the raw samples of the last 48 h
  // for the buckets not averaged yet (the server averages complete buckets every 5 minutes).
  const main = useApi<History>(`${base}${query({ from, to, resolution: range === '24h' ? 'raw' : '5m' })}`);
  const recent = useApi<History>(
    range === '7d' ? `${base}${query({ from: anchor - RAW_MS, to, resolution: 'raw' })}` : null,
  );
  // A unit reports every 30 s: follow it, at most every 15 s (the last report is never dropped).
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  useLiveReload(
    ['unit-telemetry'],
    () => {
      clearTimeout(timer.current);
      const wait = Math.max(0, last.current + 15_000 - Date.now());
      timer.current = setTimeout(() => {
        last.current = Date.now();
        setAnchor(Date.now());
      }, wait);
    },
    (msg) => msg.unitId === unitId,
  );
  const h = { error: main.error ?? recent.error, loading: main.loading || recent.loading };
  const data = merged(main.data, range === '7d' ? recent.data : undefined);
  const empty = data && !METRICS.some((m) => data.points.some((p) => typeof p[m.key] === 'number'));
  return (
    <section class="card stack" aria-labelledby="telemetry-title">
      <div class="row between">
        <h2 id="telemetry-title">{t('telemetry.title')}</h2>
        <div class="segmented" role="radiogroup" aria-label={t('telemetry.range')}>
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <label key={r}>
              <input
                type="radio"
                name={`telemetry-range-${unitId}`}
                checked={range === r}
                onChange={() => setRange(r)}
              />
              {t(r === '24h' ? 'telemetry.24h' : 'telemetry.7d')}
            </label>
          ))}
        </div>
      </div>
      <ErrorNote error={h.error} />
      {h.loading && !data && <p class="muted">{t('app.loading')}</p>}
      {empty && <p class="muted">{t('telemetry.none')}</p>}
      {data && !empty && (
        <div class="tcharts">
          {METRICS.map((m) => (
            <Chart key={m.key} m={m} h={data} range={range} tz={timeZone} />
          ))}
        </div>
      )}
    </section>
  );
}
