// The page's side of the offline queue: every wish post and wish action goes
// through submit(), which stores the command first and then replays the
// queue. Replays also run on app start, on `online`, when the service worker
// asks (Background Sync with the page open), and from the worker itself when
// the page is closed (src/sw.js).
import { accessToken, api, ApiError, onSessionCleared, storedUser } from '../api.js';
import { acceptLanguage } from '../i18n/index.js';
import * as store from './store.js';

const listeners = new Set();
let snapshot = { pending: [], failed: [], sent: 0 };
let sentCount = 0;
// What this page's replays did with each command, for submit() to report.
const outcomes = new Map();
// One replay at a time within this page even without Web Locks.
let chain = Promise.resolve();

const currentUserId = () => {
  const user = storedUser();
  return user ? user.id : null;
};

/** `listener({pending, failed, sent})` now and on every change; returns an unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  listener(snapshot);
  return () => listeners.delete(listener);
}

async function publish() {
  const userId = currentUserId();
  let commands = [];
  try {
    commands = userId == null ? [] : await store.listCommands(userId);
  } catch {
    commands = []; // IndexedDB unavailable (private mode in old browsers)
  }
  snapshot = {
    pending: commands.filter((c) => c.state === 'pending'),
    failed: commands.filter((c) => c.state === 'failed'),
    sent: sentCount,
  };
  listeners.forEach((listener) => listener(snapshot));
}

// The worker replays without the page, so it needs the token and language.
async function rememberSession() {
  const userId = currentUserId();
  const token = accessToken();
  if (userId == null || !token) return;
  await store.setMeta('session', { user_id: userId, access_token: token, accept_language: acceptLanguage() });
}

function requestBackgroundSync() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.ready
    .then((registration) => registration.sync && registration.sync.register(store.SYNC_TAG))
    .catch(() => {}); // no Background Sync (Safari, Firefox): `online` and app start cover it
}

// A queued command carries its id as the Idempotency-Key: a replay after a lost answer
// gets the first answer again instead of acting twice.
const send = (method, path, body, key) => api(method, path, { body, headers: key ? { 'Idempotency-Key': key } : null });

/** Replays this user's pending commands now; resolves the outcomes (a Map by command id). */
export function flush() {
  const run = async () => {
    const userId = currentUserId();
    if (userId == null) return new Map();
    await rememberSession().catch(() => {});
    const results = await store.replay(userId, send);
    let sent = 0;
    results.forEach((outcome, id) => {
      outcomes.set(id, outcome);
      if (outcome.status === 'sent') sent += 1;
    });
    sentCount += sent;
    if ([...results.values()].some((o) => o.status === 'queued')) requestBackgroundSync();
    await publish();
    return results;
  };
  const next = chain.then(run, run);
  chain = next.catch(() => {});
  return next;
}

/**
 * Stores a command and tries to send it (with any older ones first).
 * Resolves {status: 'sent', result} or {status: 'queued'} (kept for later);
 * rejects with ApiError when the server refuses it now (4xx): the user is
 * looking, so the reason is shown on the spot instead of in the "not sent" list.
 *
 * @param {{kind: string, method?: string, path: string, body?: object,
 *          blobs?: Object<string, Blob>, expect?: {path: string, state: string, version: number},
 *          batch?: {path: string, item: object}, label: string}} command
 *   With `batch`, the command travels with its neighbours of the same batch path
 *   (one request for up to 50), `item` being what it says in the batch.
 */
export async function submit({ kind, method = 'POST', path, body, blobs = null, expect = null, batch = null, label }) {
  const id = store.newId();
  const command = {
    id,
    user_id: currentUserId(),
    kind,
    method,
    path,
    body,
    blobs,
    expect,
    batch,
    label,
    created_at: new Date().toISOString(),
    state: 'pending',
    attempts: 0,
  };
  await store.putCommand(command);
  if (navigator.onLine === false) {
    await rememberSession().catch(() => {});
    requestBackgroundSync();
    await publish();
    return { status: 'queued', command };
  }
  await flush();
  let outcome = outcomes.get(id);
  outcomes.delete(id);
  if (!outcome) {
    // Sent by a replay of the service worker meanwhile, or still waiting its turn.
    outcome = (await store.getCommand(id)) ? { status: 'queued' } : { status: 'sent', result: null };
  }
  if (outcome.status === 'failed') {
    await store.deleteCommand(id);
    await publish();
    throw new ApiError(outcome.error.status, outcome.error.detail, outcome.error.extra || null);
  }
  return { ...outcome, command };
}

/** Drops a command the user gave up on. */
export async function discard(id) {
  await store.deleteCommand(id);
  await publish();
}

/** Puts a set-aside command back in line and replays. */
export async function retry(id) {
  const command = await store.getCommand(id);
  if (command) await store.putCommand({ ...command, state: 'pending', error: null });
  return flush();
}

let started = false;
/** Called once a user is signed in: show the queue and replay it (app start). */
export function startOutbox() {
  if (!started) {
    started = true;
    window.addEventListener('online', () => flush().catch(() => {}));
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.addEventListener('message', (event) => {
        if (event.data && event.data.type === 'linli-outbox-flush') flush().catch(() => {});
      });
    }
    onSessionCleared(() => {
      store.deleteMeta('session').catch(() => {});
      publish();
    });
  }
  publish();
  if (navigator.onLine !== false) flush().catch(() => {});
}
