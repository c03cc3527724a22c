import { useEffect, useState } from 'preact/hooks';
import {
  getCaseInbox,
  getCatalogue,
  getConfig,
  getMap,
  getMe,
  getMyVisits,
  hasSession,
  logout,
  onSessionExpired,
  saveLocale,
  saveUser,
  storedUser,
} from './api.js';
import { getLocale, hasStoredLocale, isLocale, LOCALE_NAMES, LOCALES, setLocale, t } from './i18n/index.js';
import { startServiceWorker } from './pwa.js';
import { startOutbox, subscribe as subscribeOutbox } from './outbox/index.js';
import { forgetPushBeforeLogout } from './push.js';
import { Home } from './views/Home.jsx';
import { Login } from './views/Login.jsx';
import { MapView } from './views/MapView.jsx';
import { Outbox } from './views/Outbox.jsx';
import { cardsFor, hashOf, isPublic, parseHash, ROUTES, routeOf } from './routes.js';
import { makesVisits, reportsCases, takesCases } from './roles.js';
import { localDay } from './ui/kit.jsx';

function navigate(hash, { replace = false } = {}) {
  if (window.location.hash === hash) return;
  if (replace) window.history.replaceState(null, '', hash);
  else window.location.hash = hash;
}

function useHashRoute() {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return [route, setRoute];
}

const loaded = new Map(); // view → screen component, once its chunk is in

/** A lazily loaded screen. */
function Screen({ view, ...props }) {
  const [Component, setComponent] = useState(() => loaded.get(view) || null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (loaded.has(view)) {
      setComponent(() => loaded.get(view));
      return undefined;
    }
    let live = true;
    setComponent(null);
    setFailed(false);
    routeOf(view).load().then(
      (module) => {
        loaded.set(view, module.default);
        if (live) setComponent(() => module.default);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [view, attempt]);
  if (failed) {
    return (
      <div class="page page--narrow">
        <div class="alert alert--error" role="alert">
          <p>{t('screen.load_failed')}</p>
          <button type="button" class="btn btn--ghost" onClick={() => setAttempt((n) => n + 1)}>
            {t('map.retry')}
          </button>
        </div>
      </div>
    );
  }
  if (!Component) {
    return (
      <p class="page page--narrow muted" role="status">
        <span class="spinner spinner--dark" aria-hidden="true" />
        {t('wish.loading')}
      </p>
    );
  }
  return <Component {...props} />;
}

/**
 * The side navigation of a wide screen (a window clerk's or a leader's
 * desktop, ≥ 1024 px): the same screens as the home cards, always in reach.
 * Phones never show it (CSS), and keep the home screen as their menu.
 */
function SideNav({ user, view }) {
  const fixed = ROUTES.filter((route) => route.nav).map((route) => ({
    view: route.view,
    href: hashOf(route),
    testid: route.nav[0],
    title: route.nav[1],
    icon: route.nav[3],
  }));
  const current = view === 'wish' || view === 'wish-new' ? 'wishes' : view;
  return (
    <nav class="sidenav" aria-label={t('nav.main')} data-testid="sidenav">
      <ul>
        {[...fixed, ...cardsFor(user)].map((item) => (
          <li key={item.testid}>
            <a
              class={`sidenav__link${item.view === current ? ' sidenav__link--on' : ''}`}
              href={item.href}
              aria-current={item.view === current ? 'page' : undefined}
              data-testid={`side-${item.testid}`}
            >
              <span class="sidenav__icon" aria-hidden="true">
                {item.icon}
              </span>
              {t(item.title)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Resolves once the service worker controls this page (at once if it does; never without one). */
function whenControlled() {
  if (!('serviceWorker' in navigator)) return new Promise(() => {});
  if (navigator.serviceWorker.controller) return Promise.resolve();
  return new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
}

/**
 * A grid worker walks their grid without a signal: fetch their map once they
 * sign in, through the service worker, so it is saved before they need it
 * (the map screen and "which grid is this" then work offline).
 */
function saveMapForOffline(user) {
  if (!((user && user.roles) || []).some((r) => r.role === 'grid_worker')) return;
  whenControlled().then(() => getMap().catch(() => {}));
}

/** A visitor's households of the day, saved at sign-in for a shift without signal. */
function saveDayForOffline(user) {
  if (!makesVisits(user)) return;
  whenControlled().then(() => getMyVisits(localDay()).catch(() => {}));
}

/** The grid worker's case inbox (and the catalogue for raising a matter), saved at sign-in. */
function saveCasesForOffline(user) {
  // The inbox, and the rule tables (/config) that say where a queued action leads.
  if (takesCases(user)) whenControlled().then(() => Promise.all([getCaseInbox(), getConfig()]).catch(() => {}));
  if (takesCases(user) || reportsCases(user)) whenControlled().then(() => getCatalogue().catch(() => {}));
}

// Where to go after signing in, when the app was opened at a screen (say by
// a notification) while signed out.
const AFTER_LOGIN = 'linli.after_login';

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

  const [outbox, setOutbox] = useState({ pending: [], failed: [], sent: 0 });

  const loggedIn = Boolean(user);
  const wanted = route.view && route.view !== 'login' ? route : { view: 'home' };
  // Public pages (三公开) are shown to anyone; every other screen asks for a log-in first.
  const shown = !loggedIn && !isPublic(wanted.view) ? { view: 'login' } : wanted;
  const view = shown.view;

  const go = (hash, options) => {
    navigate(hash, options);
    setRoute(parseHash(hash));
  };

  // The address bar always names the screen shown (a stale #/map after
  // log-out, or an empty hash on first open, is corrected in place).
  useEffect(() => {
    if (!loggedIn && route.view && !['login', 'home'].includes(route.view) && !isPublic(route.view)) {
      try {
        sessionStorage.setItem(AFTER_LOGIN, hashOf(route));
      } catch {
        /* storage disabled: home after sign-in */
      }
    }
    if (hashOf(route) !== hashOf(shown)) go(hashOf(shown), { replace: true });
  }, [route, loggedIn]);

  // The window's title names the screen (a desktop clerk keeps several tabs open).
  useEffect(() => {
    const route = routeOf(view);
    document.title = route ? `${t(route.title)} · ${t('app.name')}` : t('app.name');
  }, [view, getLocale()]);

  // "Works offline" is news, not a question: it goes by itself after a while
  // (an update waits for the user's answer).
  useEffect(() => {
    if (!offlineReady) return undefined;
    const timer = setTimeout(() => setOfflineReady(false), 8000);
    return () => clearTimeout(timer);
  }, [offlineReady]);

  useEffect(() => subscribeOutbox(setOutbox), []);
  useEffect(() => {
    if (loggedIn) startOutbox();
  }, [loggedIn]);

  // A tapped notification names the screen to show (src/sw.js, notificationclick).
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return undefined;
    const onMessage = (event) => {
      if (!event.data || event.data.type !== 'linli-open') return;
      const target = new URL(event.data.url || '/', window.location.origin);
      go(target.hash || '#/home');
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    return () => navigator.serviceWorker.removeEventListener('message', onMessage);
  }, []);

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
        saveCasesForOffline(fresh);
        saveDayForOffline(fresh); // opened in the morning, still signed in: today's households
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
    saveMapForOffline(fresh);
    saveCasesForOffline(fresh);
    saveDayForOffline(fresh);
    reconcileLocale(fresh);
    let next = '#/home';
    try {
      next = sessionStorage.getItem(AFTER_LOGIN) || next;
      sessionStorage.removeItem(AFTER_LOGIN);
    } catch {
      /* storage disabled */
    }
    go(parseHash(next).view ? next : '#/home');
  };

  const onLogout = async () => {
    // This phone must not keep getting the leaving user's messages.
    await forgetPushBeforeLogout();
    setUser(null);
    go('#/login');
    await logout();
  };

  return (
    <div class={`app app--${view}`} data-testid="app-shell" data-view={view}>
      <header class="topbar">
        <a class="brand" href={loggedIn ? '#/home' : '#/login'}>
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

      <div class="shell">
        {loggedIn && <SideNav user={user} view={view} />}
        <div class="shell__content">
          {loggedIn && <Outbox outbox={outbox} online={online} />}

          <main class="main" id="main">
            {view === 'login' && <Login notice={loginNotice} onLoggedIn={onLoggedIn} />}
            {view === 'home' && <Home user={user} onLogout={onLogout} />}
            {view === 'map' && <MapView onBack={() => go('#/home')} />}
            {(loggedIn || isPublic(view)) && routeOf(view) && routeOf(view).load && (
              <Screen key={hashOf(shown)} view={view} id={shown.id} code={shown.code} user={user} outbox={outbox} go={go} />
            )}
          </main>
        </div>
      </div>
    </div>
  );
}
