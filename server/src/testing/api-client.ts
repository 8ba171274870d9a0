// A tiny HTTP client for tests that behaves like the web app in a browser: it keeps the cookies the
// server sets, and echoes the `loa_csrf` cookie in the x-csrf-token header of every change. With a
// bearer token instead (`ApiClient.withToken`), it acts like a machine: no cookies, no CSRF.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export class ApiClient {
  private readonly cookies = new Map<string, string>();
  private bearer: string | undefined;
  /** Set false to leave out the CSRF header, as a forged cross-site request would. */
  sendCsrf = true;
  constructor(readonly base: string) {}

  static withToken(base: string, token: string): ApiClient {
    const c = new ApiClient(base);
    c.bearer = token;
    return c;
  }

  /** The cookie header this client sends (for tests that replay or forge one). */
  get cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  set cookie(header: string) {
    this.cookies.clear();
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) this.cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  }

  private headersFor(method: string): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    else if (this.cookies.size) headers.cookie = this.cookie;
    const csrf = this.cookies.get('loa_csrf');
    if (!SAFE.has(method) && csrf && this.sendCsrf && !this.bearer) headers['x-csrf-token'] = csrf;
    return headers;
  }

  private keepCookies(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) <= Date.now());
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers = this.headersFor(method);
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(this.base + path, { method, headers, body: payload });
    this.keepCookies(res);
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T };
  }

  /**
   * A GET whose answer is not JSON (CSV, HTML) or whose headers matter: the raw Response, sent with
   * the session and any `headers` given.
   */
  fetchRaw(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(this.base + path, { headers: { ...this.headersFor('GET'), ...headers } });
  }

  get = <T = unknown>(path: string) => this.request<T>('GET', path);
  post = <T = unknown>(path: string, body?: unknown) => this.request<T>('POST', path, body ?? {});
  put = <T = unknown>(path: string, body?: unknown) => this.request<T>('PUT', path, body);
  patch = <T = unknown>(path: string, body?: unknown) => this.request<T>('PATCH', path, body);
  delete = <T = unknown>(path: string) => this.request<T>('DELETE', path);

  async login(username: string, password: string) {
    const res = await this.post('/api/auth/login', { username, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async upload<T = unknown>(file: string, name = basename(file)) {
    const form = new FormData();
    form.append('file', await openAsBlob(file), name);
    return this.request<T>('POST', '/api/media', form);
  }
}
