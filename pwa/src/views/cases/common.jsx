// Pieces every case 民意快线 screen uses: the state badge, the deadline, the
// history, the one way to act on a case (through the outbox), and the action
// panel that offers exactly the actions the server allows (`allowed_actions`),
// each asking for what it needs (a reason, a note, a person, a grid, a rating).
import { useState } from 'preact/hooks';
import { getGrids } from '../../api.js';
import { t } from '../../i18n/index.js';
import { discard, submit } from '../../outbox/index.js';
import { can } from '../../roles.js';
import { targetOf } from '../../workflow.js';
import { formatDate, useLoad } from '../../ui/kit.jsx';
import { PhotoPicker } from '../../ui/photos.jsx';
import { getStaff } from './casesApi.js';
import './cases.css';

export const caseHref = (id) => `#/cases/${id}`;

export function CaseState({ kase, projected = null }) {
  const state = projected || kase.state;
  return (
    <span class={`badge casebadge casebadge--${state}`} data-testid="case-state" data-state={kase.state}>
      {projected && projected !== kase.state ? t(`case.state.${projected}`) : kase.state_name || t(`case.state.${state}`)}
    </span>
  );
}

/** The promised date, and whether it has passed. */
export function Due({ kase }) {
  if (!kase.due_at) return null;
  return (
    <span class={kase.overdue ? 'casedue casedue--over' : 'casedue'} data-testid="case-due" data-overdue={kase.overdue ? 'yes' : 'no'}>
      {kase.overdue ? t('case.overdue', { when: formatDate(kase.due_at) }) : t('case.due', { when: formatDate(kase.due_at) })}
    </span>
  );
}

/** A callback's note starts with the rating (1, 2 or 3), an extension's with "+Nh": said in words. */
function eventNote(event) {
  const extension = ['request_extension', 'approve_extension'].includes(event.action) && /^\+(\d+)h(?: (.*))?$/s.exec(event.note);
  if (extension) return t('case.extension', { hours: extension[1], reason: extension[2] || '' }).replace(/[：:]\s*$/, '');
  const rated = event.action === 'callback' && /^([123])(?: (.*))?$/s.exec(event.note);
  if (!rated) return event.note;
  return [t(`case.satisfaction.${rated[1]}`), rated[2]].filter(Boolean).join('：');
}

export function History({ events }) {
  return (
    <ol class="timeline" data-testid="case-history">
      {events.map((event, i) => (
        <li key={i} class="timeline__item" data-testid="case-event" data-action={event.action}>
          <span class="timeline__dot" aria-hidden="true" />
          <span class="timeline__what">{t(`case.event.${event.action}`)}</span>
          <span class="muted">
            <time dateTime={event.at}>{formatDate(event.at)}</time>
            {event.actor && ` · ${event.actor}`}
          </span>
          {event.note && <span class="timeline__note">{eventNote(event)}</span>}
        </li>
      ))}
    </ol>
  );
}

/** Commands about this case still waiting in the outbox, and those the server refused. */
export const pendingFor = (snapshot, caseId) => snapshot.pending.filter((c) => c.label && c.label.case_id === caseId);
export const failedFor = (snapshot, caseId) => snapshot.failed.filter((c) => c.label && c.label.case_id === caseId);

/**
 * Where the case stands once the actions waiting on the phone are applied: the
 * state the last one leads to (from the server's table in /config) and the
 * version the next action must expect (each action moves the version by one).
 */
export function projection(kase, waiting) {
  if (!waiting.length) return { state: kase.state, version: kase.version };
  const last = waiting[waiting.length - 1];
  return { state: (last.label && last.label.state_after) || kase.state, version: kase.version + waiting.length };
}

/**
 * Acts on a case through the outbox: resolves {status: 'sent', result: CaseView}
 * or {status: 'queued'}; rejects with ApiError (the server's reason) on a refusal
 * while online. `state`/`version`: where the case stands after what already waits.
 */
export async function caseAction(kase, action, { body = {}, photo = null, state = kase.state, version = kase.version } = {}) {
  const target = await targetOf('case', state, action);
  return submit({
    kind: `case.${action}`,
    path: `/api/v1/cases/${kase.id}/${action.replace(/_/g, '-')}`,
    body: { ...body, expected_version: version },
    blobs: photo ? { photo: photo.blob } : null,
    // Actions that change no state still move the version: a lost answer is checked by it.
    expect: { path: `/api/v1/cases/${kase.id}`, state: target || state, version },
    label: { action: `case_${action}`, title: kase.number, case_id: kase.id, state_after: target || state },
  });
}

/** What each action asks for before it is sent (what the server's body reads). */
const NEEDS = {
  reject: ['reason'],
  dispatch: ['assignee'],
  resolve: ['note', 'photo'],
  close: ['note?'],
  rework: ['reason'],
  reopen: ['reason'],
  return: ['reason'],
  transfer: ['grid', 'reason'],
  escalate: ['reason'],
  callback: ['satisfaction', 'note?'],
  supervise: ['note'],
  request_extension: ['hours', 'reason'],
};
const PRIMARY = new Set(['accept', 'dispatch', 'start', 'resolve', 'close', 'callback']);
const DANGER = new Set(['reject']);
// Merging names another case, reclassifying picks an item and its fields: both are
// the office's own tools on a case's page (CaseDetail), not buttons here.
const NOT_HERE = new Set(['merge', 'reclassify']);

function useRun(onDone) {
  const [busy, setBusy] = useState('');
  const [outcome, setOutcome] = useState(null);
  const run = async (action, work) => {
    if (busy) return;
    setBusy(action);
    setOutcome(null);
    try {
      const result = await work();
      setOutcome(result);
      onDone(result, action);
    } catch (error) {
      setOutcome({ error });
    } finally {
      setBusy('');
    }
  };
  return { busy, outcome, run, setOutcome };
}

export function Outcome({ outcome }) {
  if (!outcome) return null;
  if (outcome.error) {
    return (
      <div class="alert alert--error" role="alert" data-testid="case-action-error">
        <p>{outcome.error.detail || String(outcome.error)}</p>
      </div>
    );
  }
  if (outcome.status === 'queued') {
    return (
      <div class="alert alert--info" role="status" data-testid="case-action-queued">
        <p>{t('outbox.saved_offline')}</p>
      </div>
    );
  }
  return null;
}

const roleLabel = (person) =>
  (person.roles || [])
    .filter((r) => ['grid_worker', 'community_staff', 'community_admin', 'subdistrict_admin'].includes(r.role))
    .map((r) => [t(`case.role.${r.role}`), r.scope_name].filter(Boolean).join(' '))
    .join('、');

/** Whom a case can be dispatched to: staff of my scope (the server checks the level). */
function AssigneePicker({ value, onChange }) {
  const people = useLoad(async () => {
    const lists = await Promise.all(['grid_worker', 'community_staff', 'community_admin'].map((role) => getStaff(role).catch(() => [])));
    const seen = new Map();
    lists.flat().forEach((p) => p.is_active !== false && seen.set(p.id, p));
    return [...seen.values()];
  }, []);
  return (
    <label class="field">
      <span class="field__label">{t('case.form.assignee')}</span>
      <select class="select--boxed" data-testid="case-assignee" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">{people.state === 'loading' ? t('wish.loading') : t('case.form.choose')}</option>
        {(people.data || []).map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} · {roleLabel(p)}
          </option>
        ))}
      </select>
    </label>
  );
}

function GridPicker({ value, onChange, label = 'case.form.grid', testid = 'case-grid' }) {
  const grids = useLoad(getGrids, []);
  return (
    <label class="field">
      <span class="field__label">{t(label)}</span>
      <select class="select--boxed" data-testid={testid} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">{grids.state === 'loading' ? t('wish.loading') : t('case.form.choose')}</option>
        {(grids.data || []).map((g) => (
          <option key={g.code} value={g.code}>
            {g.name}
          </option>
        ))}
      </select>
    </label>
  );
}
export { GridPicker };

/** The form one action asks for; sends it through `send(body, photo)`. */
function ActionForm({ action, busy, onSend, onCancel }) {
  const needs = NEEDS[action] || [];
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [photo, setPhoto] = useState(null);
  const [assignee, setAssignee] = useState('');
  const [grid, setGrid] = useState('');
  const [hours, setHours] = useState('8');
  const [satisfaction, setSatisfaction] = useState(0);
  const [missing, setMissing] = useState('');
  const has = (what) => needs.includes(what);
  const send = () => {
    const body = {};
    if (has('assignee')) {
      if (!assignee) return setMissing('assignee');
      body.assignee_id = Number(assignee);
    }
    if (has('grid')) {
      if (!grid) return setMissing('grid');
      body.grid_code = grid;
    }
    if (has('satisfaction')) {
      if (!satisfaction) return setMissing('satisfaction');
      body.satisfaction = satisfaction;
    }
    if (has('hours')) {
      const n = Number.parseInt(hours, 10);
      if (!(n >= 1 && n <= 400)) return setMissing('hours');
      body.hours = n;
    }
    if (has('reason')) {
      if (!reason.trim()) return setMissing('reason');
      body.reason = reason.trim();
    }
    if (has('note') && !note.trim()) return setMissing('note');
    if ((has('note') || has('note?')) && note.trim()) body.note = note.trim();
    setMissing('');
    return onSend(body, has('photo') ? photo : null);
  };
  return (
    <div class="form caseform" data-testid={`case-form-${action}`}>
      <p class="caseform__title">{t(`case.do.${action}`)}</p>
      {has('assignee') && <AssigneePicker value={assignee} onChange={setAssignee} />}
      {has('grid') && <GridPicker value={grid} onChange={setGrid} />}
      {has('satisfaction') && (
        <fieldset class="field choices">
          <legend class="field__label">{t('case.form.satisfaction')}</legend>
          <div class="caserate">
            {[1, 2, 3].map((n) => (
              <button
                key={n}
                type="button"
                class={`choice choice--wide${satisfaction === n ? ' choice--on' : ''}`}
                aria-pressed={satisfaction === n ? 'true' : 'false'}
                data-testid="case-satisfaction"
                data-value={n}
                onClick={() => setSatisfaction(n)}
              >
                {t(`case.satisfaction.${n}`)}
              </button>
            ))}
          </div>
        </fieldset>
      )}
      {has('hours') && (
        <label class="field">
          <span class="field__label">{t('case.form.hours')}</span>
          <input type="number" inputMode="numeric" min={1} max={400} data-testid="case-hours" value={hours} onInput={(e) => setHours(e.currentTarget.value)} />
        </label>
      )}
      {has('reason') && (
        <label class="field">
          <span class="field__label">{t(`case.form.reason_${action}`)}</span>
          <textarea rows={3} maxLength={200} data-testid="case-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
      )}
      {(has('note') || has('note?')) && (
        <label class="field">
          <span class="field__label">{t(`case.form.note_${action}`)}</span>
          <textarea rows={3} maxLength={500} data-testid="case-note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
      )}
      {has('photo') && (
        <div class="field">
          <span class="field__label">{t('case.form.after_photo')}</span>
          <PhotoPicker value={photo} onChange={setPhoto} testid="case-photo" />
        </div>
      )}
      {missing && (
        <p class="alert alert--error" role="alert" data-testid="case-missing">
          {t(`case.form.missing_${missing}`)}
        </p>
      )}
      <div class="actions__row">
        <button type="button" class={`btn ${DANGER.has(action) ? 'btn--danger' : 'btn--primary'}`} data-testid="case-submit" disabled={!!busy} onClick={send}>
          {busy && <span class="spinner" aria-hidden="true" />}
          {t(`case.do.${action}`)}
        </button>
        <button type="button" class="btn btn--ghost" data-testid="case-cancel" onClick={onCancel}>
          {t('wish.do.cancel')}
        </button>
      </div>
    </div>
  );
}

/**
 * The actions this user may take now. With actions of this case waiting on the
 * phone, the case is locked (one change at a time), except that the person it is
 * dispatched to, having started it offline, may also say it is done: the next step
 * by the server's table, sent after the start in the same order. `more`: buttons
 * of the page's own tools, shown in the same row. `gone`: the case is no longer the
 * user's to see (its refused actions are all that is shown of it).
 */
export function CaseActions({ kase, user, outbox, onDone, compact = false, more = null, gone = false }) {
  const { busy, outcome, run } = useRun(onDone);
  const [open, setOpen] = useState('');
  const waiting = pendingFor(outbox, kase.id);
  const refused = failedFor(outbox, kase.id);
  const { state, version } = projection(kase, waiting);
  let actions = (kase.allowed_actions || []).filter((a) => !NOT_HERE.has(a));
  if (waiting.length) {
    const last = waiting[waiting.length - 1].label.action;
    const mine = user && kase.assignee_id === user.id;
    actions = last === 'case_start' && mine && state === 'in_progress' ? ['resolve'] : [];
  }
  // The reporter rates their own case; the office records a callback 回访.
  const label = (action) => (action === 'callback' && !can(user, 'case.take_in') ? t('case.do.rate') : t(`case.do.${action}`));
  const act = (action, body = {}, photo = null) =>
    run(action, async () => {
      const result = await caseAction(kase, action, { body, photo, state, version });
      setOpen('');
      return result;
    });
  return (
    <div class="actions caseactions" data-testid="case-actions" data-id={kase.id}>
      {refused.map((command) => (
        <div key={command.id} class="alert alert--error" role="alert" data-testid="case-conflict" data-id={command.id}>
          <p>
            <strong>{t('case.conflict.title', { what: t(`outbox.kind.${command.label.action}`) })}</strong>
          </p>
          <p>{gone ? t('case.conflict.hint_gone', { number: command.label.title || '' }) : t('case.conflict.hint')}</p>
          <p data-testid="case-conflict-reason">{t('outbox.reason', { detail: (command.error && command.error.detail) || '' })}</p>
          <button type="button" class="btn btn--ghost btn--small" data-testid="case-conflict-dismiss" onClick={() => discard(command.id).then(() => onDone({ status: 'sent', result: null }, 'discard'))}>
            {t('case.conflict.dismiss')}
          </button>
        </div>
      ))}
      {waiting.length > 0 && (
        <p class="alert alert--info" role="status" data-testid="case-waiting" data-count={waiting.length}>
          {t('case.waiting', { what: waiting.map((c) => t(`outbox.kind.${c.label.action}`)).join('、') })}
        </p>
      )}
      {open ? (
        <ActionForm action={open} busy={busy} onSend={(body, photo) => act(open, body, photo)} onCancel={() => setOpen('')} />
      ) : (
        (actions.length > 0 || more) && (
          <div class={compact ? 'actions__row caseactions__row' : 'actions__row'}>
            {actions.map((action) => (
              <button
                key={action}
                type="button"
                class={`btn ${PRIMARY.has(action) ? 'btn--primary' : DANGER.has(action) ? 'btn--danger' : 'btn--ghost'}`}
                data-testid={`case-do-${action}`}
                disabled={!!busy}
                onClick={() => (NEEDS[action] ? setOpen(action) : act(action))}
              >
                {busy === action && <span class="spinner" aria-hidden="true" />}
                {label(action)}
              </button>
            ))}
            {more}
          </div>
        )
      )}
      {/* "Kept on the phone" is already said by the waiting note above. */}
      {!(outcome && outcome.status === 'queued' && waiting.length) && <Outcome outcome={outcome} />}
    </div>
  );
}

/** One case as a card in a list (mine, the inbox, the office's list on a phone). */
export function CaseCard({ kase, outbox, children, showReporter = false }) {
  const waiting = outbox ? pendingFor(outbox, kase.id) : [];
  const { state } = projection(kase, waiting);
  return (
    <li class={`card caseitem${kase.overdue ? ' caseitem--over' : ''}`} data-testid="case-item" data-id={kase.id} data-state={kase.state} data-number={kase.number}>
      <a class="caseitem__link" href={caseHref(kase.id)} data-testid="case-open">
        <span class="caseitem__title">{kase.item ? kase.item.name : t('case.no_item')}</span>
        <CaseState kase={kase} projected={waiting.length ? state : null} />
        <span class="caseitem__meta muted">
          <span data-testid="case-number">{kase.number}</span> · {kase.grid}
          {showReporter && kase.reporter && ` · ${kase.reporter}`}
        </span>
        {showReporter && kase.level !== 'grid' && (
          <span class="caseitem__meta" data-testid="case-item-level">
            {t('case.at_level', { level: t(`case.level.${kase.level}`) })}
          </span>
        )}
        <span class="caseitem__desc">{kase.description}</span>
        <Due kase={kase} />
      </a>
      {children}
    </li>
  );
}
