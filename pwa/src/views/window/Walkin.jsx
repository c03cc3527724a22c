// The walk-in at the window: found by phone, its last 4 digits, ID number or the
// start of the name (the server writes each lookup to the audit log), then their
// page: how they hear back, their open cases, wishes and visits. Enter searches,
// ↑/↓ choose among the people found, Enter opens the one chosen.
import { useLayoutEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { ErrorNote, formatDate, LoadError, Loading, useLoad } from '../../ui/kit.jsx';
import { tagName } from '../people/shared.jsx';
import { getCard, lookUp } from './windowApi.js';

/**
 * ↑/↓ in a search box move the chosen one of `count` results (`setActive` takes an
 * updater); true when the key was one of them. The terminal's lookup and its matter
 * search choose this way.
 */
export function moveChoice(e, count, setActive) {
  if (!count || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return false;
  e.preventDefault();
  setActive((i) => (e.key === 'ArrowDown' ? Math.min(i + 1, count - 1) : Math.max(i - 1, 0)));
  return true;
}

const where = (r) => [r.building, r.unit, r.phone_masked].filter(Boolean).join(' · ');

export function Lookup({ inputRef, onPick }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState(null); // {q, kind, items, more}
  const [active, setActive] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useLayoutEffect(() => {
    if (inputRef.current) inputRef.current.focus();
  }, []);

  const items = (found && found.items) || [];
  const current = found && found.q === q.trim();
  const submit = async (e) => {
    e.preventDefault();
    const needle = q.trim();
    if (!needle || busy) return;
    if (current && items.length) return onPick(items[Math.min(active, items.length - 1)]);
    setBusy(true);
    setError(null);
    try {
      const answer = await lookUp(needle);
      setFound({ ...answer, q: needle });
      setActive(0);
    } catch (err) {
      setFound(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const onKeyDown = (e) => moveChoice(e, items.length, setActive);
  return (
    <form class="card wt-lookup" onSubmit={submit} role="search" data-testid="window-lookup">
      <label class="field">
        <span class="field__label wt-big-label">
          <kbd>F2</kbd> {t('window.lookup.label')}
        </span>
        <input
          ref={inputRef}
          class="wt-big-input"
          type="search"
          autoComplete="off"
          maxLength={30}
          data-testid="window-lookup-input"
          aria-describedby="wt-lookup-hint"
          aria-controls="wt-found"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
      </label>
      <p id="wt-lookup-hint" class="muted">
        {t('window.lookup.hint')}
      </p>
      <ErrorNote error={error} testid="window-lookup-error" />
      {busy && <Loading />}
      {current && items.length === 0 && (
        <p class="alert alert--info" data-testid="window-lookup-none">
          {t('window.lookup.none')} <a href="#/people">{t('window.lookup.register')}</a>
        </p>
      )}
      {items.length > 0 && (
        <ul id="wt-found" class="wt-found" role="listbox" aria-label={t('window.lookup.found')} data-testid="window-found">
          {items.map((r, i) => (
            <li key={r.id} role="option" aria-selected={i === active ? 'true' : 'false'}>
              <button type="button" tabIndex={-1} class={`wt-found__row${i === active ? ' wt-found__row--on' : ''}`} data-testid="window-found-row" data-id={r.id} onClick={() => onPick(r)}>
                <strong>{r.name}</strong>
                <span class="muted">{where(r)}</span>
                {r.care_tags.length > 0 && <span class="wt-tags">{r.care_tags.map(tagName).join('、')}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {found && found.more && <p class="muted">{t('window.lookup.more')}</p>}
      {current && items.length > 0 && <p class="muted">{t('window.lookup.enter_opens')}</p>}
    </form>
  );
}

function Lines({ title, items, render, testid, empty }) {
  return (
    <section class="wt-lines" data-testid={testid} data-count={items.length}>
      <h3>{title}</h3>
      {items.length === 0 ? <p class="muted">{empty}</p> : <ul>{items.map(render)}</ul>}
    </section>
  );
}

/** How the resident hears back, in words for the clerk and the receipt. */
export function hearsBack(card) {
  const r = card.resident;
  const ways = card.hears_back.map((w) => (w === 'sms' ? t('window.hear.sms', { phone: r.phone_masked || '' }) : t('window.hear.push')));
  return ways.length ? ways.join(t('window.and')) : t('window.hear.none');
}

export function Card({ resident, onIntake, onBack }) {
  const card = useLoad(() => getCard(resident.id), [resident.id]);
  const [focused, setFocused] = useState(false);
  const primary = (el) => {
    if (el && !focused) {
      el.focus();
      setFocused(true);
    }
  };
  if (card.state === 'loading') return <Loading />;
  if (!card.data) return <LoadError error={card.error} onRetry={card.reload} />;
  const c = card.data;
  const r = c.resident;
  return (
    <article class="card wt-card" data-testid="window-card" data-id={r.id} aria-labelledby="wt-card-name">
      <header class="wt-card__head">
        <h2 id="wt-card-name" data-testid="window-card-name">
          {r.name}
        </h2>
        <span class="muted">{[r.building, r.unit, r.phone_masked].filter(Boolean).join(' · ')}</span>
        {r.care_tags.length > 0 && <span class="wt-tags">{r.care_tags.map(tagName).join('、')}</span>}
        <p data-testid="window-card-hears">
          {t('window.hears_back')}：{hearsBack(c)}
        </p>
      </header>
      <div class="wt-card__actions">
        <button ref={primary} type="button" class="btn btn--primary btn--huge" data-testid="window-intake" onClick={() => onIntake(c)}>
          {t('window.intake')} <kbd>Enter</kbd>
        </button>
        <button type="button" class="btn btn--ghost" data-testid="window-card-back" onClick={onBack}>
          <kbd>Esc</kbd> {t('window.back_to_lookup')}
        </button>
      </div>
      <div class="wt-card__cols">
        <Lines
          title={t('window.open_cases')}
          items={c.open_cases}
          testid="window-open-cases"
          empty={t('window.none')}
          render={(k) => (
            <li key={k.id} class={k.overdue ? 'wt-overdue' : ''}>
              <a href={`#/cases/${k.id}`}>{k.number}</a> {k.item || t('window.no_item')} · {k.state_name}
              {k.due_at && <span class="muted"> · {t('window.due', { date: formatDate(k.due_at) })}</span>}
            </li>
          )}
        />
        <Lines
          title={t('window.recent_cases')}
          items={c.recent_cases}
          testid="window-recent-cases"
          empty={t('window.none')}
          render={(k) => (
            <li key={k.id}>
              {k.number} {k.item || t('window.no_item')} · {k.state_name}
            </li>
          )}
        />
        <Lines
          title={t('window.wishes')}
          items={c.wishes}
          testid="window-wishes"
          empty={t('window.none')}
          render={(w) => (
            <li key={w.id}>
              {w.title} · {t(`wish.state.${w.state}`)}
            </li>
          )}
        />
        <Lines
          title={t('window.visits')}
          items={c.visits}
          testid="window-visits"
          empty={t('window.none')}
          render={(v) => (
            <li key={v.id}>
              {v.visited_at ? formatDate(v.visited_at) : v.due_by} · {t(`timeline.visit.${v.state}`)}
              {v.condition && ` · ${t(`visit.condition.${v.condition}`)}`}
            </li>
          )}
        />
      </div>
    </article>
  );
}
