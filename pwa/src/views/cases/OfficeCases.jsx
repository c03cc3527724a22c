// 案件: the community office's cases, newest first, by state, item, the level
// holding them (what has gone up to the sub-district) and overdue,
// a page at a time: a table on a desk (≥1024 px), cards on a phone. Each opens
// the case's page with every action the office may take; intake for a walk-in
// resident or a hotline caller starts here.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { getCatalogue, getCommunityCases } from './casesApi.js';
import { CaseCard, caseHref, CaseState } from './common.jsx';

const PAGE = 20;
const LEVELS = ['grid', 'community', 'sub_district', 'department'];
const STATES = ['received', 'accepted', 'dispatched', 'in_progress', 'resolved', 'closed', 'rejected', 'merged'];

function Table({ cases }) {
  return (
    <div class="tablewrap casetable" data-testid="case-table">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{t('case.field.number')}</th>
            <th scope="col">{t('case.field.item')}</th>
            <th scope="col">{t('case.field.state')}</th>
            <th scope="col">{t('case.field.grid')}</th>
            <th scope="col">{t('case.field.reporter')}</th>
            <th scope="col">{t('case.field.assignee')}</th>
            <th scope="col">{t('case.field.promised')}</th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c) => (
            <tr key={c.id} class={c.overdue ? 'casetable__over' : ''} data-testid="case-row" data-id={c.id} data-state={c.state}>
              <th scope="row">
                <a href={caseHref(c.id)} data-testid="case-row-open">
                  {c.number}
                </a>
              </th>
              <td>
                {c.item ? c.item.name : t('case.no_item')}
                <div class="muted casetable__desc">{c.description}</div>
              </td>
              <td>
                <CaseState kase={c} />
                {c.level !== 'grid' && (
                  <div class="muted casetable__level" data-testid="case-row-level">
                    {t('case.at_level', { level: t(`case.level.${c.level}`) })}
                  </div>
                )}
              </td>
              <td>{c.grid}</td>
              <td>{c.reporter}</td>
              <td>{c.assignee}</td>
              <td class={c.overdue ? 'casedue--over' : ''}>
                {formatDate(c.due_at)}
                {c.overdue && <div>{t('case.overdue_short')}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function OfficeCases({ user, outbox }) {
  const choice = useCommunityChoice(user);
  const [state, setState] = useState('');
  const [item, setItem] = useState('');
  const [level, setLevel] = useState('');
  const [overdue, setOverdue] = useState(false);
  const [offset, setOffset] = useState(0);
  const catalogue = useLoad(getCatalogue, []);
  const page = useCommunityLoad(choice, (code) => getCommunityCases(code, { state, item, level, overdue, limit: PAGE, offset }), [state, item, level, overdue, offset]);
  const items = (page.data && page.data.items) || [];
  const total = (page.data && page.data.total) || 0;
  const filter = (set) => (value) => {
    set(value);
    setOffset(0);
  };
  const categories = (catalogue.data && catalogue.data.categories) || [];
  return (
    <section class="page stack" aria-labelledby="page-title" data-testid="office-cases" data-state={page.state}>
      <PageHead title={t('case.office.title')}>
        <a class="btn btn--primary btn--small" href="#/cases/new" data-testid="office-intake">
          ＋ {t('case.intake.title')}
        </a>
      </PageHead>
      <CommunityPicker choice={choice} testid="cases-community" />
      <div class="casefilters" role="group" aria-label={t('case.office.filters')}>
        <label class="field">
          <span class="field__label">{t('case.field.state')}</span>
          <select class="select--boxed" data-testid="filter-state" value={state} onChange={(e) => filter(setState)(e.currentTarget.value)}>
            <option value="">{t('case.office.any')}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`case.state.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span class="field__label">{t('case.field.item')}</span>
          <select class="select--boxed" data-testid="filter-item" value={item} onChange={(e) => filter(setItem)(e.currentTarget.value)}>
            <option value="">{t('case.office.any')}</option>
            {categories.map((cat) => (
              <optgroup key={cat.code} label={cat.name}>
                {cat.items.map((i) => (
                  <option key={i.code} value={i.code}>
                    {i.name}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label class="field">
          <span class="field__label">{t('case.field.level')}</span>
          <select class="select--boxed" data-testid="filter-level" value={level} onChange={(e) => filter(setLevel)(e.currentTarget.value)}>
            <option value="">{t('case.office.any')}</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {t(`case.level.${l}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="check casefilters__check">
          <input type="checkbox" data-testid="filter-overdue" checked={overdue} onChange={(e) => filter(setOverdue)(e.currentTarget.checked)} />
          {t('case.office.overdue_only')}
        </label>
      </div>
      {page.state === 'loading' && !page.data && <Loading />}
      {page.state === 'error' && <LoadError error={page.error} onRetry={page.reload} />}
      {page.data && (
        <>
          <p class="muted" data-testid="cases-total" data-total={total}>
            {t('case.office.total', { n: total })}
          </p>
          {items.length === 0 && (
            <p class="card muted" data-testid="cases-empty">
              {t('case.office.empty')}
            </p>
          )}
          {items.length > 0 && <Table cases={items} />}
          <ul class="wishlist caselist casecards">
            {items.map((kase) => (
              <CaseCard key={kase.id} kase={kase} outbox={outbox} showReporter />
            ))}
          </ul>
          {total > PAGE && (
            <div class="actions__row casepager">
              <button type="button" class="btn btn--ghost" data-testid="cases-prev" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                {t('case.office.prev')}
              </button>
              <span class="muted" data-testid="cases-page">
                {t('case.office.page', { from: offset + 1, to: Math.min(total, offset + PAGE), total })}
              </span>
              <button type="button" class="btn btn--ghost" data-testid="cases-next" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
                {t('case.office.next')}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
