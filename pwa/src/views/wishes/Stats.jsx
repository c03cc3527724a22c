// 心愿统计: how the wish board of a community did over a period — posted,
// approved, claimed, fulfilled, confirmed; the median time to fulfil; who
// fulfilled most (names masked). For community and sub-district leaders; those
// over several communities also compare them side by side in one table.
import { useState } from 'preact/hooks';
import { getWishStats } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';


const PERIODS = [7, 30, 90, 365];
const STEPS = ['posted', 'approved', 'claimed', 'fulfilled', 'confirmed'];
const number = (value) => new Intl.NumberFormat(getLocale() === 'en' ? 'en' : 'zh', { maximumFractionDigits: 1 }).format(value);

function Funnel({ stats }) {
  const most = Math.max(1, ...STEPS.map((step) => stats[step]));
  return (
    <ol class="funnel" data-testid="stats-funnel">
      {STEPS.map((step) => (
        <li key={step} class="funnel__row" data-testid="stats-step" data-step={step} data-count={stats[step]}>
          <span class="funnel__label">{t(`wish.stats.${step}`)}</span>
          <span class="funnel__bar" style={{ width: `${Math.round((stats[step] / most) * 100)}%` }} aria-hidden="true" />
          <strong class="funnel__count">{number(stats[step])}</strong>
        </li>
      ))}
    </ol>
  );
}

/** Every community of the scope in one table: the same figures, one row each, and their sum. */
function Comparison({ communities, days }) {
  const codes = communities.map((c) => c.code).join(',');
  const rows = useLoad(
    () => Promise.all(communities.map((c) => getWishStats(c.code, days).then((stats) => ({ ...stats, code: c.code, name: c.name })))),
    [codes, days],
  );
  if (rows.state === 'loading') return <Loading />;
  if (rows.state === 'error') return <LoadError error={rows.error} onRetry={rows.reload} />;
  const total = Object.fromEntries(STEPS.map((step) => [step, rows.data.reduce((sum, row) => sum + row[step], 0)]));
  return (
    <div class="tablewrap" data-testid="stats-compare">
      <table class="table">
        <caption>{t('wish.stats.compare_caption', { days })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('wish.stats.community')}</th>
            {STEPS.map((step) => (
              <th key={step} scope="col" class="num">
                {t(`wish.stats.${step}`)}
              </th>
            ))}
            <th scope="col" class="num">
              {t('wish.stats.median_hours')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.data.map((row) => (
            <tr key={row.code} data-testid="stats-compare-row" data-code={row.code}>
              <th scope="row">{row.name}</th>
              {STEPS.map((step) => (
                <td key={step} class="num" data-step={step}>
                  {number(row[step])}
                </td>
              ))}
              <td class="num">{row.median_hours_to_fulfil == null ? '—' : number(row.median_hours_to_fulfil)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="stats-compare-total">
            <th scope="row">{t('wish.stats.total')}</th>
            {STEPS.map((step) => (
              <td key={step} class="num" data-step={step}>
                {number(total[step])}
              </td>
            ))}
            <td class="num">—</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

export default function Stats({ user }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  const [days, setDays] = useState(30);
  const several = Boolean(communities.data && communities.data.length > 1);
  // Those over several communities see them side by side first, and may open one.
  const [compareChosen, setCompare] = useState(true);
  const compare = several && compareChosen;
  const stats = useCommunityLoad(choice, (code) => getWishStats(code, days), [days]);
  const data = stats.data;
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="wish-stats" data-state={stats.state}>
      <PageHead title={t('wish.stats.title')} />
      {several && (
        <div class="segmented" role="group" aria-label={t('wish.stats.show')}>
          {[false, true].map((on) => (
            <button
              key={String(on)}
              type="button"
              class={`segmented__btn${compare === on ? ' segmented__btn--on' : ''}`}
              aria-pressed={compare === on ? 'true' : 'false'}
              data-testid={on ? 'stats-mode-compare' : 'stats-mode-one'}
              onClick={() => setCompare(on)}
            >
              {on ? t('wish.stats.compare') : t('wish.stats.one')}
            </button>
          ))}
        </div>
      )}
      {!compare && <CommunityPicker choice={choice} testid="stats-community" />}
      <div class="segmented" role="group" aria-label={t('wish.stats.period')}>
        {PERIODS.map((n) => (
          <button
            key={n}
            type="button"
            class={`segmented__btn${days === n ? ' segmented__btn--on' : ''}`}
            aria-pressed={days === n ? 'true' : 'false'}
            data-testid="stats-period"
            data-days={n}
            onClick={() => setDays(n)}
          >
            {t('wish.stats.days', { days: n })}
          </button>
        ))}
      </div>
      {compare && <Comparison communities={communities.data} days={days} />}
      {!compare && (stats.state === 'loading' || communities.state === 'loading') && <Loading />}
      {!compare && stats.state === 'error' && <LoadError error={stats.error} onRetry={stats.reload} />}
      {!compare && data && (
        <>
          <article class="card">
            <h2>{t('wish.stats.heading', { community: data.community, days })}</h2>
            <Funnel stats={data} />
            <p data-testid="stats-median">
              {data.median_hours_to_fulfil == null
                ? t('wish.stats.no_median')
                : t('wish.stats.median', { hours: number(data.median_hours_to_fulfil) })}
            </p>
          </article>
          <h2 class="section-title">{t('wish.stats.top')}</h2>
          {data.top_contributors.length === 0 ? (
            <p class="card muted">{t('wish.stats.no_top')}</p>
          ) : (
            <ol class="wishlist">
              {data.top_contributors.map((c, i) => (
                <li key={`${c.name}-${i}`} class="card hours__entry" data-testid="stats-contributor">
                  <strong>{c.name}</strong>
                  <span>{t('wish.stats.fulfilled_n', { count: c.fulfilled })}</span>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}
