// API errors in words that tell the operator what to do (issue #5): the server's `error` code maps
// to a sentence of the dictionary; the server's own English message (which names the window, the
// unit, the time…) is kept as the detail, and is the whole text when the code is not known here.
import { ApiError } from './api.js';
import { has, language, t } from '../i18n/index.js';

/** A problem found in the page itself, already in the person's words (no server detail). */
export class UserError extends Error {}

export interface Explained {
  text: string;
  /** The server's precise English message, shown beside the Vietnamese sentence. */
  detail?: string;
  field?: string;
}

export function explain(err: unknown): Explained {
  if (err instanceof UserError) return { text: err.message };
  if (!(err instanceof ApiError)) {
    return { text: t('error.unexpected'), detail: err instanceof Error ? err.message : String(err) };
  }
  const key = `error.${err.code}`;
  const field = err.field;
  const english = language.get() === 'en';
  if (has(key)) {
    const text = t(key);
    if (err.code === 'network' || !err.message) return { text, field };
    // In English the server's sentence is already the precise one.
    if (english) return { text: err.message, field };
    return { text, detail: err.message, field };
  }
  if (err.status === 403) return { text: t('error.forbidden'), detail: err.message, field };
  if (err.status >= 500) return { text: t('error.internal'), detail: err.message, field };
  return english ? { text: err.message, field } : { text: t('error.refused'), detail: err.message, field };
}
