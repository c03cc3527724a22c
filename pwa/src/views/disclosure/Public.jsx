// 社区三公开: what a community promised for the year (承诺), what it is working on
// (进展) and what it has done (结果), with the two evaluations (两评). Public: no
// log-in, nothing personal (the server sends figures and anonymised cases only).
// Large type for elderly readers; one column on a phone, two on a desktop.
import { useState } from 'preact/hooks';
import { getDisclosure, getPublicCommunities } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';

function Figure({ value, label, testid }) {
  return (
    <div class="disc-figure" data-testid={testid}>
      <span class="disc-figure__value">{value}</span>
      <span class="disc-figure__label">{label}</span>
    </div>
  );
}

function Examples({ items, done, testid }) {
  if (!items.length) return <p class="muted">{t('disclosure.no_examples')}</p>;
  return (
    <ul class="disc-examples" data-testid={testid}>
      {items.map((c, i) => (
        <li key={i} class="disc-example">
          <strong>{c.item}</strong>
          <span class={`disc-state disc-state--${c.state}`}>{c.state_label}</span>
          <span class="muted">
            {c.grid} · {t('disclosure.received_on', { date: c.received_on })}
            {done && c.done_on ? ` · ${t('disclosure.done_on', { date: c.done_on })}` : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

export default function Public({ code, user }) {
  // The server writes the page in the reader's language: a switch of language loads it anew.
  const locale = getLocale();
  const communities = useLoad(getPublicCommunities, [locale]);
  const chosen = code || (communities.data && communities.data[0] && communities.data[0].code) || '';
  const [year, setYear] = useState(0);
  const page = useLoad(() => (chosen ? getDisclosure(chosen, year) : new Promise(() => {})), [chosen, year, locale]);
  const d = page.data;
  const pick = (next) => {
    setYear(0);
    window.location.hash = `#/disclosure/${next}`;
  };
  return (
    <section class="page disclosure stack" aria-labelledby="page-title" data-testid="disclosure" data-state={page.state}>
      <PageHead title={t('disclosure.title')} back={user ? '#/home' : '#/login'} />
      <p class="disc-lead">{t('disclosure.lead')}</p>
      <div class="disc-pickers">
        {communities.data && communities.data.length > 0 && (
          <label class="field">
            <span class="field__label">{t('disclosure.community')}</span>
            <select class="select--boxed" data-testid="disclosure-community" value={chosen} onChange={(e) => pick(e.currentTarget.value)}>
              {communities.data.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.sub_district} · {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {d && (
          <label class="field">
            <span class="field__label">{t('disclosure.year')}</span>
            <select class="select--boxed" data-testid="disclosure-year" value={d.year} onChange={(e) => setYear(Number(e.currentTarget.value))}>
              {d.years.map((y) => (
                <option key={y} value={y}>
                  {y}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {communities.state === 'error' && <LoadError error={communities.error} onRetry={communities.reload} />}
      {page.state === 'loading' && !d && <Loading />}
      {page.state === 'error' && <LoadError error={page.error} onRetry={page.reload} />}
      {d && (
        <div class="disc-grid">
          <section class="card disc-section" data-testid="disclosure-commitments" aria-labelledby="disc-commitments">
            <h2 id="disc-commitments">{t('disclosure.commitments', { community: d.community_name, year: d.year })}</h2>
            {d.commitments.length === 0 && <p class="muted">{t('disclosure.no_commitments')}</p>}
            <ol class="disc-commitments">
              {d.commitments.map((c, i) => (
                <li key={i} class="disc-commitment" data-testid="disclosure-commitment">
                  <div class="disc-commitment__head">
                    <strong class="disc-commitment__title">{c.title}</strong>
                    <span class={`disc-status disc-status--${c.status}`} data-testid="disclosure-status">
                      {c.status_label}
                    </span>
                  </div>
                  <p class="disc-commitment__target">
                    {t('disclosure.target')}：{c.target}
                  </p>
                  {c.due_date && <p class="muted">{t('disclosure.due', { date: c.due_date })}</p>}
                  {c.progress_note && (
                    <p class="disc-commitment__note" data-testid="disclosure-note">
                      {t('disclosure.progress')}：{c.progress_note}
                    </p>
                  )}
                </li>
              ))}
            </ol>
          </section>

          <section class="card disc-section" data-testid="disclosure-progress" aria-labelledby="disc-progress">
            <h2 id="disc-progress">{t('disclosure.in_progress')}</h2>
            <div class="disc-figures">
              <Figure value={d.figures.cases_received} label={t('disclosure.cases_received')} testid="fig-received" />
              <Figure value={d.figures.cases_open} label={t('disclosure.cases_open')} testid="fig-open" />
            </div>
            {d.figures.by_category.length > 0 && (
              <ul class="disc-categories" data-testid="disclosure-categories">
                {d.figures.by_category.map((c) => (
                  <li key={c.category} class="disc-category">
                    <strong>{c.category}</strong>
                    <span>{t('disclosure.category_counts', { received: c.received, open: c.open, done: c.done })}</span>
                  </li>
                ))}
              </ul>
            )}
            <h3>{t('disclosure.recent_open')}</h3>
            <Examples items={d.in_progress} testid="disclosure-open-cases" />
          </section>

          <section class="card disc-section" data-testid="disclosure-results" aria-labelledby="disc-results">
            <h2 id="disc-results">{t('disclosure.results')}</h2>
            <div class="disc-figures">
              <Figure value={d.figures.cases_done} label={t('disclosure.cases_done')} testid="fig-done" />
              <Figure value={d.figures.wishes_fulfilled} label={t('disclosure.wishes_fulfilled')} testid="fig-wishes" />
              <Figure value={d.figures.visits_made} label={t('disclosure.visits_made')} testid="fig-visits" />
            </div>
            <h3>{t('disclosure.recent_done')}</h3>
            <Examples items={d.recently_done} done testid="disclosure-done-cases" />
          </section>

          <section class="card disc-section" data-testid="disclosure-evaluations" aria-labelledby="disc-evaluations">
            <h2 id="disc-evaluations">{t('disclosure.evaluations')}</h2>
            {d.evaluations.length === 0 && <p class="muted">{t('disclosure.no_evaluations')}</p>}
            <ul class="disc-evaluations">
              {d.evaluations.map((e) => (
                <li key={`${e.period}-${e.kind}`} class="disc-evaluation" data-testid="disclosure-evaluation">
                  <div class="disc-commitment__head">
                    <strong>
                      {e.period_label} · {e.kind_label}
                    </strong>
                    <span class={`disc-grade disc-grade--${e.grade}`}>{e.grade_label}</span>
                  </div>
                  {(e.score != null || e.respondents != null) && (
                    <p class="muted">
                      {e.score != null && t('disclosure.score', { score: e.score })}
                      {e.score != null && e.respondents != null && ' · '}
                      {e.respondents != null && t('disclosure.respondents', { count: e.respondents })}
                    </p>
                  )}
                  {e.note && <p>{e.note}</p>}
                </li>
              ))}
            </ul>
          </section>
        </div>
      )}
      <p class="muted disc-footnote">{t('disclosure.footnote')}</p>
      {!user && (
        <a class="btn btn--ghost" href="#/login" data-testid="disclosure-login">
          {t('disclosure.staff_login')}
        </a>
      )}
    </section>
  );
}
