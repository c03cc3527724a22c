// 今日走访: the visitor's staggered-hour visits of a day, noon then evening, each in
// walking order, with what the last visit found. Recording goes through the one
// offline queue: with no signal the visit is kept on the phone (its id is the
// Idempotency-Key) and sent, exactly once, when the network returns.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getMyVisits } from '../../api.js';
import { t } from '../../i18n/index.js';
import { submit } from '../../outbox/index.js';
import { can } from '../../roles.js';
import { ErrorNote, LoadError, Loading, localDay, PageHead, useLoad } from '../../ui/kit.jsx';
import { Chips, tagName } from '../people/shared.jsx';

const CONDITIONS = ['good', 'fair', 'poor'];
const NEEDS = ['medical', 'meals', 'repair', 'errand', 'company'];
// The wish category a need found on a visit becomes (server/wishes/models.py WishCategory).
const WISH_CATEGORY = { medical: 'health', meals: 'daily_help', repair: 'repair', errand: 'daily_help', company: 'companionship' };

function RecordForm({ visit, user, onDone }) {
  const [condition, setCondition] = useState('');
  const [needs, setNeeds] = useState([]);
  const [notes, setNotes] = useState('');
  const [urgent, setUrgent] = useState(false);
  const [asWishes, setAsWishes] = useState(false);
  const mayPostWishes = can(user, 'wish.post_for_resident');
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const toggle = (need) => setNeeds((list) => (list.includes(need) ? list.filter((n) => n !== need) : [...list, need]));
  const send = async () => {
    if (!condition) return setMissing(true);
    setBusy(true);
    setError(null);
    try {
      const record = {
        condition,
        needs: needs.map((n) => t(`visit.need.${n}`)),
        notes: notes.trim(),
        urgent,
        visited_at: new Date().toISOString(),
      };
      // Synced with the shift's other visits in one request when the signal returns;
      // the server stores each once (its ref is this command's id).
      const outcome = await submit({
        kind: 'visit.record',
        path: `/api/v1/visits/${visit.id}/record`,
        body: { ...record, expected_version: visit.version },
        batch: { path: '/api/v1/visits/records', item: { ...record, visit_id: visit.id } },
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
      onDone(outcome);
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
          <input type="checkbox" data-testid="visit-as-wishes" checked={asWishes} onChange={(e) => setAsWishes(e.currentTarget.checked)} />
          <span>{t('visit.as_wishes')}</span>
        </label>
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

function VisitCard({ visit, user, waiting, onDone }) {
  const [open, setOpen] = useState(false);
  const done = visit.state === 'done';
  return (
    <li class={`card visit visit--${visit.state}`} data-testid="visit" data-id={visit.id} data-state={waiting ? 'waiting' : visit.state}>
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
      {!done && !waiting && (visit.allowed_actions || []).includes('record') && (
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

export default function Day({ user, outbox }) {
  const [day, setDay] = useState(localDay());
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
  // Records the office keeps to review (the household was reassigned meanwhile, or the
  // visit recorded by someone else first): said here, since the visit leaves this list.
  const [kept, setKept] = useState(0);
  const onDone = (outcome) => {
    if (outcome.status === 'sent' && outcome.result && outcome.result.outcome === 'kept') setKept((n) => n + 1);
    if (outcome.status === 'sent') visits.reload();
  };
  const syncing = outbox.pending.filter((c) => c.kind === 'visit.record').length;
  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="visits-day" data-state={visits.state}>
      <PageHead title={t('visit.day.title')} />
      <label class="field">
        <span class="field__label">{t('visit.day.date')}</span>
        <input type="date" data-testid="visits-date" value={day} onChange={(e) => e.currentTarget.value && setDay(e.currentTarget.value)} />
      </label>
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
      {visits.state === 'loading' && <Loading />}
      {visits.state === 'error' && <LoadError error={visits.error} onRetry={visits.reload} />}
      {visits.state === 'ready' && list.length === 0 && (
        <p class="card muted" data-testid="visits-empty">
          {t('visit.day.empty')}
        </p>
      )}
      {['noon', 'evening'].map((window) => {
        const here = list.filter((v) => v.window === window);
        if (!here.length) return null;
        return (
          <section key={window} class="stack" aria-label={t(`visit.window.${window}`)}>
            <h2 class="section-title">{t(`visit.window.${window}`)}</h2>
            <ol class="visits" data-testid={`visits-${window}`}>
              {here.map((visit) => (
                <VisitCard key={visit.id} visit={visit} user={user} waiting={waitingFor.has(visit.id)} onDone={onDone} />
              ))}
            </ol>
          </section>
        );
      })}
    </section>
  );
}
