// Loads a screen's code on first visit, so the first page a person opens stays small (issue #5:
// initial JavaScript ≤ 150 KB gzipped).
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import type { ScreenDef, ScreenProps } from '../routes.js';
import { ErrorNote } from '../ui/ErrorNote.js';

const loaded = new Map<string, ComponentType<ScreenProps>>();

export function ScreenHost({ screen, rest, params }: { screen: ScreenDef } & ScreenProps) {
  const [Component, setComponent] = useState<ComponentType<ScreenProps> | undefined>(() => loaded.get(screen.id));
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (loaded.has(screen.id)) return;
    screen.load().then(
      (m) => {
        loaded.set(screen.id, m.default);
        setComponent(() => m.default);
      },
      (err: unknown) => setError(new Error(t('error.screenLoad') + ` (${String(err)})`)),
    );
  }, [screen]);
  if (error) return <ErrorNote error={error} />;
  if (!Component) return <p class="muted">{t('app.loading')}</p>;
  return <Component rest={rest} params={params} />;
}
