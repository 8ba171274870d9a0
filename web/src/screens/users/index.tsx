// Người dùng: accounts, their role and communes (issue #4's users API; users:manage over every commune).
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { api } from '../../lib/api.js';
import { me } from '../../lib/session.js';
import { useApi } from '../../lib/use-api.js';
import { dateTime } from '../../lib/format.js';
import { useCommunes } from '../../data/communes.js';
import { ROLES, type Role, type User } from '../../lib/types.js';
import { ErrorNote } from '../../ui/ErrorNote.js';
import { useAction } from '../../ui/use-action.js';
import { CommunesChoice } from './CommunesChoice.js';

function OneTimePassword({ username, password }: { username: string; password: string }) {
  return (
    <div class="note warn" role="status">
      <p>{t('users.passwordOnce', { username })}</p>
      <input
        readOnly
        value={password}
        aria-label={t('auth.password')}
        onFocus={(e) => (e.target as HTMLInputElement).select()}
      />
    </div>
  );
}

function UserRow({ user, onChanged }: { user: User; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [role, setRole] = useState<Role>(user.role);
  const [communeIds, setCommuneIds] = useState<string[] | null>(user.communeIds);
  const [password, setPassword] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const { list: communes } = useCommunes();
  const names = (ids: string[] | null) =>
    ids === null ? t('users.allCommunes') : ids.map((id) => communes.find((c) => c.id === id)?.name ?? id).join(', ');
  const self = me()?.id === user.id;
  return (
    <li class="card stack" data-user={user.username}>
      <div class="row between">
        <strong>{user.username}</strong>
        <span>
          {t(`role.${user.role}`)} · {names(user.communeIds)}
        </span>
      </div>
      <p class="muted">
        {user.mustChangePassword && `${t('users.mustChange')} · `}
        {user.createdAt && t('users.createdAt', { at: dateTime(user.createdAt, 'Asia/Ho_Chi_Minh') })}
      </p>
      {editing && (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api.patch(`/api/users/${user.id}`, { role, communeIds });
              setEditing(false);
              onChanged();
            });
          }}
        >
          <label>
            {t('users.role')}
            <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <CommunesChoice value={communeIds} onChange={setCommuneIds} />
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              {t('action.save')}
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              {t('action.cancel')}
            </button>
          </div>
        </form>
      )}
      {password && <OneTimePassword username={user.username} password={password} />}
      <ErrorNote error={error} />
      {!editing && (
        <div class="row">
          <button type="button" onClick={() => setEditing(true)}>
            {t('action.edit')}
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              confirm(t('users.resetConfirm', { username: user.username })) &&
              void run(async () =>
                setPassword((await api.post<{ password: string }>(`/api/users/${user.id}/reset-password`)).password),
              )
            }
          >
            {t('users.resetPassword')}
          </button>
          {!self && (
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() =>
                confirm(t('users.deleteConfirm', { username: user.username })) &&
                void run(async () => {
                  await api.del(`/api/users/${user.id}`);
                  onChanged();
                })
              }
            >
              {t('action.delete')}
            </button>
          )}
        </div>
      )}
    </li>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [communeIds, setCommuneIds] = useState<string[] | null>(null);
  const [created, setCreated] = useState<{ username: string; password?: string } | null>(null);
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const password = String(data.get('password'));
    void run(async () => {
      const res = await api.post<{ user: User; password?: string }>('/api/users', {
        username: String(data.get('username')).trim(),
        role: String(data.get('role')),
        communeIds,
        ...(password ? { password } : {}),
      });
      setCreated({ username: res.user.username, password: res.password });
      form.reset();
      onCreated();
    });
  };
  return (
    <form class="card stack" onSubmit={submit} aria-labelledby="new-user">
      <h2 id="new-user">{t('users.new')}</h2>
      <label>
        {t('auth.username')}
        <input
          name="username"
          data-field="username"
          required
          pattern="[A-Za-z0-9][A-Za-z0-9._@\-]{1,63}"
          autoComplete="off"
        />
      </label>
      <label>
        {t('users.role')}
        <select name="role" defaultValue="editor">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)} — {t(`role.${r}.hint`)}
            </option>
          ))}
        </select>
      </label>
      <CommunesChoice value={communeIds} onChange={setCommuneIds} />
      <label>
        {t('users.initialPassword')} <span class="muted">({t('users.initialPasswordHint')})</span>
        <input name="password" data-field="password" type="text" autoComplete="off" minLength={10} />
      </label>
      <ErrorNote error={error} />
      {created?.password && <OneTimePassword username={created.username} password={created.password} />}
      {created && !created.password && (
        <p class="note ok" role="status">
          {t('users.created', { username: created.username })}
        </p>
      )}
      <div>
        <button type="submit" class="primary" disabled={busy}>
          {t('users.create')}
        </button>
      </div>
    </form>
  );
}

export default function UsersScreen() {
  const users = useApi<{ users: User[] }>('/api/users');
  return (
    <div class="stack">
      <h1>{t('nav.users')}</h1>
      <ErrorNote error={users.error} />
      <ul class="plain stack">
        {users.data?.users.map((u) => (
          <UserRow key={u.id} user={u} onChanged={users.reload} />
        ))}
      </ul>
      <CreateUser onCreated={users.reload} />
    </div>
  );
}
