// Where an action leads, from the server's rule tables (/api/v1/config "workflows",
// cached for offline use). Who may act is each object's `allowed_actions`; this is
// only for telling, after a lost answer, whether a queued action already went through.
import { getConfig } from './api.js';

let tables = null;

/** The state `action` leads to from `state` in workflow `name`, or null. */
export async function targetOf(name, state, action) {
  if (!tables) {
    tables = getConfig()
      .then((config) => (config && config.workflows) || {})
      .catch(() => {
        tables = null; // not cached yet and offline: ask again next time
        return {};
      });
  }
  const table = (await tables)[name];
  const moves = (table && table.transitions && table.transitions[action]) || {};
  return moves[state] || null;
}
