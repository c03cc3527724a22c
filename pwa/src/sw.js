// The service worker (vite-plugin-pwa injectManifest): precached app shell,
// runtime caches for what must show offline, web push, and replay of the
// offline queue by Background Sync.
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst } from 'workbox-strategies';
import { ExpirationPlugin } from 'workbox-expiration';
import { CacheableResponsePlugin } from 'workbox-cacheable-response';
import { getMeta, replay, SYNC_TAG } from './outbox/store.js';

const DAY = 24 * 60 * 60;

// One versioned precache per release; older ones are pruned on activate.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// Server routes must reach the server (or fail) rather than get the app shell.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), {
    denylist: [/^\/api(\/|$)/, /^\/schema(\/|$)/, /^\/health(\/|$)/, /^\/vendor\//],
  }),
);

// The first worker takes charge of the open page at once, so what this visit
// fetches is already cached for offline use. Updates still wait for the user
// (registerType 'prompt'): the page asks with SKIP_WAITING.
clientsClaim();
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

// Answers vary by language and token; offline, any saved copy beats none.
// All of these caches belong to one user and are emptied at log-out (src/api.js).
const networkFirst = (cacheName, maxEntries) =>
  new NetworkFirst({
    cacheName,
    networkTimeoutSeconds: 8,
    matchOptions: { ignoreVary: true },
    plugins: [
      new CacheableResponsePlugin({ statuses: [200] }),
      new ExpirationPlugin({ maxEntries, maxAgeSeconds: 30 * DAY }),
    ],
  });

// The map, profile and config: a cache of their own so many wishes never push the map out.
const CORE = ['/api/v1/map', '/api/v1/me', '/api/v1/config'];
registerRoute(({ url, sameOrigin }) => sameOrigin && CORE.includes(url.pathname), networkFirst('linli-api', 16), 'GET');

// Wishes (mine, one, the moderation queue, the board), hours and notification
// choice, so a volunteer in a stairwell can still open the wish and act on it.
const WISHES = [
  /^\/api\/v1\/wishes\/(mine|queue|\d+)$/,
  /^\/api\/v1\/communities\/\d+\/(wishes|thanks|claim-options)$/,
  /^\/api\/v1\/me\/(hours|notifications|tasks)$/,
  /^\/api\/v1\/areas$/, // a leader's communities, for the community picker
];
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && WISHES.some((pattern) => pattern.test(url.pathname)),
  networkFirst('linli-api-wishes', 120),
  'GET',
);

// The visitor's day: their households for the day, saved when they sign in, so a shift
// without signal still shows whom to visit. A cache of its own, emptied at log-out.
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && url.pathname === '/api/v1/me/visits',
  networkFirst('linli-api-visits', 14),
  'GET',
);

// Service cases: the grid worker's inbox, my cases, each case's page and the catalogue,
// so a worker with no signal still sees what waits and acts on it (the outbox sends later).
const CASES = [
  /^\/api\/v1\/me\/(case-inbox|cases)$/,
  /^\/api\/v1\/cases\/\d+$/,
  /^\/api\/v1\/service-catalogue$/,
];
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && CASES.some((pattern) => pattern.test(url.pathname)),
  networkFirst('linli-api-cases', 120),
  'GET',
);

// Photos are immutable (named by their content hash); board photos too, on their public path.
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && /^\/api\/v1\/media\/(public\/)?[0-9a-f]{64}$/.test(url.pathname),
  new CacheFirst({
    cacheName: 'linli-media',
    plugins: [
      new CacheableResponsePlugin({ statuses: [200] }),
      new ExpirationPlugin({ maxEntries: 80, maxAgeSeconds: 30 * DAY }),
    ],
  }),
  'GET',
);

// --- web push ------------------------------------------------------------------------------

const ICON = '/icons/icon-192.png';

/** The payload the server sends (server/notify/channels/webpush.py): {title, body, url, tag, id}. */
function readPush(data) {
  if (!data) return {};
  try {
    return data.json() || {};
  } catch {
    return { body: data.text() };
  }
}

self.addEventListener('push', (event) => {
  const payload = readPush(event.data);
  const options = {
    body: payload.body || '',
    icon: ICON,
    badge: '/icons/favicon-32.png',
    data: { url: payload.url || '/', id: payload.id || null },
  };
  // A later message on the same topic (the same wish) replaces the earlier one.
  if (payload.tag) {
    options.tag = payload.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(payload.title || '邻里 Linli', options));
});

/** Only our own pages: a payload cannot send the user elsewhere. */
function targetUrl(url) {
  const target = new URL(url || '/', self.location.origin);
  return target.origin === self.location.origin ? target : new URL('/', self.location.origin);
}

/** Focuses an open window of the app and shows `url` there, or opens a new one. */
async function openApp(url) {
  const target = targetUrl(url);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === target.origin);
  if (open) {
    // The app routes by hash: the page switches screens itself, keeping its state.
    open.postMessage({ type: 'linli-open', url: target.pathname + target.search + target.hash });
    if ('focus' in open) await open.focus().catch(() => {});
    return open;
  }
  return self.clients.openWindow(target.href);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const done = openApp(event.notification.data && event.notification.data.url);
  // waitUntil exists only on events the browser dispatched; a test may dispatch its own.
  if (event.isTrusted) event.waitUntil(done);
});

// --- offline queue -------------------------------------------------------------------------

/** The worker's way to send a command (the page's goes through src/api.js). */
function sender(session) {
  return async (method, path, body, key) => {
    const raw = body instanceof Blob;
    const headers = { Accept: 'application/json', 'Accept-Language': session.accept_language || 'zh-Hans-CN' };
    if (key) headers['Idempotency-Key'] = key;
    headers.Authorization = `Bearer ${session.access_token}`;
    if (body !== undefined) headers['Content-Type'] = raw ? body.type : 'application/json';
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined || raw ? body : JSON.stringify(body) });
    } catch {
      throw { status: 0, detail: 'network error' };
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw { status: response.status, detail: (data && data.detail) || `HTTP ${response.status}` };
    return data;
  };
}

async function replayQueue() {
  const windows = await self.clients.matchAll({ type: 'window' });
  if (windows.length) {
    // An open page replays itself: it can refresh an expired token.
    windows.forEach((client) => client.postMessage({ type: 'linli-outbox-flush' }));
    return;
  }
  const session = await getMeta('session');
  if (!session) return;
  const outcomes = await replay(session.user_id, sender(session));
  if ([...outcomes.values()].some((o) => o.status === 'queued')) {
    throw new Error('outbox: still waiting'); // the browser retries the sync later
  }
}

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(replayQueue());
});
