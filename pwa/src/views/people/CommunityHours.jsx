// 时长: volunteer hours of a community I look after, person by person.
import { useState } from 'preact/hooks';
import { getCommunityHours } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { userCommunities } from '../../roles.js';
import { LoadError, Loading, useLoad } from '../wishes/common.jsx';

const number = (value) => new Intl.NumberFormat(getLocale() === 'en' ? 'en' : 'zh', { maximumFractionDigits: 2 }).format(value);

export function CommunityHours({ user }) {
  const communities = useLoad(() => userCommunities(user), []);
  const [code, setCode] = useState('');
  const chosen = code || (communities.data && communities.data[0] && communities.data[0].code) || '';
  const hours = useLoad(() => (chosen ? getCommunityHours(chosen) : Promise.resolve(null)), [chosen]);
  const data = hours.data;
  return (
    <>
      {communities.data && communities.data.length > 1 && (
        <label class="field">
          <span class="field__label">{t('wish.board.community')}</span>
          <select class="select--boxed" data-testid="hours-community" value={chosen} onChange={(e) => setCode(e.currentTarget.value)}>
            {communities.data.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {communities.state === 'error' && <LoadError error={communities.error} onRetry={communities.reload} />}
      {(hours.state === 'loading' || communities.state === 'loading') && <Loading />}
      {hours.state === 'error' && <LoadError error={hours.error} onRetry={hours.reload} />}
      {data && (
        <>
          <div class="card hours__total">
            <span class="muted">{t('people.hours.total', { community: data.community })}</span>
            <strong data-testid="community-hours-total" data-total={data.total}>
              {t('wish.hours.value', { hours: number(data.total) })}
            </strong>
          </div>
          {data.people.length === 0 && (
            <p class="card muted" data-testid="community-hours-empty">
              {t('people.hours.empty')}
            </p>
          )}
          <ul class="wishlist">
            {data.people.map((p) => (
              <li key={p.name} class="card hours__entry" data-testid="community-hours-person">
                <strong>{p.name}</strong>
                <span>{t('wish.hours.value', { hours: number(p.hours) })}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
