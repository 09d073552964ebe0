import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { whenUnauthenticated } from './api/api.client.js';
import { currentSession, logOut, SessionContext, type Session } from './api/session.js';
import { ErrorNote, Loading } from './components/page-header.js';
import { BadReplicasPage } from './pages/bad-replicas.page.js';
import { DidPage } from './pages/did.page.js';
import { DidsPage } from './pages/dids.page.js';
import { HooksPage } from './pages/hooks.page.js';
import { LoginPage } from './pages/login.page.js';
import { OverviewPage } from './pages/overview.page.js';
import { RsesPage } from './pages/rses.page.js';
import { RuleCreatePage } from './pages/rule-create.page.js';
import { RulePage } from './pages/rule.page.js';
import { RulesPage } from './pages/rules.page.js';

const PAGES = [
  { href: '/ui/', label: 'Overview' },
  { href: '/ui/rses', label: 'RSEs' },
  { href: '/ui/rules', label: 'Rules' },
  { href: '/ui/dids', label: 'DIDs' },
  { href: '/ui/hooks', label: 'Hooks and subscriptions' },
  { href: '/ui/replicas', label: 'Bad and suspicious replicas', admin: true },
];

function Navigation(props: { session: Session; onLogout: () => void }) {
  const { path } = useLocation();
  const current = (href: string) => (href === '/ui/' ? path === '/ui' || path === '/ui/' : path.startsWith(href));
  return (
    <header class="top">
      <a class="brand" href="/ui/">
        Tarn
      </a>
      <nav aria-label="Pages">
        <ul>
          {PAGES.filter((p) => !p.admin || props.session.admin).map((p) => (
            <li key={p.href}>
              <a href={p.href} aria-current={current(p.href) ? 'page' : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span data-testid="account">
          {props.session.account}
          {props.session.admin ? ' (administrator)' : ''}
        </span>
        <button type="button" onClick={props.onLogout}>
          Log out
        </button>
      </div>
    </header>
  );
}

function NotFound() {
  return <p>No such page. Choose one above.</p>;
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    whenUnauthenticated(() => setSession(null));
    currentSession().then(setSession, (e) => setError(e instanceof Error ? e : new Error(String(e))));
  }, []);

  if (error) return <main class="content"><ErrorNote error={error} /></main>;
  if (session === undefined) return <main class="content"><Loading /></main>;
  if (session === null) return <LoginPage onLogin={setSession} />;
  const logout = () => {
    logOut().finally(() => setSession(null));
  };
  return (
    <SessionContext.Provider value={session}>
      <LocationProvider>
        <Navigation session={session} onLogout={logout} />
        <main class="content">
          <Router>
            <Route path="/ui" component={OverviewPage} />
            <Route path="/ui/" component={OverviewPage} />
            <Route path="/ui/rses" component={RsesPage} />
            <Route path="/ui/rules" component={RulesPage} />
            <Route path="/ui/rules/new" component={RuleCreatePage} />
            <Route path="/ui/rules/:id" component={RulePage} />
            <Route path="/ui/dids" component={DidsPage} />
            <Route path="/ui/dids/:scope/:name" component={DidPage} />
            <Route path="/ui/hooks" component={HooksPage} />
            <Route path="/ui/replicas" component={session.admin ? BadReplicasPage : NotFound} />
            <Route default component={NotFound} />
          </Router>
        </main>
      </LocationProvider>
    </SessionContext.Provider>
  );
}
