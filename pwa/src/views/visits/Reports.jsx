// 待核走访记录: the visit records phones sent that could not be applied (the household
// was reassigned meanwhile, or someone else recorded the visit first), for the
// community office to review one by one: 记为已走访 records the visit from the report
// (as its reporter made it), 不采用 sets it aside with a note. The office is sent here
// by the notice of kept records (template visit.kept). A report is reviewed once: a
// clerk who comes second is told so and the list is read again.
import { useState } from 'preact/hooks';
import { getVisitReports, reviewVisitReport } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { ErrorNote, formatDate, LoadError, Loading, PageHead } from '../../ui/kit.jsx';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import './reports.css';

const PAGE = 20;
const REASONS = ['reassigned', 'already_recorded', 'cancelled', 'unplanned'];
const LOCALES = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en-GB' };

const reasonText = (reason) => t(REASONS.includes(reason) ? `visit.reports.reason.${reason}` : 'visit.reports.reason.other');
const stateName = (state) => t(`visit.reports.state.${state}`);

function dayLabel(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(LOCALES[getLocale()], { month: 'numeric', day: 'numeric', weekday: 'short', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
}

/** When the visit was to be made: its planned day and window, else its due date. */
function when(report) {
  if (report.visit_date) {
    const window = report.window ? ` ${t(`visit.window.${report.window}`)}` : '';
    return `${dayLabel(report.visit_date)}${window}`;
  }
  return t('visit.reports.due_by', { day: dayLabel(report.due_by) });
}

function Fact({ label, children, testid }) {
  return (
    <div class="report__fact" data-testid={testid}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Sent({ sent }) {
  return (
    <div class="report__sent" data-testid="report-sent">
      <p class="report__sent-title">{t('visit.reports.sent')}</p>
      <p>
        {sent.condition && (
          <span class="chip chip--ok" data-testid="report-condition" data-value={sent.condition}>
            {t('visit.reports.condition', { condition: t(`visit.condition.${sent.condition}`) })}
          </span>
        )}
        {sent.urgent && (
          <span class="chip chip--party report__urgent" data-testid="report-urgent">
            {t('visit.reports.urgent')}
          </span>
        )}
      </p>
      {sent.needs.length > 0 && (
        <p data-testid="report-needs">
          {t('visit.reports.needs')}
          {sent.needs.join('、')}
        </p>
      )}
      {sent.notes && (
        <p class="report__notes" data-testid="report-notes">
          {sent.notes}
        </p>
      )}
      {sent.visited_at && <p class="muted">{t('visit.reports.visited_at', { time: formatDate(sent.visited_at) })}</p>}
    </div>
  );
}

function Outcome({ report }) {
  const applied = report.decision === 'applied';
  return (
    <div class={`alert ${applied ? 'alert--ok' : 'alert--info'}`} role="status" data-testid="report-outcome" data-decision={report.decision}>
      <p class="report__decision">{t(applied ? 'visit.reports.applied' : 'visit.reports.dismissed')}</p>
      {report.review_note && <p data-testid="report-note">{t('visit.reports.note_was', { note: report.review_note })}</p>}
      <p class="muted">{t('visit.reports.reviewed_by', { name: report.reviewed_by || '', time: formatDate(report.reviewed_at) })}</p>
    </div>
  );
}

function ReportCard({ report, onReviewed, onStale }) {
  const [dismissing, setDismissing] = useState(false);
  const [note, setNote] = useState('');
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const decide = async (body) => {
    setBusy(true);
    setError(null);
    try {
      onReviewed(await reviewVisitReport(report.id, body));
    } catch (err) {
      setError(err);
      if (err && err.status === 409) onStale();
    } finally {
      setBusy(false);
    }
  };
  const dismiss = () => {
    if (!note.trim()) return setMissing(true);
    return decide({ decision: 'dismiss', note: note.trim() });
  };
  const open = report.state === 'open';
  return (
    <li class="card report" data-testid="report" data-id={report.id} data-state={report.state} data-reason={report.reason}>
      <div class="report__head">
        <div>
          <p class="report__who">{report.resident}</p>
          {report.building && <p class="muted">{report.building}</p>}
        </div>
        <span class="badge report__reason" data-testid="report-reason">
          {reasonText(report.reason)}
        </span>
      </div>
      <dl class="report__facts">
        <Fact label={t('visit.reports.visit')} testid="report-when">
          {when(report)}
        </Fact>
        <Fact label={t('visit.reports.reporter')} testid="report-reporter">
          {report.reporter}
        </Fact>
        <Fact label={t('visit.reports.visitor')} testid="report-visitor">
          {report.visitor || t('visit.reports.nobody')}
        </Fact>
        <Fact label={t('visit.reports.received')}>{formatDate(report.received_at)}</Fact>
        <Fact label={t('visit.reports.visit_state')} testid="report-visit-state">
          {stateName(report.visit_state)}
        </Fact>
      </dl>
      <Sent sent={report.sent} />
      {!open && <Outcome report={report} />}
      {open && !report.recordable && (
        <p class="muted" data-testid="report-not-recordable">
          {t('visit.reports.not_recordable', { state: stateName(report.visit_state) })}
        </p>
      )}
      {open && !dismissing && (
        <div class="actions__row">
          <button
            type="button"
            class="btn btn--primary"
            data-testid="report-apply"
            disabled={busy || !report.recordable}
            onClick={() => decide({ decision: 'apply', expected_version: report.visit_version })}
          >
            {busy && <span class="spinner" aria-hidden="true" />}
            {t('visit.reports.apply')}
          </button>
          <button type="button" class="btn" data-testid="report-dismiss" disabled={busy} onClick={() => setDismissing(true)}>
            {t('visit.reports.dismiss')}
          </button>
        </div>
      )}
      {open && dismissing && (
        <div class="form" data-testid="report-dismiss-form">
          <label class="field">
            <span class="field__label">{t('visit.reports.dismiss_note')}</span>
            <textarea
              rows={2}
              maxLength={500}
              data-testid="report-dismiss-note"
              placeholder={t('visit.reports.dismiss_placeholder')}
              value={note}
              onInput={(e) => {
                setNote(e.currentTarget.value);
                setMissing(false);
              }}
            />
          </label>
          {missing && (
            <p class="field__error" role="alert" data-testid="report-dismiss-missing">
              {t('visit.reports.dismiss_missing')}
            </p>
          )}
          <div class="actions__row">
            <button type="button" class="btn btn--primary" data-testid="report-dismiss-confirm" disabled={busy} onClick={dismiss}>
              {busy && <span class="spinner" aria-hidden="true" />}
              {t('visit.reports.dismiss_confirm')}
            </button>
            <button type="button" class="btn btn--ghost" data-testid="report-dismiss-cancel" disabled={busy} onClick={() => setDismissing(false)}>
              {t('visit.reports.cancel')}
            </button>
          </div>
        </div>
      )}
      <ErrorNote error={error} testid="report-error" />
    </li>
  );
}

export default function Reports({ user }) {
  const choice = useCommunityChoice(user);
  const [state, setState] = useState('open');
  const [shown, setShown] = useState(PAGE);
  const reports = useCommunityLoad(choice, (code) => getVisitReports(code, state, shown), [state, shown]);
  const [said, setSaid] = useState('');
  const data = reports.data;
  const items = (data && data.items) || [];
  const reviewed = (report) => {
    // The card stays where it is, now saying what was decided; the count goes down.
    reports.setData((page) => ({
      ...page,
      items: page.items.map((item) => (item.id === report.id ? report : item)),
    }));
    setSaid(t(report.decision === 'applied' ? 'visit.reports.applied_said' : 'visit.reports.dismissed_said', { resident: report.resident }));
  };
  const open = items.filter((item) => item.state === 'open').length;
  return (
    <section class="page stack" aria-labelledby="page-title" data-testid="visit-reports" data-state={reports.state}>
      <PageHead title={t('visit.reports.title')} />
      <p class="muted">{t('visit.reports.intro')}</p>
      <CommunityPicker choice={choice} testid="reports-community" />
      <div class="segmented" role="group" aria-label={t('visit.reports.title')}>
        {['open', 'reviewed'].map((value) => (
          <button
            key={value}
            type="button"
            class={`segmented__btn${state === value ? ' segmented__btn--on' : ''}`}
            aria-pressed={state === value ? 'true' : 'false'}
            data-testid="reports-tab"
            data-value={value}
            onClick={() => {
              setState(value);
              setShown(PAGE);
              setSaid('');
            }}
          >
            {t(`visit.reports.tab.${value}`)}
          </button>
        ))}
      </div>
      {said && (
        <p class="alert alert--ok" role="status" data-testid="reports-said">
          {said}
        </p>
      )}
      {reports.state === 'loading' && !data && <Loading />}
      {reports.state === 'error' && <LoadError error={reports.error} onRetry={reports.reload} />}
      {data && (
        <>
          <p class="muted" data-testid="reports-count" data-total={data.total}>
            {state === 'open' ? t('visit.reports.count_open', { count: Math.max(0, data.total - (items.length - open)) }) : t('visit.reports.count_reviewed', { count: data.total })}
          </p>
          {items.length === 0 && (
            <p class="card muted" data-testid="reports-empty">
              {t(`visit.reports.empty.${state}`)}
            </p>
          )}
          <ul class="reports" data-testid="reports-list">
            {items.map((report) => (
              <ReportCard key={report.id} report={report} onReviewed={reviewed} onStale={reports.reload} />
            ))}
          </ul>
          {items.length < data.total && (
            <button type="button" class="btn btn--block" data-testid="reports-more" onClick={() => setShown((n) => n + PAGE)}>
              {t('visit.reports.more')}
            </button>
          )}
        </>
      )}
    </section>
  );
}
