// A first page (issue #2): sign in, then the units and whether they are online. The full app with
// its screens comes with the web-app issue (#5).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

interface Unit {
  id: string;
  name: string;
  online: boolean;
  lastSeen: number | null;
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  const body = (await res.json().catch(() => ({}))) as T & { message?: string };
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
  return body;
}

function Login({ onDone }: { onDone: () => void }) {
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    try {
      await api('/api/auth/login', {
        method: 'POST',
        body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
      });
      onDone();
    } catch {
      setError('Sai tên đăng nhập hoặc mật khẩu. / Wrong user name or password.');
    }
  };
  return (
    <form onSubmit={submit}>
      <label>
        Tên đăng nhập (user name) <input name="username" autoComplete="username" required />
      </label>
      <label>
        Mật khẩu (password) <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit">Đăng nhập / Sign in</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}

function Units() {
  const [units, setUnits] = useState<Unit[]>([]);
  useEffect(() => {
    const load = () =>
      api<{ units: Unit[] }>('/api/units')
        .then((r) => setUnits(r.units))
        .catch(() => undefined);
    load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, []);
  return (
    <table>
      <thead>
        <tr>
          <th>Cụm loa (unit)</th>
          <th>Trạng thái (status)</th>
        </tr>
      </thead>
      <tbody>
        {units.map((u) => (
          <tr key={u.id}>
            <td>
              {u.name} ({u.id})
            </td>
            <td>{u.online ? 'Trực tuyến / online' : 'Mất kết nối / offline'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  useEffect(() => {
    api('/api/auth/me').then(
      () => setSignedIn(true),
      () => setSignedIn(false),
    );
  }, []);
  return (
    <main>
      <h1>Loa — Truyền thanh thông minh</h1>
      {signedIn === false && <Login onDone={() => setSignedIn(true)} />}
      {signedIn && <Units />}
    </main>
  );
}

render(<App />, document.getElementById('app')!);
