// 我的服务时长: volunteer hours credited when residents confirm a wish, and the
// weekly times the volunteer can help (可服务时间), which they keep up to date.
import { useState } from 'preact/hooks';
import { getHours, getMyVolunteerProfile, saveVolunteerProfile } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { AvailabilityEditor, slotsValid } from '../people/Availability.jsx';
import { wishHref } from './common.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';

function MyAvailability({ profile }) {
  const [slots, setSlots] = useState(profile.availability || []);
  const [state, setState] = useState({ step: 'idle' }); // idle | busy | saved | error
  const save = async () => {
    if (!slotsValid(slots)) return;
    setState({ step: 'busy' });
    try {
      await saveVolunteerProfile(profile.user_id, { trades: profile.trades, availability: slots });
      setState({ step: 'saved' });
    } catch (error) {
      setState({ step: 'error', error });
    }
  };
  return (
    <div class="card form" data-testid="my-availability">
      <AvailabilityEditor
        value={slots}
        onChange={(next) => {
          setSlots(next);
          setState({ step: 'idle' });
        }}
      />
      <button type="button" class="btn btn--primary btn--block" data-testid="my-availability-save" disabled={state.step === 'busy'} onClick={save}>
        {state.step === 'busy' && <span class="spinner" aria-hidden="true" />}
        {t('wish.hours.save_times')}
      </button>
      {state.step === 'saved' && (
        <p class="alert alert--ok" role="status" data-testid="my-availability-saved">
          {t('wish.hours.times_saved')}
        </p>
      )}
      {state.step === 'error' && (
        <p class="alert alert--error" role="alert">
          {(state.error && state.error.detail) || String(state.error)}
        </p>
      )}
    </div>
  );
}

const number = (value) => new Intl.NumberFormat(getLocale() === 'en' ? 'en' : 'zh', { maximumFractionDigits: 2 }).format(value);

export default function Hours() {
  const hours = useLoad(getHours, []);
  const profile = useLoad(getMyVolunteerProfile, []);
  const data = hours.data;
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="hours" data-state={hours.state}>
      <PageHead title={t('wish.hours.title')} />
      {hours.state === 'loading' && <Loading />}
      {hours.state === 'error' && <LoadError error={hours.error} onRetry={hours.reload} />}
      {data && (
        <>
          <div class="card hours__total">
            <span class="muted">{t('wish.hours.total')}</span>
            <strong data-testid="hours-total" data-total={data.total}>
              {t('wish.hours.value', { hours: number(data.total) })}
            </strong>
          </div>
          {data.entries.length === 0 && <p class="card muted">{t('wish.hours.empty')}</p>}
          <ul class="wishlist">
            {data.entries.map((entry) => (
              <li key={`${entry.source_type}:${entry.source_id}:${entry.credited_at}`} class="card hours__entry" data-testid="hours-entry">
                <strong>{t('wish.hours.value', { hours: number(entry.hours) })}</strong>
                {entry.source_type === 'wish' ? (
                  <a href={wishHref(entry.source_id)}>{t('wish.hours.for_wish', { id: entry.source_id })}</a>
                ) : (
                  <span>{entry.source_type}</span>
                )}
                <span class="muted">{formatDate(entry.credited_at)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {profile.data && (
        <>
          <h2 class="section-title">{t('wish.hours.my_times')}</h2>
          <MyAvailability profile={profile.data} />
        </>
      )}
    </section>
  );
}
