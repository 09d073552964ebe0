import { useState } from 'preact/hooks';
import { ApiError } from '../api/api.client.js';
import { logIn, type Session } from '../api/session.js';

/** Userpass login; the token ends up in an httpOnly cookie, never in the page. */
export function LoginPage(props: { onLogin: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [account, setAccount] = useState('');
  /** The accounts the username may act as, once the server asked to choose. */
  const [choices, setChoices] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await logIn(username.trim(), password, account.trim() || undefined);
      if ('accounts' in answer) {
        setChoices(answer.accounts);
        setAccount(answer.accounts[0]);
      } else props.onLogin(answer);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 429 ? `Too many failed logins: ${e.message}` : e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <h1>Tarn</h1>
      <form onSubmit={submit} aria-labelledby="login-title">
        <h2 id="login-title">Log in</h2>
        <label>
          Username
          <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {choices ? (
          <label>
            Account <span class="muted">(this username acts as several)</span>
            <select name="account" value={account} onChange={(e) => setAccount(e.currentTarget.value)}>
              {choices.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            Account <span class="muted">(only if the username acts as several)</span>
            <input name="account" value={account} onInput={(e) => setAccount(e.currentTarget.value)} />
          </label>
        )}
        {error && (
          <p class="note error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
