// 我的服务时长: volunteer hours credited when residents confirm a wish.
import { getHours } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { formatDate, LoadError, Loading, PageHead, useLoad, wishHref } from './common.jsx';

const number = (value) => new Intl.NumberFormat(getLocale() === 'en' ? 'en' : 'zh', { maximumFractionDigits: 2 }).format(value);

export default function Hours() {
  const hours = useLoad(getHours, []);
  const data = hours.data;
  return (
    <section class="page page--narrow wishes" aria-labelledby="page-title" data-testid="hours" data-state={hours.state}>
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
    </section>
  );
}
