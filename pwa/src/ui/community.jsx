// Which community a screen shows, for those who look after more than one.
import { useState } from 'preact/hooks';
import { getCommunities } from '../api.js';
import { t } from '../i18n/index.js';
import { userCommunities } from '../roles.js';
import { useLoad } from './kit.jsx';

// Roles over more than one community: their communities are the scoped list
// of areas (a sub-district's, or the whole city's), not read from the map.
const WIDE_LEVELS = ['sub_district', 'district', 'city'];
const isWide = (user) =>
  ((user && user.roles) || []).some((r) => r.role === 'system_admin' || WIDE_LEVELS.includes(r.scope_level));

/** [{code, name}] of every community in this user's scope, the first the default. */
export async function communitiesInScope(user) {
  if (!isWide(user)) return userCommunities(user);
  const areas = await getCommunities();
  return areas.map((area) => ({ code: area.code, name: area.name || area.code }));
}

/**
 * The communities whose data this user looks at, and the one chosen (the first
 * until they pick another): {communities, chosen, choose}.
 */
export function useCommunityChoice(user) {
  const communities = useLoad(() => communitiesInScope(user), []);
  const [code, setCode] = useState('');
  const chosen = code || (communities.data && communities.data[0] && communities.data[0].code) || '';
  return { communities, chosen, choose: setCode };
}

/**
 * Loads `fetch(chosen)` for the chosen community. While the communities are
 * still being found it waits; when they could not be found it fails with
 * their error (never an empty list that reads as "nothing waiting"); `empty`
 * is the answer when this user has no community at all.
 */
export function useCommunityLoad(choice, fetch, deps = [], empty = null) {
  const { communities, chosen } = choice;
  const result = useLoad(() => {
    if (chosen) return fetch(chosen);
    if (communities.state === 'error') return Promise.reject(communities.error);
    if (communities.state === 'loading') return new Promise(() => {});
    return Promise.resolve(empty);
  }, [chosen, communities.state, ...deps]);
  // Retrying a failed look-up of the communities retries the whole screen.
  return { ...result, reload: () => (chosen ? result.reload() : communities.reload()) };
}

/** The community picker, shown only to those who look after more than one (its failure shows on the list). */
export function CommunityPicker({ choice, testid }) {
  const { communities, chosen, choose } = choice;
  if (!communities.data || communities.data.length < 2) return null;
  return (
    <label class="field">
      <span class="field__label">{t('wish.board.community')}</span>
      <select class="select--boxed" data-testid={testid} value={chosen} onChange={(e) => choose(e.currentTarget.value)}>
        {communities.data.map((c) => (
          <option key={c.code} value={c.code}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
}
