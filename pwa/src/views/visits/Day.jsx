// 今日走访: the visitor's staggered-hour visits of a day, noon then evening, each in
// walking order, as a list or on the map, with what the last visit found and what
// else waits in their grids. Recording goes through the one offline queue: with no
// signal the visit is kept on the phone (its id is the Idempotency-Key) and sent,
// exactly once, when the network returns. The map draws from what the phone keeps
// (the day, the saved map, the config), so it opens with no signal too.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getCaseInbox, getCatalogue, getMyTasks, getMyVisits } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { submit } from '../../outbox/index.js';
import { can, isStaff, takesCases } from '../../roles.js';
import { ErrorNote, LoadError, Loading, localDay, PageHead, useLoad, useStoredView } from '../../ui/kit.jsx';
import { Tasks, taskRows } from '../Home.jsx';
import { PhotoPicker } from '../../ui/photos.jsx';
import { Chips, tagName } from '../people/shared.jsx';
import { FieldMapFrame, useFieldMap } from '../../map/FieldMap.jsx';
import { catalogueItems, defaultFor, NeedCases, readNeedCases } from './NeedCases.jsx';

const WINDOWS = ['noon', 'evening'];
// The list or the map: the visitor's last choice, kept on the phone.
const CONDITIONS = ['good', 'fair', 'poor'];
const NEEDS = ['medical', 'meals', 'repair', 'errand', 'company'];
// The wish category a need found on a visit becomes (server/wishes/models.py WishCategory).
const WISH_CATEGORY = { medical: 'health', meals: 'daily_help', repair: 'repair', errand: 'daily_help', company: 'companionship' };

// Where the visitor is, only when they ticked the box: GPS works with no signal;
// no fix within 8 s (indoors, permission refused) and the visit goes without it.
function herePoint() {
  if (!('geolocation' in navigator)) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: Math.round(p.coords.longitude * 1e5) / 1e5, lat: Math.round(p.coords.latitude * 1e5) / 1e5 }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 },
    );
  });
}

function RecordForm({ visit, user, onDone }) {
  const [condition, setCondition] = useState('');
  const [photo, setPhoto] = useState(null);
  const [shareWhere, setShareWhere] = useState(false);
  const [noFix, setNoFix] = useState(false);
  const [needs, setNeeds] = useState([]);
  const [notes, setNotes] = useState('');
  const [urgent, setUrgent] = useState(false);
  const [asWishes, setAsWishes] = useState(false);
  const mayPostWishes = can(user, 'wish.post_for_resident');
  // Or each need as a service case: staff who take cases in (the server: channel "visit").
  const [asCases, setAsCases] = useState(false);
  const mayRaiseCases = takesCases(user);
  const catalogue = useLoad(() => (mayRaiseCases ? getCatalogue().catch(() => null) : Promise.resolve(null)), [mayRaiseCases]);
  const items = catalogueItems(catalogue.data);
  const [picks, setPicks] = useState({}); // need → {item, values}
  const [caseErrors, setCaseErrors] = useState({});
  const pickFor = (need) => picks[need] || defaultFor(need, items);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const toggle = (need) => setNeeds((list) => (list.includes(need) ? list.filter((n) => n !== need) : [...list, need]));
  const send = async () => {
    if (!condition) return setMissing(true);
    // The cases' questions are checked before anything is kept: the visit and its cases go together.
    const cases = asCases && mayRaiseCases && needs.length ? readNeedCases(needs, items, Object.fromEntries(needs.map((n) => [n, pickFor(n)]))) : null;
    if (cases && !cases.ok) {
      setCaseErrors(cases.errors);
      return setError({ detail: t('case.new.fix_fields') });
    }
    setCaseErrors({});
    setBusy(true);
    setError(null);
    try {
      const point = shareWhere ? await herePoint() : null;
      setNoFix(shareWhere && !point);
      const record = {
        condition,
        needs: needs.map((n) => t(`visit.need.${n}`)),
        notes: notes.trim(),
        urgent,
        visited_at: new Date().toISOString(),
        ...(point || {}),
      };
      // Synced with the shift's other visits in one request when the signal returns;
      // the server stores each once (its ref is this command's id).
      const outcome = await submit({
        kind: 'visit.record',
        path: `/api/v1/visits/${visit.id}/record`,
        body: { ...record, expected_version: visit.version },
        batch: { path: '/api/v1/visits/records', item: { ...record, visit_id: visit.id } },
        // The photo is kept on the phone with the record and uploaded first when sent.
        blobs: photo ? { photo: photo.blob } : null,
        label: { action: 'record', title: visit.resident, visit_id: visit.id },
      });
      // Each need found becomes a micro-wish for this resident, in the same tap (the
      // resident agreed at the door); queued like the visit when there is no signal.
      if (asWishes && mayPostWishes) {
        for (const need of needs) {
          const title = t('visit.wish_title', { need: t(`visit.need.${need}`) });
          await submit({
            kind: 'wish.post',
            path: '/api/v1/wishes',
            body: {
              title,
              category: WISH_CATEGORY[need],
              description: notes.trim(),
              beneficiary_id: visit.resident_id,
              consent_note: t('visit.wish_consent'),
            },
            label: { action: 'post', title },
          }).catch(() => {});
        }
      }
      // Or each becomes a service case, its resident the reporter (channel "visit"); queued
      // behind the visit, so the server knows the visit when the case arrives.
      const refused = [];
      if (cases) {
        for (const need of needs) {
          const { item, name, fields } = cases.bodies[need];
          const description = [t('visit.case.description', { need: t(`visit.need.${need}`) }), notes.trim()].filter(Boolean).join('\n');
          await submit({
            kind: 'case.report',
            path: '/api/v1/cases',
            body: { item, description, channel: 'visit', visit_id: visit.id, fields, photos: [] },
            label: { action: 'case_report', title: name, visit_id: visit.id },
          }).catch((e) => refused.push(`${name}: ${e.detail || String(e)}`));
        }
      }
      onDone(outcome, { cases: cases ? needs.length - refused.length : 0, refused });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="form visit__form" data-testid="visit-form">
      <fieldset class="field">
        <legend class="field__label">{t('visit.condition')}</legend>
        <div class="choices">
          {CONDITIONS.map((c) => (
            <button
              type="button"
              key={c}
              class={`btn ${condition === c ? 'btn--primary' : ''}`}
              aria-pressed={condition === c ? 'true' : 'false'}
              data-testid="visit-condition"
              data-value={c}
              onClick={() => {
                setCondition(c);
                setMissing(false);
              }}
            >
              {t(`visit.condition.${c}`)}
            </button>
          ))}
        </div>
        {missing && (
          <p class="field__error" role="alert" data-testid="visit-condition-missing">
            {t('visit.condition_missing')}
          </p>
        )}
      </fieldset>
      <fieldset class="field">
        <legend class="field__label">{t('visit.needs')}</legend>
        <div class="choices">
          {NEEDS.map((n) => (
            <button
              type="button"
              key={n}
              class={`btn btn--small ${needs.includes(n) ? 'btn--primary' : ''}`}
              aria-pressed={needs.includes(n) ? 'true' : 'false'}
              data-testid="visit-need"
              data-value={n}
              onClick={() => toggle(n)}
            >
              {t(`visit.need.${n}`)}
            </button>
          ))}
        </div>
      </fieldset>
      <label class="field">
        <span class="field__label">{t('visit.notes')}</span>
        <textarea rows={3} maxLength={1000} data-testid="visit-notes" value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
      </label>
      {mayPostWishes && needs.length > 0 && (
        <label class="check">
          <input
            type="checkbox"
            data-testid="visit-as-wishes"
            checked={asWishes}
            onChange={(e) => {
              setAsWishes(e.currentTarget.checked);
              if (e.currentTarget.checked) setAsCases(false);
            }}
          />
          <span>{t('visit.as_wishes')}</span>
        </label>
      )}
      {mayRaiseCases && needs.length > 0 && (
        <label class="check">
          <input
            type="checkbox"
            data-testid="visit-as-cases"
            checked={asCases}
            onChange={(e) => {
              setAsCases(e.currentTarget.checked);
              if (e.currentTarget.checked) setAsWishes(false);
            }}
          />
          <span>{t('visit.as_cases')}</span>
        </label>
      )}
      {asCases && mayRaiseCases && needs.length > 0 && (
        <NeedCases
          needs={needs}
          items={items}
          loading={catalogue.state === 'loading'}
          picks={Object.fromEntries(needs.map((n) => [n, pickFor(n)]))}
          errors={caseErrors}
          onChange={(need, pick) => {
            setPicks((all) => ({ ...all, [need]: pick }));
            setCaseErrors((all) => ({ ...all, [need]: undefined }));
            setError(null);
          }}
        />
      )}
      <div class="field">
        <span class="field__label">{t('visit.photo')}</span>
        <PhotoPicker value={photo} onChange={setPhoto} testid="visit-photo" />
      </div>
      <label class="check">
        <input type="checkbox" data-testid="visit-where" checked={shareWhere} onChange={(e) => setShareWhere(e.currentTarget.checked)} />
        <span>{t('visit.where')}</span>
      </label>
      {noFix && (
        <p class="muted" role="status" data-testid="visit-no-fix">
          {t('visit.where_none')}
        </p>
      )}
      <label class="check">
        <input type="checkbox" data-testid="visit-urgent" checked={urgent} onChange={(e) => setUrgent(e.currentTarget.checked)} />
        <span>{t('visit.urgent')}</span>
      </label>
      <button type="button" class="btn btn--primary btn--block btn--huge" data-testid="visit-save" disabled={busy} onClick={send}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {t('visit.save')}
      </button>
      <ErrorNote error={error} testid="visit-error" />
    </div>
  );
}

function VisitCard({ visit, user, waiting, onDone, jump }) {
  const [open, setOpen] = useState(false);
  const card = useRef(null);
  const done = visit.state === 'done';
  const recordable = !done && !waiting && (visit.allowed_actions || []).includes('record');
  // Sent here from its marker on the map: shown, with the form open when it can be recorded.
  useEffect(() => {
    if (!jump || !card.current) return;
    if (recordable) setOpen(true);
    card.current.scrollIntoView({ block: 'start' });
    card.current.focus({ preventScroll: true });
  }, [jump]);
  return (
    <li
      ref={card}
      tabIndex={-1}
      class={`card visit visit--${visit.state}`}
      data-testid="visit"
      data-id={visit.id}
      data-state={waiting ? 'waiting' : visit.state}
    >
      <div class="visit__head">
        <span class="visit__order" aria-hidden="true">
          {visit.position}
        </span>
        <div>
          <p class="visit__who">{visit.resident}</p>
          <p class="muted">
            {[visit.building, visit.unit].filter(Boolean).join(' ')}
            {visit.arrive_at && ` · ${t('visit.arrive', { time: visit.arrive_at })}`}
          </p>
        </div>
      </div>
      {visit.care_tags.length > 0 && <Chips items={visit.care_tags} name={tagName} testid="visit-care" />}
      {visit.last_condition && (
        <p class="muted" data-testid="visit-last">
          {t('visit.last', { condition: t(`visit.condition.${visit.last_condition}`) })}
          {visit.last_needs.length > 0 && ` · ${visit.last_needs.join('、')}`}
          {visit.last_notes && ` · ${visit.last_notes}`}
        </p>
      )}
      {waiting && (
        <p class="alert alert--info" role="status" data-testid="visit-waiting">
          {t('visit.saved_offline')}
        </p>
      )}
      {done && !waiting && (
        <p class="alert alert--ok" data-testid="visit-done">
          {t('visit.done', { condition: t(`visit.condition.${visit.condition}`) })}
        </p>
      )}
      {recordable && (
        <>
          {!open && (
            <button type="button" class="btn btn--block" data-testid="visit-open" onClick={() => setOpen(true)}>
              {t('visit.record')}
            </button>
          )}
          {open && <RecordForm visit={visit} user={user} onDone={onDone} />}
        </>
      )}
    </li>
  );
}

/** The state a marker shows: a record waiting in the phone's queue reads as saved. */
const markState = (visit, waitingFor) => (waitingFor.has(visit.id) ? 'saved' : visit.state);

/** "6 户 · 步行约 850 米": the server's total for the window (older saved days: the count only). */
function walkSummary(walk, count) {
  return walk && walk.walk_m != null ? t('visit.day.walk', { count, metres: walk.walk_m }) : t('visit.day.count', { count });
}

function popupFor(visit, onOpen) {
  const box = document.createElement('div');
  box.className = 'popup walkpop';
  box.dataset.testid = 'walk-popup';
  box.dataset.id = String(visit.id);
  const line = (className, text) => {
    const node = document.createElement(className === 'popup__name' ? 'strong' : 'div');
    node.className = className;
    node.textContent = text;
    box.append(node);
    return node;
  };
  line('popup__name', `${visit.number}. ${visit.resident}`);
  const where = [visit.building, visit.unit].filter(Boolean).join(' ');
  if (where) line('walkpop__where', where);
  const when = [t(`visit.window.${visit.window}`), visit.arrive_at && t('visit.arrive', { time: visit.arrive_at })];
  line('walkpop__when', when.filter(Boolean).join(' · '));
  line(`walkpop__state walkpop__state--${visit.state}`, t(`visit.state.${visit.state}`));
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `btn btn--small btn--block ${visit.state === 'planned' && visit.recordable ? 'btn--primary' : ''}`;
  button.dataset.testid = 'walk-open';
  button.textContent = t(visit.state === 'planned' && visit.recordable ? 'visit.map.record' : 'visit.map.card');
  button.addEventListener('click', () => onOpen(visit.id));
  box.append(button);
  return box;
}

function WalkMap({ user, list, waitingFor, onOpen }) {
  const visits = list
    .filter((v) => WINDOWS.includes(v.window) && Number.isFinite(v.lon) && Number.isFinite(v.lat))
    .map((v, i, all) => ({
      ...v,
      // The walking position, as the list shows it (its place in the window without one).
      number: v.position || all.filter((w) => w.window === v.window).indexOf(v) + 1,
      state: markState(v, waitingFor),
      recordable: (v.allowed_actions || []).includes('record'),
    }));
  // Drawn again when what it shows changes (a visit recorded, the language).
  const key = `${getLocale()}|${visits.map((v) => `${v.id}:${v.state}:${v.number}`).join(',')}`;
  const [container, map, state] = useFieldMap(
    user,
    key,
    () => import('../../map/walkMap.js'),
    (walkMap, element, { config, outline }) =>
      walkMap.createWalkMap(element, {
        config,
        outline,
        visits,
        popup: (visit) =>
          popupFor(visit, (id) => {
            if (map.current) map.current.closePopup();
            onOpen(id);
          }),
      }),
  );
  return <FieldMapFrame container={container} state={state} testid="walk-map" markers={visits.length} />;
}

/** The windows' colours and walks, and how a done household looks: above the map, never over it. */
function WalkLegend({ windows, saved }) {
  return (
    <ul class="walklegend" data-testid="walk-legend" aria-label={t('legend.title')}>
      {windows.map(({ window, summary }) => (
        <li key={window} class="walklegend__row" data-testid={`walk-legend-${window}`}>
          <span class={`walklegend__line walklegend__line--${window}`} aria-hidden="true" />
          <span>
            <strong>{t(`visit.window.${window}`)}</strong> · {summary}
          </span>
        </li>
      ))}
      <li class="walklegend__row walklegend__row--pins">
        <span class="walkpin walkpin--noon walkpin--planned walkpin--sample" aria-hidden="true">
          1
        </span>
        <span>{t('visit.state.planned')}</span>
        <span class="walkpin walkpin--noon walkpin--done walkpin--sample" aria-hidden="true">
          1
        </span>
        <span>{t('visit.state.done')}</span>
      </li>
      {saved && (
        <li class="walklegend__row">
          <span class="walkpin walkpin--noon walkpin--saved walkpin--sample" aria-hidden="true">
            1
          </span>
          <span>{t('visit.state.saved')}</span>
        </li>
      )}
    </ul>
  );
}

/** What else waits for the worker in their grids (wishes and open cases; as on the home screen). */
function Waiting({ user }) {
  const staff = isStaff(user);
  const cases = takesCases(user);
  // Offline: the last counts the service worker kept, or nothing at all (never an error).
  const tasks = useLoad(() => (staff ? getMyTasks() : Promise.resolve(null)), [staff]);
  const inbox = useLoad(() => (cases ? getCaseInbox() : Promise.resolve(null)), [cases]);
  const rows = taskRows(user, staff ? tasks.data : null);
  if (inbox.data) rows.unshift(['cases_inbox', inbox.data.total, '#/cases/inbox']);
  if (!rows.length) return null;
  return <Tasks rows={rows} title="visit.day.waits" testid="visits-waits" />;
}

export default function Day({ user, outbox }) {
  const [day, setDay] = useState(localDay());
  const [view, choose] = useStoredView('linli.visits.view');
  const [jump, setJump] = useState(null); // {id}: the card a map marker sent us to
  const visits = useLoad(() => getMyVisits(day), [day]);
  const sent = useRef(outbox.sent);
  useEffect(() => {
    if (outbox.sent !== sent.current) {
      sent.current = outbox.sent;
      visits.reload();
    }
  }, [outbox.sent]);
  const waitingFor = new Set(outbox.pending.filter((c) => c.kind === 'visit.record').map((c) => c.label.visit_id));
  const list = (visits.data && visits.data.visits) || [];
  const walks = (visits.data && visits.data.walks) || [];
  const windows = WINDOWS.map((window) => {
    const here = list.filter((v) => v.window === window);
    return { window, here, summary: walkSummary(walks.find((w) => w.window === window), here.length) };
  }).filter((w) => w.here.length > 0);
  // Records the office keeps to review (the household was reassigned meanwhile, or the
  // visit recorded by someone else first): said here, since the visit leaves this list.
  const [kept, setKept] = useState(0);
  // Needs reported as service cases from the visits of this screen, and what the server refused.
  const [raised, setRaised] = useState({ cases: 0, refused: [] });
  const onDone = (outcome, found = null) => {
    if (outcome.status === 'sent' && outcome.result && outcome.result.outcome === 'kept') setKept((n) => n + 1);
    if (found && (found.cases || found.refused.length)) setRaised((r) => ({ cases: r.cases + found.cases, refused: [...r.refused, ...found.refused] }));
    if (outcome.status === 'sent') visits.reload();
  };
  // Tapping "map": the legend and the map take the screen (the map fills what is left).
  const mapView = useRef(null);
  const showMap = () => {
    choose('map');
    requestAnimationFrame(() => mapView.current && mapView.current.scrollIntoView({ block: 'start' }));
  };
  const openCard = (id) => {
    choose('list');
    setJump({ id });
  };
  const syncing = outbox.pending.filter((c) => c.kind === 'visit.record').length;
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="visits-day" data-state={visits.state} data-view={view}>
      <PageHead title={t('visit.day.title')} />
      <label class="field">
        <span class="field__label">{t('visit.day.date')}</span>
        <input type="date" data-testid="visits-date" value={day} onChange={(e) => e.currentTarget.value && setDay(e.currentTarget.value)} />
      </label>
      <div class="segmented" role="group" aria-label={t('visit.day.view')}>
        {['list', 'map'].map((v) => (
          <button
            key={v}
            type="button"
            class={`segmented__btn${view === v ? ' segmented__btn--on' : ''}`}
            aria-pressed={view === v ? 'true' : 'false'}
            data-testid={`visits-view-${v}`}
            onClick={() => (v === 'map' ? showMap() : choose(v))}
          >
            {t(`visit.day.view_${v}`)}
          </button>
        ))}
      </div>
      {syncing > 0 && (
        <p class="alert alert--info" role="status" data-testid="visits-syncing">
          {t('visit.sync.waiting', { count: syncing })}
        </p>
      )}
      {kept > 0 && (
        <p class="alert alert--info" role="status" data-testid="visits-kept">
          {t('visit.sync.kept', { count: kept })}
        </p>
      )}
      {raised.cases > 0 && (
        <p class="alert alert--ok" role="status" data-testid="visits-cases-raised">
          {t('visit.case.raised', { count: raised.cases })}{' '}
          <a href="#/cases/inbox">{t('visit.case.to_inbox')}</a>
        </p>
      )}
      {raised.refused.length > 0 && (
        <div class="alert alert--error" role="alert" data-testid="visits-cases-refused">
          <p>{t('visit.case.refused')}</p>
          <ul>
            {raised.refused.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      {visits.state === 'loading' && <Loading />}
      {visits.state === 'error' && <LoadError error={visits.error} onRetry={visits.reload} />}
      {visits.state === 'ready' && list.length === 0 && (
        <p class="card muted" data-testid="visits-empty">
          {t('visit.day.empty')}
        </p>
      )}
      {view === 'map' && windows.length > 0 && (
        <div class="stack walkview" ref={mapView}>
          <WalkLegend windows={windows} saved={list.some((v) => waitingFor.has(v.id))} />
          <WalkMap user={user} list={list} waitingFor={waitingFor} onOpen={openCard} />
          <p class="muted">{t('visit.map.hint')}</p>
        </div>
      )}
      {view === 'list' &&
        windows.map(({ window, here, summary }) => (
          <section key={window} class="stack" aria-label={t(`visit.window.${window}`)}>
            <h2 class="section-title visits__window">
              {t(`visit.window.${window}`)}
              <span class="visits__walk" data-testid={`visits-walk-${window}`}>
                {summary}
              </span>
            </h2>
            <ol class="visits" data-testid={`visits-${window}`}>
              {here.map((visit) => (
                <VisitCard
                  key={visit.id}
                  visit={visit}
                  user={user}
                  waiting={waitingFor.has(visit.id)}
                  onDone={onDone}
                  jump={jump && jump.id === visit.id ? jump : null}
                />
              ))}
            </ol>
          </section>
        ))}
      <Waiting user={user} />
      {can(user, 'visit.hours') && (
        <a class="btn btn--ghost btn--block" href="#/visits/hours" data-testid="visits-hours-link">
          {t('visit.hours.link')}
        </a>
      )}
    </section>
  );
}
