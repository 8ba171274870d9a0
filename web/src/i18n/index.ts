// Vietnamese first, English on request (issue #5). One dictionary file per language; `en` must
// have every key of `vi` (the type checks it), so no screen can show a half-translated page.
import { createStore, useStore } from '../lib/store.js';
import { vi } from './vi.js';
import { en } from './en.js';

export type Key = keyof typeof vi;
export type Lang = 'vi' | 'en';
export type Dictionary = Record<Key, string>;

const dictionaries: Record<Lang, Dictionary> = { vi, en };
const STORAGE_KEY = 'loa.lang';

function initial(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

export const language = createStore<Lang>(initial());
document.documentElement.lang = language.get();

export function setLanguage(next: Lang) {
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // private mode: the choice lasts until the page is closed
  }
  document.documentElement.lang = next;
  language.set(next);
}

export type Params = Record<string, string | number>;

/** The sentence for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key: Key, params?: Params): string {
  const text = dictionaries[language.get()][key];
  return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
}

/** For keys built from server values (an outcome, a reason): the fallback when not in the dictionary. */
export function tOr(key: string, fallback: string): string {
  return has(key) ? t(key) : fallback;
}

export function has(key: string): key is Key {
  return key in vi;
}

/** Re-renders the component when the language changes. */
export function useLanguage(): Lang {
  return useStore(language);
}

/** The locale for Intl formatting of dates and numbers. */
export const locale = () => (language.get() === 'vi' ? 'vi-VN' : 'en-GB');
