// Commands to one unit (DESIGN §6): volume, mute, test tone, resync. Each is sent signed by the
// server; what the unit answered (acknowledged, failed, expired) shows here as it arrives.
import { useState } from 'preact/hooks';
import { t, type Key } from '../../i18n/index.js';
import { api, query } from '../../lib/api.js';
import { clock } from '../../lib/format.js';
import { useApi, useLiveReload } from '../../lib/use-api.js';
import type { Command, CommandType, Unit } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';

const STATE_CLASS: Record<Command['state'], string> = { pending: 'warn', acked: 'ok', failed: 'bad', expired: 'bad' };

function describe(c: Command): string {
  const args = c.args ?? {};
  if (c.type === 'volume') return t('command.volumeTo', { n: String(args.volume) });
  if (c.type === 'test-tone' && args.seconds) return t('command.toneFor', { n: String(args.seconds) });
  return t(`command.${c.type}` as Key);
}

export function Commands({ unit, timeZone }: { unit: Unit; timeZone: string }) {
  const path = `/api/units/${encodeURIComponent(unit.id)}/commands`;
  const list = useApi<{ commands: Command[] }>(`${path}${query({ limit: 10 })}`);
  useLiveReload(['command-ack'], list.reload, (m) => m.unitId === unit.id);
  const [volume, setVolume] = useState(unit.telemetry?.volume ?? 80);
  const [seconds, setSeconds] = useState(5);
  const { busy, error, run } = useAction();
  const [sent, setSent] = useState<Command[]>([]);

  const send = (type: CommandType, args?: Record<string, unknown>) =>
    void run(async () => {
      const cmd = await api.post<Command>(path, { type, ...(args ? { args } : {}) });
      setSent((s) => [{ ...cmd, args: args ?? {}, issuedAt: cmd.issuedAt ?? Date.now() }, ...s]);
      list.reload();
    });

  const fetched = list.data?.commands ?? [];
  const known = new Set(fetched.map((c) => c.id));
  const commands = [...sent.filter((c) => !known.has(c.id)), ...fetched].slice(0, 10);
  const muted = unit.telemetry?.muted === true;

  return (
    <section class="card stack" aria-labelledby="commands-title">
      <h2 id="commands-title">{t('command.title')}</h2>
      {!unit.online && <p class="note">{t('command.offlineNote')}</p>}
      <div class="row">
        <label>
          {t('unit.volume')}: <output>{volume}</output>
          <input
            type="range"
            aria-label={t('unit.volume')}
            min={0}
            max={100}
            value={volume}
            onInput={(e) => setVolume(Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <button type="button" disabled={busy} onClick={() => send('volume', { volume })}>
          {t('command.setVolume')}
        </button>
      </div>
      <div class="row">
        <button type="button" disabled={busy} onClick={() => send(muted ? 'unmute' : 'mute')}>
          {muted ? t('command.unmute') : t('command.mute')}
        </button>
        <label class="inline">
          {t('command.seconds')}
          <input
            type="number"
            min={1}
            max={60}
            value={seconds}
            class="narrow"
            onInput={(e) => setSeconds(Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <button type="button" disabled={busy} onClick={() => send('test-tone', { seconds })}>
          {t('command.test-tone')}
        </button>
        <button type="button" disabled={busy} onClick={() => send('resync')}>
          {t('command.resync')}
        </button>
      </div>
      <ErrorNote error={error} />
      <h3>{t('command.recent')}</h3>
      <ErrorNote error={list.error} />
      {commands.length === 0 && !list.error && <p class="muted">{t('command.none')}</p>}
      <ul class="plain" aria-live="polite">
        {commands.map((c) => (
          <li key={c.id} data-command={c.id}>
            <time>{clock(c.issuedAt, timeZone, true)}</time> {describe(c)}{' '}
            <span class={`badge ${STATE_CLASS[c.state]}`}>{t(`command.state.${c.state}`)}</span>
            {c.ackedAt && <span class="muted"> {clock(c.ackedAt, timeZone, true)}</span>}
            {c.error && <span class="detail"> {c.error}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
