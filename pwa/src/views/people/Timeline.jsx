// 时间线: one resident's visits and the wishes posted for them, newest first,
// for the community office and the grid worker of their grid. The server writes
// every opening to the audit log, and says so here; it sends no phone, ID number
// or address. Reached from the resident list.
import { getResidentTimeline } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { LoadError, Loading, PageHead, formatDate, useLoad } from '../../ui/kit.jsx';
import { Chips, tagName } from './shared.jsx';
import './timeline.css';

const LOCALES = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en-GB' };

// The phone sends needs in words; a need given as one of the screen's codes is named.
const NEEDS = new Set(['medical', 'meals', 'repair', 'errand', 'company']);
const needName = (need) => (NEEDS.has(need) ? t(`visit.need.${need}`) : need);

const day = (iso) =>
  new Intl.DateTimeFormat(LOCALES[getLocale()], { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));

function VisitEntry({ item }) {
  return (
    <li class={`card timeline__item${item.urgent ? ' timeline__item--urgent' : ''}`} data-testid="timeline-item" data-kind="visit" data-state={item.visit_state}>
      <div class="timeline__head">
        <span class="timeline__date">{day(item.on)}</span>
        <strong>{t(`timeline.visit.${item.visit_state}`)}</strong>
        {item.urgent && <span class="chip">{t('timeline.urgent')}</span>}
      </div>
      {item.who && <p>{t('timeline.visitor', { name: item.who })}</p>}
      {item.at && <p class="muted">{formatDate(item.at)}</p>}
      {item.condition && <p>{t('timeline.condition', { condition: t(`visit.condition.${item.condition}`) })}</p>}
      {item.needs && item.needs.length > 0 && <Chips items={item.needs} name={needName} testid="timeline-need" />}
      {item.notes && <p data-testid="timeline-notes">{item.notes}</p>}
    </li>
  );
}

function WishEntry({ item }) {
  return (
    <li class="card timeline__item timeline__item--wish" data-testid="timeline-item" data-kind="wish" data-state={item.wish_state}>
      <div class="timeline__head">
        <span class="timeline__date">{day(item.on)}</span>
        <strong>{t('timeline.wish', { title: item.title })}</strong>
      </div>
      <p>{t(`wish.state.${item.wish_state}`)}</p>
      {item.who && <p class="muted">{t('timeline.by', { name: item.who })}</p>}
    </li>
  );
}

export default function Timeline({ id }) {
  const timeline = useLoad(() => getResidentTimeline(id), [id]);
  const data = timeline.data;
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="resident-timeline" data-state={timeline.state}>
      <PageHead title={data ? t('timeline.heading', { name: data.name }) : t('timeline.title')} back="#/people" />
      <p class="alert alert--info" data-testid="timeline-audited">
        {t('timeline.audited')}
      </p>
      {timeline.state === 'loading' && !data && <Loading />}
      {timeline.state === 'error' && <LoadError error={timeline.error} onRetry={timeline.reload} />}
      {data && (
        <>
          <Chips items={data.care_tags} name={tagName} testid="timeline-care-tag" />
          {data.items.length === 0 ? (
            <p class="card muted" data-testid="timeline-empty">
              {t('timeline.empty')}
            </p>
          ) : (
            <ol class="timeline" aria-label={t('timeline.title')}>
              {data.items.map((item) =>
                item.kind === 'visit' ? (
                  <VisitEntry key={`v${item.visit_id}`} item={item} />
                ) : (
                  <WishEntry key={`w${item.wish_id}-${item.at}-${item.action}`} item={item} />
                ),
              )}
            </ol>
          )}
          {data.more && <p class="muted">{t('timeline.more')}</p>}
        </>
      )}
    </section>
  );
}
