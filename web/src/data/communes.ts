// The communes the person may see, and the one the screens are showing (remembered per browser).
import { api, type ApiError } from '../lib/api.js';
import { createStore, useStore } from '../lib/store.js';
import type { Commune } from '../lib/types.js';

interface CommunesState {
  list: Commune[];
  loaded: boolean;
  error?: ApiError;
  selectedId: string | null;
}

const KEY = 'loa.commune';
const remembered = () => {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
};

export const communesStore = createStore<CommunesState>({ list: [], loaded: false, selectedId: remembered() });

export async function reloadCommunes(): Promise<void> {
  try {
    const { communes } = await api.get<{ communes: Commune[] }>('/api/communes');
    communesStore.update((s) => ({
      list: communes,
      loaded: true,
      selectedId: communes.some((c) => c.id === s.selectedId) ? s.selectedId : (communes[0]?.id ?? null),
    }));
  } catch (error) {
    communesStore.update((s) => ({ ...s, loaded: true, error: error as ApiError }));
  }
}

export function selectCommune(id: string) {
  try {
    localStorage.setItem(KEY, id);
  } catch {
    // private mode
  }
  communesStore.update((s) => ({ ...s, selectedId: id }));
}

/** Replaces one commune after an edit, so every screen shows the saved windows at once. */
export function putCommune(c: Commune) {
  communesStore.update((s) => ({ ...s, list: s.list.map((x) => (x.id === c.id ? c : x)) }));
}

export function useCommunes() {
  return useStore(communesStore);
}

/** The commune being shown, once the list is loaded. */
export function useCommune(): Commune | undefined {
  const s = useStore(communesStore);
  return s.list.find((c) => c.id === s.selectedId);
}
