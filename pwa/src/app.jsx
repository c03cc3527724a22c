import { useEffect, useState } from 'preact/hooks';
import {
  getMe,
  hasSession,
  logout,
  onSessionExpired,
  saveLocale,
  saveUser,
  storedUser,
} from './api.js';
import { getLocale, hasStoredLocale, isLocale, LOCALE_NAMES, LOCALES, setLocale, t } from './i18n/index.js';
import { startServiceWorker } from './pwa.js';
import { Home } from './views/Home.jsx';
import { Login } from './views/Login.jsx';
import { MapView } from './views/MapView.jsx';

const ROUTES = { login: '#/login', home: '#/home', map: '#/map' };

function routeFromHash() {
  const match = /^#\/(\w+)/.exec(window.location.hash);
  return match ? match[1] : '';
}

function navigate(route, { replace = false } = {}) {
  const hash = ROUTES[route];
  if (window.location.hash === hash) return;
  if (replace) window.history.replaceState(null, '', hash);
  else window.location.hash = hash;
}

function useHashRoute() {
  const [route, setRoute] = useState(routeFromHash);
  useEffect(() => {
    const update = () => setRoute(routeFromHash());
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return [route, setRoute];
}

function useOnline() {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

export function App() {
  const [, setLocaleState] = useState(getLocale());
  const [user, setUser] = useState(() => (hasSession() ? storedUser() : null));
  const [route, setRoute] = useHashRoute();
  const online = useOnline();
  const [offlineReady, setOfflineReady] = useState(false);
  const [needRefresh, setNeedRefresh] = useState(false);
  const [updateSW, setUpdateSW] = useState(null);
  const [loginNotice, setLoginNotice] = useState('');

  const loggedIn = Boolean(user);
  const view = !loggedIn ? 'login' : route === 'map' ? 'map' : 'home';

  const go = (next, options) => {
    navigate(next, options);
    setRoute(next);
  };

  // The address bar always names the screen shown (a stale #/map after
  // log-out, or an empty hash on first open, is corrected in place).
  useEffect(() => {
    if (route !== view) go(view, { replace: true });
  }, [route, view]);

  useEffect(() => {
    const update = startServiceWorker({
      onOfflineReady: () => setOfflineReady(true),
      onNeedRefresh: () => setNeedRefresh(true),
    });
    setUpdateSW(() => update);
    onSessionExpired(() => {
      setUser(null);
      setLoginNotice(t('error.session_expired'));
    });
  }, []);

  const adoptUser = (fresh) => {
    saveUser(fresh);
    setUser(fresh);
  };

  // The device's language choice is the user's latest word: push it to the
  // profile when they differ; with no choice yet, take the profile's.
  const reconcileLocale = (fresh) => {
    if (!fresh || fresh.locale === getLocale()) return;
    if (hasStoredLocale() || !isLocale(fresh.locale)) {
      saveLocale(getLocale()).then(adoptUser, () => {});
    } else {
      setLocale(fresh.locale);
      setLocaleState(fresh.locale);
    }
  };

  // Refresh the profile on start (works offline from the cached copy).
  useEffect(() => {
    if (!loggedIn) return;
    getMe().then(
      (fresh) => {
        adoptUser(fresh);
        reconcileLocale(fresh);
      },
      () => {},
    );
  }, [loggedIn]);

  const changeLocale = (event) => {
    const next = event.currentTarget.value;
    setLocale(next);
    setLocaleState(next);
    if (loggedIn) saveLocale(next).then(adoptUser, () => {});
  };

  const onLoggedIn = (fresh) => {
    setLoginNotice('');
    adoptUser(fresh);
    reconcileLocale(fresh);
    go('home');
  };

  const onLogout = async () => {
    setUser(null);
    go('login');
    await logout();
  };

  return (
    <div class={`app app--${view}`} data-testid="app-shell" data-view={view}>
      <header class="topbar">
        <a class="brand" href={loggedIn ? ROUTES.home : ROUTES.login}>
          <img src="/icons/favicon-32.png" width="32" height="32" alt="" />
          <span>{t('app.name')}</span>
        </a>
        <span
          class={`net ${online ? 'net--online' : 'net--offline'}`}
          data-testid="net-status"
          data-online={String(online)}
          role="status"
          title={online ? '' : t('net.offline_hint')}
        >
          <span class="net__dot" aria-hidden="true" />
          {online ? t('net.online') : t('net.offline')}
        </span>
        <label class="lang">
          <span class="lang__label">{t('lang.label')}</span>
          <select data-testid="lang-switch" value={getLocale()} onChange={changeLocale}>
            {LOCALES.map((code) => (
              <option key={code} value={code} lang={code === 'en' ? 'en' : code.replace('_', '-')}>
                {LOCALE_NAMES[code]}
              </option>
            ))}
          </select>
        </label>
      </header>

      {(offlineReady || needRefresh) && (
        <div class="notices">
          {needRefresh && (
            <div class="notice notice--update" data-testid="update-banner" role="alert">
              <div class="notice__text">
                <strong>{t('pwa.update_available')}</strong>
                <span>{t('pwa.update_hint')}</span>
              </div>
              <div class="notice__actions">
                <button type="button" class="btn btn--primary" onClick={() => updateSW && updateSW(true)}>
                  {t('pwa.update')}
                </button>
                <button type="button" class="btn btn--ghost" onClick={() => setNeedRefresh(false)}>
                  {t('pwa.later')}
                </button>
              </div>
            </div>
          )}
          {offlineReady && (
            <div class="notice notice--ready" data-testid="offline-ready" role="status">
              <div class="notice__text">
                <strong>{t('pwa.offline_ready')}</strong>
                <span>{t('pwa.offline_ready_hint')}</span>
              </div>
              <button type="button" class="btn btn--ghost" onClick={() => setOfflineReady(false)}>
                {t('pwa.dismiss')}
              </button>
            </div>
          )}
        </div>
      )}

      <main class="main" id="main">
        {view === 'login' && <Login notice={loginNotice} onLoggedIn={onLoggedIn} />}
        {view === 'home' && <Home user={user} onLogout={onLogout} />}
        {view === 'map' && <MapView onBack={() => go('home')} />}
      </main>
    </div>
  );
}
