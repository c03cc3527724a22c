// 我的待办: the grid worker's open cases (of their grids, or dispatched to them),
// nearest deadline first, overdue marked. Kept on the phone (the service worker
// saves the last answer), and every action goes through the outbox: with no
// signal it waits, shown as waiting; a case changed meanwhile comes back as a
// conflict with the server's reason, never dropped in silence. As a list or on
// the map: the cases with a place as markers coloured by deadline (overdue, due
// today, later), drawn from what the phone keeps, so it opens with no signal too.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getLocale, t } from '../../i18n/index.js';
import { FieldMapFrame, useFieldMap } from '../../map/FieldMap.jsx';
import { can } from '../../roles.js';
import { targetOf } from '../../workflow.js';
import { cityDay, formatDate, LoadError, Loading, PageHead, useLoad, useStoredView } from '../../ui/kit.jsx';
import { getCaseInbox } from './casesApi.js';
import { CaseActions, CaseCard, caseHref, failedFor } from './common.jsx';

// The list or the map: the worker's last choice, kept on the phone.
const DUES = ['overdue', 'today', 'later'];
/** How near a case's deadline is, in the city's days. */
export function dueClass(kase, today = cityDay()) {
  if (kase.overdue) return 'overdue';
  return kase.due_at && cityDay(kase.due_at) <= today ? 'today' : 'later';
}

// The case's page when there is signal; with none, its card in the list (kept on the
// phone, with its actions), since a case's page is on the phone only once opened.
function popupFor(kase, onOffline) {
  const box = document.createElement('div');
  box.className = 'popup casepop';
  box.dataset.testid = 'case-popup';
  box.dataset.id = String(kase.id);
  const line = (tag, className, text) => {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    box.append(node);
  };
  line('strong', 'popup__name', `${kase.number}. ${kase.title}`);
  line('div', 'muted', [kase.case_number, kase.grid].filter(Boolean).join(' · '));
  if (kase.due_at) {
    line(
      'div',
      `casepop__due casepop__due--${kase.due}`,
      kase.due === 'overdue' ? t('case.overdue', { when: formatDate(kase.due_at) }) : t('case.due', { when: formatDate(kase.due_at) }),
    );
  }
  line('div', 'casepop__state', kase.state_name || t(`case.state.${kase.state}`));
  const open = document.createElement('a');
  open.className = 'btn btn--small btn--block btn--primary';
  open.href = caseHref(kase.id);
  open.dataset.testid = 'case-popup-open';
  open.textContent = t('case.map.open');
  open.addEventListener('click', (event) => {
    if (navigator.onLine !== false) return;
    event.preventDefault();
    onOffline(kase.id);
  });
  box.append(open);
  return box;
}

function InboxMap({ user, cases, onOffline }) {
  const today = cityDay();
  const placed = cases
    .map((kase, i) => ({ kase, number: i + 1 }))
    .filter(({ kase }) => Number.isFinite(kase.lon) && Number.isFinite(kase.lat))
    .map(({ kase, number }) => ({
      id: kase.id,
      lon: kase.lon,
      lat: kase.lat,
      number,
      due: dueClass(kase, today),
      due_at: kase.due_at,
      title: kase.item ? kase.item.name : t('case.no_item'),
      case_number: kase.number,
      grid: kase.grid,
      state: kase.state,
      state_name: kase.state_name,
    }));
  // Drawn again when what it shows changes (a case gone or moved on, the language, a new day).
  const key = `${getLocale()}|${today}|${placed.map((c) => `${c.id}:${c.due}:${c.number}:${c.state}`).join(',')}`;
  const [container, , state] = useFieldMap(
    user,
    key,
    () => import('../../map/caseMap.js'),
    (caseMap, element, { config, outline }) =>
      caseMap.createCaseMap(element, { config, outline, cases: placed, popup: (kase) => popupFor(kase, onOffline) }),
  );
  const unplaced = cases.length - placed.length;
  return (
    <div class="stack walkview" data-testid="inbox-map-view">
      <ul class="walklegend" data-testid="inbox-legend" aria-label={t('legend.title')}>
        <li class="walklegend__row walklegend__row--pins">
          {DUES.map((due) => (
            <span key={due} class="caselegend__item">
              <span class={`casepin casepin--${due} casepin--sample`} aria-hidden="true" />
              <span>
                {t(`case.map.${due}`)} <span data-testid={`inbox-legend-${due}`}>{placed.filter((c) => c.due === due).length}</span>
              </span>
            </span>
          ))}
        </li>
      </ul>
      <FieldMapFrame container={container} state={state} testid="inbox-map" markers={placed.length} />
      {unplaced > 0 && (
        <p class="muted" data-testid="inbox-unplaced">
          {t('case.map.unplaced', { count: unplaced })}
        </p>
      )}
    </div>
  );
}

export default function Inbox({ user, outbox }) {
  const list = useLoad(() => getCaseInbox(100, 0), []);
  const [view, choose] = useStoredView('linli.inbox.view');
  // Tapping "map": the legend and the map take the screen.
  const showMap = () => {
    choose('map');
    requestAnimationFrame(() => {
      const shown = document.querySelector('[data-testid="inbox-map-view"]');
      if (shown) shown.scrollIntoView({ block: 'start' });
    });
  };
  // From a marker with no signal: the case's card in the list, in view, its link focused.
  const showCard = (id) => {
    choose('list');
    requestAnimationFrame(() => {
      const link = document.querySelector(`[data-testid="case-item"][data-id="${id}"] [data-testid="case-open"]`);
      if (!link) return;
      link.scrollIntoView({ block: 'start' });
      link.focus({ preventScroll: true });
    });
  };
  // Read the rule tables now, while there may be signal: offline they tell where a queued action leads.
  useEffect(() => {
    targetOf('case', 'dispatched', 'start').catch(() => {});
  }, []);
  const sent = useRef(outbox.sent);
  useEffect(() => {
    if (outbox.sent !== sent.current) {
      sent.current = outbox.sent;
      list.reload();
    }
  }, [outbox.sent]);
  const onDone = (outcome) => {
    if (outcome.status === 'sent') list.reload();
  };
  const cases = (list.data && list.data.items) || [];
  const shown = new Set(cases.map((c) => c.id));
  // Refused actions of cases no longer in the inbox (moved to another grid meanwhile);
  // on the map, where the cards are not shown, of every case (with its card).
  const orphans = [
    ...new Set(
      outbox.failed.filter((c) => c.label && c.label.case_id && (view === 'map' || !shown.has(c.label.case_id))).map((c) => c.label.case_id),
    ),
  ];
  const overdue = cases.filter((c) => c.overdue).length;
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="case-inbox" data-state={list.state} data-view={view}>
      <PageHead title={t('case.inbox.title')}>
        <button type="button" class="btn btn--ghost btn--small" data-testid="inbox-refresh" onClick={list.reload}>
          {t('wish.board.refresh')}
        </button>
      </PageHead>
      {can(user, 'case.take_in') && (
        <a class="btn btn--ghost btn--block" href="#/cases/new" data-testid="inbox-new">
          <span aria-hidden="true">＋ </span>
          {t('case.inbox.new')}
        </a>
      )}
      {list.state === 'ready' && cases.length > 0 && (
        <p class="muted" data-testid="inbox-summary">
          {t('case.inbox.summary', { n: list.data.total, overdue })}
        </p>
      )}
      <div class="segmented" role="group" aria-label={t('visit.day.view')}>
        {['list', 'map'].map((v) => (
          <button
            key={v}
            type="button"
            class={`segmented__btn${view === v ? ' segmented__btn--on' : ''}`}
            aria-pressed={view === v ? 'true' : 'false'}
            data-testid={`inbox-view-${v}`}
            onClick={() => (v === 'map' ? showMap() : choose(v))}
          >
            {t(`visit.day.view_${v}`)}
          </button>
        ))}
      </div>
      {orphans.map((caseId) =>
        shown.has(caseId) ? (
          // On the map: the case's card above it, with the conflict and where the case stands now.
          <ul key={caseId} class="wishlist caselist">
            <CaseCard kase={cases.find((c) => c.id === caseId)} outbox={outbox} showReporter>
              <CaseActions kase={cases.find((c) => c.id === caseId)} user={user} outbox={outbox} onDone={onDone} compact />
            </CaseCard>
          </ul>
        ) : (
          <CaseActions
            key={caseId}
            kase={{ id: caseId, state: '', version: 0, allowed_actions: [] }}
            user={user}
            outbox={{ pending: [], failed: failedFor(outbox, caseId) }}
            onDone={onDone}
            gone
          />
        ),
      )}
      {view === 'map' && list.state === 'ready' && cases.length > 0 && <InboxMap user={user} cases={cases} onOffline={showCard} />}
      {view === 'list' && (
        <ul class="wishlist caselist" data-testid="case-list">
          {cases.map((kase) => (
            <CaseCard key={kase.id} kase={kase} outbox={outbox} showReporter>
              <CaseActions kase={kase} user={user} outbox={outbox} onDone={onDone} compact />
            </CaseCard>
          ))}
        </ul>
      )}
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && cases.length === 0 && (
        <p class="card muted" data-testid="inbox-empty">
          {t('case.inbox.empty')}
        </p>
      )}
    </section>
  );
}
