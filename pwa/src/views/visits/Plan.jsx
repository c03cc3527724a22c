// 走访计划: the community office's week of staggered-hour visits. On a desk a
// table person × day with both windows and each window's load against the
// capacity; on a phone a list by day, then person. What could not be planned is
// listed with the reason; the office generates the week's plan and moves a visit
// by hand (the plan then keeps it where it was put).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import { ErrorNote, LoadError, Loading, localDay, PageHead } from '../../ui/kit.jsx';
import './plan.css';

const WINDOWS = ['noon', 'evening'];
const planUrl = (code) => `/api/v1/communities/${encodeURIComponent(code)}/visit-plan`;

/** The Monday of the week holding `day` (YYYY-MM-DD), as YYYY-MM-DD. */
function mondayOf(day) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}
function addDays(day, n) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
/** Monday 0 … Sunday 6, as the server counts office duty days. */
const weekday = (day) => (new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7;
const DATE_LOCALES = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en-GB' };
function dayLabel(day, options = { weekday: 'short', month: 'numeric', day: 'numeric' }) {
  return new Intl.DateTimeFormat(DATE_LOCALES[getLocale()], { ...options, timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
}

/** Who may take this visit (as the server checks a move): staff, a grid worker of its grid, or the paired member. */
function mayTake(person, visit) {
  if (visit.pair_member_id && person.user_id === visit.pair_member_id) return true;
  if (person.kind === 'community_staff') return true;
  return person.kind === 'grid_worker' && person.grid_ids.includes(visit.grid_id);
}

function MoveForm({ visit, plan, where, onMoved, onClose }) {
  const people = plan.people.filter((p) => mayTake(p, visit));
  // Days still to come, out of the office's duty days (a visit put on a past day would
  // only be flagged missed).
  const today = localDay();
  const days = Array.from({ length: 7 }, (_, i) => addDays(plan.week_start, i)).filter((d) => d >= today && !plan.office_days.includes(weekday(d)));
  const [person, setPerson] = useState(String((where && where.person) || (people[0] && people[0].user_id) || ''));
  const [day, setDay] = useState(where && days.includes(where.date) ? where.date : days[0] || '');
  const [window, setWindow] = useState((where && where.window) || 'noon');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const formRef = useRef(null);
  // Opened from a chip far down the table: bring the form to the clerk, and the focus with it.
  useEffect(() => {
    const form = formRef.current;
    if (!form) return;
    form.scrollIntoView({ block: 'start' });
    const first = form.querySelector('select');
    if (first) first.focus({ preventScroll: true });
  }, []);
  const send = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/v1/visits/${visit.id}/move`, {
        body: { person_user_id: Number(person), visit_date: day, window, expected_version: visit.version },
      });
      const name = (plan.people.find((p) => String(p.user_id) === person) || {}).name || '';
      await onMoved(t('visit.plan.moved', { resident: visit.resident, person: name, day: dayLabel(day), window: t(`visit.window.${window}`) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form ref={formRef} class="card form plan-move" onSubmit={send} data-testid="plan-move-form" aria-labelledby="plan-move-title">
      <h2 id="plan-move-title" class="plan-move__title">
        {t('visit.plan.move_title', { resident: visit.resident })}
      </h2>
      <p class="muted">{[visit.building, t('visit.plan.due_by', { day: dayLabel(visit.due_by) })].filter(Boolean).join(' · ')}</p>
      <label class="field">
        <span class="field__label">{t('visit.plan.person')}</span>
        <select class="select--boxed" data-testid="plan-move-person" value={person} onChange={(e) => setPerson(e.currentTarget.value)}>
          {people.map((p) => (
            <option key={p.user_id} value={String(p.user_id)}>
              {p.name} · {t(`visit.plan.kind.${p.kind}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span class="field__label">{t('visit.day.date')}</span>
        <select class="select--boxed" data-testid="plan-move-date" value={day} onChange={(e) => setDay(e.currentTarget.value)}>
          {days.map((d) => (
            <option key={d} value={d}>
              {dayLabel(d)}
            </option>
          ))}
        </select>
      </label>
      <fieldset class="field plan-move__windows">
        <legend class="field__label">{t('visit.plan.window')}</legend>
        {WINDOWS.map((w) => (
          <label class="check" key={w}>
            <input type="radio" name="plan-move-window" value={w} data-testid={`plan-move-window-${w}`} checked={window === w} onChange={() => setWindow(w)} />
            {t(`visit.window.${w}`)} {plan.windows[w] ? `${plan.windows[w][0]}–${plan.windows[w][1]}` : ''}
          </label>
        ))}
      </fieldset>
      {days.length === 0 && (
        <p class="alert alert--info" data-testid="plan-move-no-days">
          {t('visit.plan.move_no_days')}
        </p>
      )}
      <p class="muted">{t('visit.plan.move_keeps')}</p>
      <ErrorNote error={error} testid="plan-move-error" />
      <div class="actions__row">
        <button type="submit" class="btn btn--primary" data-testid="plan-move-save" disabled={busy || !person || !day}>
          {t('visit.plan.move_save')}
        </button>
        <button type="button" class="btn btn--ghost" data-testid="plan-move-cancel" disabled={busy} onClick={onClose}>
          {t('people.cancel')}
        </button>
      </div>
    </form>
  );
}

function VisitChip({ visit, onMove }) {
  const movable = visit.allowed_actions.includes('move');
  const label = [visit.position != null ? `${visit.position}.` : '', visit.resident, visit.arrive_at || ''].filter(Boolean).join(' ');
  const body = (
    <>
      <span class="plan-chip__who">{label}</span>
      {visit.building && <span class="plan-chip__where">{visit.building}</span>}
      {visit.fixed && (
        <span class="plan-chip__fixed" data-testid="plan-visit-fixed" title={t('visit.plan.fixed_hint')}>
          {t('visit.plan.fixed')}
        </span>
      )}
      {visit.state !== 'planned' && <span class={`plan-chip__state plan-chip__state--${visit.state}`}>{t(`visit.plan.state.${visit.state}`)}</span>}
    </>
  );
  if (!movable) {
    return (
      <li class={`plan-chip plan-chip--${visit.state}`} data-testid="plan-visit" data-id={visit.id}>
        {body}
      </li>
    );
  }
  return (
    <li class={`plan-chip plan-chip--${visit.state}`} data-testid="plan-visit" data-id={visit.id} data-fixed={String(visit.fixed)}>
      <button type="button" class="plan-chip__button" data-testid="plan-visit-move" aria-label={t('visit.plan.move_title', { resident: visit.resident })} onClick={() => onMove(visit)}>
        {body}
      </button>
    </li>
  );
}

function Slot({ slot, capacity, onMove, showName }) {
  const over = slot.over_capacity;
  return (
    <div class={`plan-slot${over ? ' plan-slot--over' : ''}${slot.visits.length ? '' : ' plan-slot--empty'}`} data-testid="plan-slot" data-window={slot.window} data-over={String(over)}>
      <div class="plan-slot__head">
        {showName && <span class="plan-slot__window">{t(`visit.window.${slot.window}`)}</span>}
        <span class="plan-slot__load" data-testid="plan-slot-load" title={t('visit.plan.load_hint')}>
          {t('visit.plan.load', { load: slot.load, capacity })}
        </span>
        {over && <span class="plan-slot__over">{t('visit.plan.over')}</span>}
      </div>
      {slot.visits.length > 0 && (
        <ul class="plan-chips">
          {slot.visits.map((v) => (
            <VisitChip key={v.id} visit={v} onMove={(visit) => onMove(visit, { person: null, date: null, window: slot.window })} />
          ))}
        </ul>
      )}
    </div>
  );
}

function WeekTable({ plan, onMove }) {
  const days = plan.people[0] ? plan.people[0].days.map((d) => d.date) : [];
  return (
    <div class="plan-table-wrap">
      <table class="plan-table" data-testid="plan-table">
        <caption class="visually-hidden">{t('visit.plan.table_caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('visit.plan.person')}</th>
            {days.map((d) => (
              <th scope="col" key={d} class={plan.office_days.includes(weekday(d)) ? 'plan-table__office' : ''}>
                {dayLabel(d)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {plan.people.map((p) => (
            <tr key={p.user_id} data-testid="plan-row" data-person={p.user_id}>
              <th scope="row">
                <span class="plan-table__name">{p.name}</span>
                <span class="muted plan-table__kind">
                  {t(`visit.plan.kind.${p.kind}`)} · {t('visit.plan.count', { n: p.visits })}
                </span>
              </th>
              {p.days.map((d) => (
                <td key={d.date} data-date={d.date}>
                  {d.windows.map((w) => (
                    <Slot key={w.window} slot={w} capacity={plan.capacity_per_window} showName onMove={(v, where) => onMove(v, { ...where, person: p.user_id, date: d.date })} />
                  ))}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WeekList({ plan, onMove }) {
  const days = plan.people[0] ? plan.people[0].days.map((d) => d.date) : [];
  return (
    <div class="plan-list" data-testid="plan-list">
      {days.map((day, i) => {
        const busy = plan.people
          .map((p) => ({ person: p, windows: p.days[i].windows }))
          .filter(({ windows }) => windows.some((w) => w.visits.length));
        return (
          <section class="card plan-day" key={day} data-testid="plan-day" data-date={day}>
            <h2 class="plan-day__title">{dayLabel(day, { weekday: 'long', month: 'long', day: 'numeric' })}</h2>
            {busy.length === 0 && <p class="muted">{t('visit.plan.day_empty')}</p>}
            {busy.map(({ person, windows }) => (
              <div class="plan-day__person" key={person.user_id} data-testid="plan-day-person" data-person={person.user_id}>
                <h3 class="plan-day__name">{person.name}</h3>
                {windows
                  .filter((w) => w.visits.length)
                  .map((w) => (
                    <Slot key={w.window} slot={w} capacity={plan.capacity_per_window} showName onMove={(v, where) => onMove(v, { ...where, person: person.user_id, date: day })} />
                  ))}
              </div>
            ))}
          </section>
        );
      })}
    </div>
  );
}

function Unplanned({ plan, onMove }) {
  if (!plan.unplanned.length) return null;
  return (
    <section class="card plan-unplanned" data-testid="plan-unplanned" aria-labelledby="plan-unplanned-title">
      <h2 id="plan-unplanned-title">{t('visit.plan.unplanned_title', { n: plan.unplanned.length })}</h2>
      <ul class="plan-unplanned__list">
        {plan.unplanned.map((u) => (
          <li key={u.id} data-testid="plan-unplanned-item" data-id={u.id} data-reason={u.reason}>
            <div>
              <strong>{u.resident}</strong>
              <span class="muted"> {[u.building, u.grid, t('visit.plan.due_by', { day: dayLabel(u.due_by) })].filter(Boolean).join(' · ')}</span>
            </div>
            <p class="plan-unplanned__why">{u.message}</p>
            {u.allowed_actions.includes('move') && (
              <button type="button" class="btn btn--ghost btn--small" data-testid="plan-unplanned-move" onClick={() => onMove(u, null)}>
                {t('visit.plan.place')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Totals({ totals }) {
  const items = ['due', 'planned', 'done', 'missed', 'unplanned'];
  return (
    <dl class="plan-totals" data-testid="plan-totals">
      {items.map((k) => (
        <div key={k} class={`plan-totals__item plan-totals__item--${k}${totals[k] ? '' : ' plan-totals__item--none'}`} data-testid={`plan-total-${k}`} data-value={totals[k]}>
          <dt>{t(`visit.plan.total.${k}`)}</dt>
          <dd>{totals[k]}</dd>
        </div>
      ))}
    </dl>
  );
}

export default function Plan({ user }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  const [week, setWeek] = useState(() => mondayOf(localDay()));
  const weekOf = (code) => api('GET', `${planUrl(code)}?week_start=${week}`);
  const plan = useCommunityLoad(choice, weekOf, [week]);
  // The week as it is now, before saying what was done (never a fresh message over a stale table).
  const refresh = async () => plan.setData(await weekOf(chosen));
  const [moving, setMoving] = useState(null); // {visit, where}
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const [error, setError] = useState(null);

  const generate = async () => {
    setBusy(true);
    setError(null);
    setSaid('');
    setMoving(null);
    try {
      const report = await api('POST', planUrl(chosen), { body: { week_start: week } });
      await refresh().catch(() => plan.reload());
      setSaid(
        t('visit.plan.generated', {
          due: report.due,
          planned: report.planned,
          done: report.done,
          unplanned: report.unplanned.length,
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const onMove = (visit, where) => {
    setSaid('');
    setMoving({ visit, where });
  };
  const data = plan.data;
  const empty = data && data.totals.due === 0;

  return (
    <section class="page plan" aria-labelledby="page-title" data-testid="visit-plan">
      <PageHead title={t('visit.plan.title')} />
      <CommunityPicker choice={choice} testid="plan-community" />
      <div class="card plan-bar">
        <div class="plan-week" role="group" aria-label={t('visit.plan.week')}>
          <button type="button" class="btn btn--ghost btn--small" data-testid="plan-week-prev" onClick={() => setWeek(addDays(week, -7))}>
            ‹ {t('visit.plan.week_prev')}
          </button>
          <span class="plan-week__label" data-testid="plan-week" data-week={week}>
            {dayLabel(week, { month: 'long', day: 'numeric' })} – {dayLabel(addDays(week, 6), { month: 'long', day: 'numeric' })}
          </span>
          <button type="button" class="btn btn--ghost btn--small" data-testid="plan-week-next" onClick={() => setWeek(addDays(week, 7))}>
            {t('visit.plan.week_next')} ›
          </button>
          {week !== mondayOf(localDay()) && (
            <button type="button" class="btn btn--ghost btn--small" data-testid="plan-week-this" onClick={() => setWeek(mondayOf(localDay()))}>
              {t('visit.plan.week_this')}
            </button>
          )}
        </div>
        <button type="button" class="btn btn--primary" data-testid="plan-generate" disabled={busy || !chosen} onClick={generate}>
          {busy ? t('visit.plan.generating') : data && data.totals.planned + data.totals.done + data.totals.missed > 0 ? t('visit.plan.regenerate') : t('visit.plan.generate')}
        </button>
        <p class="muted plan-bar__hint">{t('visit.plan.generate_hint')}</p>
      </div>
      {said && (
        <p class="alert alert--ok" role="status" data-testid="plan-said">
          {said}
        </p>
      )}
      <ErrorNote error={error} testid="plan-error" />
      {(plan.state === 'loading' || communities.state === 'loading') && <Loading />}
      {plan.state === 'error' && <LoadError error={plan.error} onRetry={plan.reload} />}
      {plan.state === 'ready' && data && (
        <>
          <Totals totals={data.totals} />
          <p class="muted">{t('visit.plan.capacity', { capacity: data.capacity_per_window })}</p>
          {moving && (
            <MoveForm
              key={moving.visit.id}
              visit={moving.visit}
              where={moving.where}
              plan={data}
              onClose={() => setMoving(null)}
              onMoved={async (message) => {
                await refresh().catch(() => plan.reload());
                setMoving(null);
                setSaid(message);
              }}
            />
          )}
          {empty && (
            <p class="card muted" data-testid="plan-empty">
              {t('visit.plan.empty')}
            </p>
          )}
          <Unplanned plan={data} onMove={onMove} />
          {!empty && data.people.length > 0 && (
            <>
              <WeekTable plan={data} onMove={onMove} />
              <WeekList plan={data} onMove={onMove} />
            </>
          )}
        </>
      )}
    </section>
  );
}
