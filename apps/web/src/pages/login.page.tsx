import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/api.client.js';
import { logIn, type Session, webLoginHref, webLoginProvider } from '../api/session.js';

/**
 * Where the identity provider's login came back with several accounts to choose from (?oidc_accounts=a,b&next=...),
 * and the page to show once logged in.
 */
function providerLoginState(): { accounts: string[]; next: string } {
  const params = new URLSearchParams(location.search);
  const accounts = (params.get('oidc_accounts') ?? '').split(',').filter(Boolean);
  const next = accounts.length > 0 ? (params.get('next') ?? '/ui/') : location.pathname + location.search;
  return { accounts, next: next.startsWith('/ui') ? next : '/ui/' };
}

/** The identity provider's button, or the accounts its login may act as. */
function ProviderLogin(props: { name: string }) {
  const { accounts, next } = providerLoginState();
  if (accounts.length > 0) {
    return (
      <section class="provider-login" aria-labelledby="choose-title">
        <h2 id="choose-title">Choose the account</h2>
        <p class="muted">Your identity at {props.name} may act as several accounts.</p>
        <ul class="choices">
          {accounts.map((a) => (
            <li key={a}>
              <a class="button primary" href={webLoginHref(next, a)}>
                Log in as {a}
              </a>
            </li>
          ))}
        </ul>
      </section>
    );
  }
  return (
    <section class="provider-login" aria-label={`Log in with ${props.name}`}>
      <a class="button primary" href={webLoginHref(next)}>
        Log in with {props.name}
      </a>
      <p class="muted">or with a username and password:</p>
    </section>
  );
}

/** Userpass login, and the identity provider's where Tarn has one; the token ends up in an httpOnly cookie, never in the page. */
export function LoginPage(props: { onLogin: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [account, setAccount] = useState('');
  /** The accounts the username may act as, once the server asked to choose. */
  const [choices, setChoices] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [provider, setProvider] = useState<{ name: string } | null>(null);

  useEffect(() => {
    webLoginProvider().then(setProvider, () => setProvider(null));
  }, []);

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

  // Back from the identity provider with accounts to choose from: the choice only.
  const choosing = provider !== null && providerLoginState().accounts.length > 0;

  return (
    <main class="login">
      <h1>Tarn</h1>
      {provider && <ProviderLogin name={provider.name} />}
      {choosing ? (
        <p>
          <a href="/ui/">Log in another way</a>
        </p>
      ) : (
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
      )}
    </main>
  );
}
