import { t, type Key } from '../i18n/index.js';
import type { BulletinState, Level } from '../lib/types.js';

export function OnlineBadge({ online }: { online: boolean }) {
  return <span class={`badge ${online ? 'ok' : 'bad'}`}>{online ? t('unit.online') : t('unit.offline')}</span>;
}

export function LevelBadge({ level }: { level: Level }) {
  return <span class={`badge level-${level}`}>{t(`level.${level}` as Key)}</span>;
}

const STATE_CLASS: Record<BulletinState, string> = {
  draft: '',
  submitted: 'warn',
  approved: 'ok',
  on_air: 'ok',
  expired: '',
  withdrawn: '',
  rejected: 'bad',
};

export function StateBadge({ state }: { state: BulletinState }) {
  return <span class={`badge ${STATE_CLASS[state] ?? ''}`}>{t(`state.${state}` as Key)}</span>;
}
