// 时长: volunteer hours of a community I look after, person by person.
import { getCommunityHours } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { LoadError, Loading, useLoad } from '../../ui/kit.jsx';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';


const number = (value) => new Intl.NumberFormat(getLocale() === 'en' ? 'en' : 'zh', { maximumFractionDigits: 2 }).format(value);

export function CommunityHours({ user }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  const hours = useCommunityLoad(choice, getCommunityHours);
  const data = hours.data;
  return (
    <>
      <CommunityPicker choice={choice} testid="hours-community" />
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
