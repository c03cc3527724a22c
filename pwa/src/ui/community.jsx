// Which community a screen shows, for those who look after more than one.
import { useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { userCommunities } from '../roles.js';
import { LoadError, useLoad } from './kit.jsx';

/**
 * The communities whose data this user looks at, and the one chosen (the first
 * until they pick another): {communities, chosen, choose}.
 */
export function useCommunityChoice(user) {
  const communities = useLoad(() => userCommunities(user), []);
  const [code, setCode] = useState('');
  const chosen = code || (communities.data && communities.data[0] && communities.data[0].code) || '';
  return { communities, chosen, choose: setCode };
}

/** The community picker, shown only to those who look after more than one; its load error. */
export function CommunityPicker({ choice, testid }) {
  const { communities, chosen, choose } = choice;
  if (communities.state === 'error') return <LoadError error={communities.error} onRetry={communities.reload} />;
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
