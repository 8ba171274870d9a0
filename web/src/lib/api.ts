// The one way the app talks HTTP to the server: JSON in and out, the CSRF header on every change
// (issue #4: the header must equal the JS-readable `loa_csrf` cookie), and errors as ApiError
// carrying the server's `{error, message, field}` so screens can say what to do in words.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The server's error code (`bad-credentials`, `forbidden`…), or `network` when it was not reached. */
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Called when the server says the session is gone, so the app can show the sign-in page. */
let onUnauthenticated: () => void = () => undefined;
export function setUnauthenticatedHandler(fn: () => void) {
  onUnauthenticated = fn;
}

export function csrfToken(): string | undefined {
  const m = /(?:^|;\s*)loa_csrf=([^;]*)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (CHANGES.has(method)) {
    const token = csrfToken();
    if (token) headers['x-csrf-token'] = token;
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string; field?: string };
    const err = new ApiError(res.status, e.error ?? `http-${res.status}`, e.message ?? res.statusText, e.field);
    // The sign-in call itself answers 401 for a wrong password; that is not a lost session.
    if (res.status === 401 && path !== '/api/auth/login') onUnauthenticated();
    throw err;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/** `?a=1&b=2` from the defined entries of an object. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
