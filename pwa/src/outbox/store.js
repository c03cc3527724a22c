// The offline queue ("outbox") in IndexedDB, shared by the page and the
// service worker. Field actions are stored as structured commands, never as
// raw requests:
//   {id, user_id, kind, method?, path, body, blobs?, expect?, label, created_at,
//    state: 'pending' | 'failed', attempts, error?: {status, detail}}
// `id` is made on the device and sent as the Idempotency-Key header, so a
// command replayed after a lost answer gets the first answer, not a second run.
//
// Commands of a kind the server takes in batches carry `batch: {path, item}`
// (visit records: POST /api/v1/visits/records): consecutive ones go together,
// up to BATCH_MAX in one request, each item with its command id as `ref`, which
// the server stores once; its answer says per item what became of it.
//
// Replay: in creation order, one command (or batch) at a time. A network error, a 5xx
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
    if (!blob) continue;
    const { key } = await send('POST', '/api/v1/media', blob);
    // A list field (a case's `photos`) gets the key added; any other is set to it.
    if (Array.isArray(body[field])) body[field] = [...body[field], key];
    else body[field] = key;
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

export const BATCH_MAX = 50;

/**
 * Sends a batch of consecutive commands with the same `batch.path`: their photos
 * first, then one request. Resolves a Map id → outcome like replay()'s; rejects
 * as `send` does when the request as a whole got no answer about its items.
 */
async function deliverBatch(commands, send) {
  const items = [];
  for (const command of commands) {
    const item = { ...command.batch.item, ref: command.id };
    for (const [field, blob] of Object.entries(command.blobs || {})) {
      if (blob) item[field] = (await send('POST', '/api/v1/media', blob)).key;
    }
    items.push(item);
  }
  const answer = await send('POST', commands[0].batch.path, { records: items });
  const byRef = new Map((answer.results || []).map((r) => [r.ref, r]));
  const outcomes = new Map();
  for (const command of commands) {
    const result = byRef.get(command.id);
    if (!result) throw { status: 0, detail: 'no answer for this record' };
    if (result.outcome === 'refused') {
      outcomes.set(command.id, { status: 'failed', error: { status: 409, detail: result.reason } });
    } else {
      outcomes.set(command.id, { status: 'sent', result });
    }
  }
  return outcomes;
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
    for (let i = 0; i < commands.length; i += 1) {
      const { id } = commands[i];
      const command = await getCommand(id); // discarded or sent by another replay meanwhile?
      if (!command || command.state !== 'pending') continue;
      if (command.batch) {
        const group = [command];
        while (group.length < BATCH_MAX && i + 1 < commands.length) {
          const next = await getCommand(commands[i + 1].id);
          if (!next || next.state !== 'pending') { i += 1; continue; }
          if (!next.batch || next.batch.path !== command.batch.path) break;
          group.push(next);
          i += 1;
        }
        try {
          const results = await deliverBatch(group, send);
          for (const member of group) {
            const outcome = results.get(member.id);
            if (outcome.status === 'sent') await deleteCommand(member.id);
            else await putCommand({ ...member, state: 'failed', attempts: member.attempts + 1, error: outcome.error });
            outcomes.set(member.id, outcome);
          }
        } catch (err) {
          const error = { status: err.status || 0, detail: err.detail || String(err.message || err) };
          const retry = isRetryable(error.status);
          for (const member of group) {
            await putCommand({ ...member, ...(retry ? {} : { state: 'failed' }), attempts: member.attempts + 1, error });
            outcomes.set(member.id, { status: retry ? 'queued' : 'failed', error });
          }
          if (retry) break;
        }
        continue;
      }
      try {
        const result = await deliver(command, send);
        await deleteCommand(id);
        outcomes.set(id, { status: 'sent', result });
      } catch (err) {
        const error = { status: err.status || 0, detail: err.detail || String(err.message || err), extra: err.extra || null };
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
