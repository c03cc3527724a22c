// The offline queue ("outbox") in IndexedDB, shared by the page and the
// service worker. Field actions are stored as structured commands, never as
// raw requests:
//   {id, user_id, kind, method?, path, body, blobs?, expect?, label, created_at,
//    state: 'pending' | 'failed', attempts, error?: {status, detail}}
// `id` is made on the device and sent as the Idempotency-Key header, so a
// command replayed after a lost answer gets the first answer, not a second run.
//
// Replay: in creation order, one command at a time. A network error, a 5xx
// (or 401/408/429, which say nothing about the command) keeps the command and
// stops the round, so later commands never overtake it. Any other 4xx sets
// the command aside (state 'failed') where the user sees why and discards it.
// No fetch is awaited inside an IndexedDB transaction: each read or write
// below is its own short transaction.
import { openDB } from 'idb';

const DB_NAME = 'linli';
const COMMANDS = 'commands';
const META = 'meta';
const LOCK = 'linli-outbox';
export const SYNC_TAG = 'linli-outbox';

let dbPromise = null;

/** Versioned like migrations: add a case per new version, never edit an old one. */
export function openOutbox() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          const commands = db.createObjectStore(COMMANDS, { keyPath: 'id' });
          commands.createIndex('created_at', 'created_at');
          db.createObjectStore(META);
        }
      },
      blocking() {
        // A newer version of the app wants to upgrade the schema: let it.
        dbPromise.then((db) => db.close());
        dbPromise = null;
      },
    });
  }
  return dbPromise;
}

/** A fresh command id: a UUID, sent as the Idempotency-Key of the command. */
export function newId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // randomUUID needs a secure context; an intranet http:// address is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function putCommand(command) {
  await (await openOutbox()).put(COMMANDS, command);
}

export async function getCommand(id) {
  return (await openOutbox()).get(COMMANDS, id);
}

export async function deleteCommand(id) {
  await (await openOutbox()).delete(COMMANDS, id);
}

/** The user's commands, oldest first. */
export async function listCommands(userId) {
  const all = await (await openOutbox()).getAllFromIndex(COMMANDS, 'created_at');
  return all.filter((c) => c.user_id === userId);
}

export async function getMeta(key) {
  return (await openOutbox()).get(META, key);
}

export async function setMeta(key, value) {
  await (await openOutbox()).put(META, value, key);
}

export async function deleteMeta(key) {
  await (await openOutbox()).delete(META, key);
}

/** Page and service worker may both replay: one at a time (Web Locks where present). */
function withLock(work) {
  if (typeof navigator !== 'undefined' && navigator.locks && navigator.locks.request) {
    return navigator.locks.request(LOCK, work);
  }
  return work();
}

/** True when an answer says nothing about the command itself: keep it and try later. */
export function isRetryable(status) {
  return status === 0 || status >= 500 || status === 401 || status === 408 || status === 429;
}

/**
 * Sends one command: first any photos it carries (each becomes a media key in
 * the body), then the command itself.
 * `send(method, path, body)` resolves the answer's JSON or rejects with
 * {status, detail} (status 0 when the server was not reached).
 */
async function deliver(command, send) {
  const body = command.body ? { ...command.body } : undefined;
  for (const [field, blob] of Object.entries(command.blobs || {})) {
    if (blob) body[field] = (await send('POST', '/api/v1/media', blob)).key;
  }
  try {
    return await send(command.method || 'POST', command.path, body, command.id);
  } catch (error) {
    // An earlier try may have reached the server although its answer was
    // lost; then the transition is refused now (409) but was already made.
    // Taken as delivered only when the wish moved exactly one step, to the
    // state this command leads to.
    if (error.status === 409 && command.expect && command.attempts > 0) {
      const wish = await send('GET', command.expect.path).catch(() => null);
      if (wish && wish.state === command.expect.state && wish.version === command.expect.version + 1) return wish;
    }
    throw error;
  }
}

/**
 * Replays the user's pending commands in order. Resolves a Map id →
 * {status: 'sent', result} | {status: 'queued', error} | {status: 'failed', error}
 * for the commands it tried.
 */
export function replay(userId, send) {
  return withLock(async () => {
    const outcomes = new Map();
    const commands = (await listCommands(userId)).filter((c) => c.state === 'pending');
    for (const { id } of commands) {
      const command = await getCommand(id); // discarded or sent by another replay meanwhile?
      if (!command || command.state !== 'pending') continue;
      try {
        const result = await deliver(command, send);
        await deleteCommand(id);
        outcomes.set(id, { status: 'sent', result });
      } catch (err) {
        const error = { status: err.status || 0, detail: err.detail || String(err.message || err) };
        if (isRetryable(error.status)) {
          await putCommand({ ...command, attempts: command.attempts + 1, error });
          outcomes.set(id, { status: 'queued', error });
          break;
        }
        await putCommand({ ...command, state: 'failed', attempts: command.attempts + 1, error });
        outcomes.set(id, { status: 'failed', error });
      }
    }
    return outcomes;
  });
}
