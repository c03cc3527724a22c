// 志愿者: volunteers of my communities, by trade; edit a volunteer's trades;
// issue a temporary password (shown once, to be told in person).
import { useState } from 'preact/hooks';
import { getVolunteers, issueTemporaryPassword, saveVolunteerProfile } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';

import { AvailabilityEditor, slotsValid } from './Availability.jsx';
import { Chips, TRADES, tradeName } from './shared.jsx';
import { ErrorNote, LoadError, Loading, useLoad } from '../../ui/kit.jsx';

const number = (value) => new Intl.NumberFormat(getLocale() === 'en' ? 'en' : 'zh', { maximumFractionDigits: 2 }).format(value);

function availabilityText(slots) {
  return (slots || []).map((s) => `${t(`people.weekday.${s.weekday}`)} ${s.start}–${s.end}`).join('，');
}

/** Trades and weekly availability: one form, one save. */
function TradesEditor({ volunteer, onSaved, onClose }) {
  const [trades, setTrades] = useState(volunteer.trades || []);
  const [availability, setAvailability] = useState(volunteer.availability || []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const toggle = (trade) => setTrades(trades.includes(trade) ? trades.filter((x) => x !== trade) : [...trades, trade]);
  const save = async () => {
    if (!slotsValid(availability)) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await saveVolunteerProfile(volunteer.user_id, { trades, availability });
      onSaved(answer && answer.user_id ? answer : { ...volunteer, trades, availability });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset class="field choices" data-testid="volunteer-trades-editor">
      <legend class="field__label">{t('people.trades')}</legend>
      <div class="chips">
        {TRADES.map((trade) => (
          <label key={trade} class="check chipcheck">
            <input type="checkbox" data-testid="volunteer-trade" data-value={trade} checked={trades.includes(trade)} onChange={() => toggle(trade)} />
            {tradeName(trade)}
          </label>
        ))}
      </div>
      <AvailabilityEditor value={availability} onChange={setAvailability} />
      <ErrorNote error={error} testid="volunteer-trades-error" />
      <div class="actions__row">
        <button type="button" class="btn btn--primary" data-testid="volunteer-trades-save" disabled={busy} onClick={save}>
          {t('people.save')}
        </button>
        <button type="button" class="btn btn--ghost" data-testid="volunteer-trades-cancel" onClick={onClose}>
          {t('people.cancel')}
        </button>
      </div>
    </fieldset>
  );
}

function TemporaryPassword({ volunteer, onClose }) {
  const [state, setState] = useState({ step: 'ask' }); // ask | busy | shown | error
  const issue = async () => {
    setState({ step: 'busy' });
    try {
      const answer = await issueTemporaryPassword(volunteer.user_id);
      setState({ step: 'shown', password: answer.password });
    } catch (error) {
      setState({ step: 'error', error });
    }
  };
  if (state.step === 'shown') {
    return (
      <div class="alert alert--ok temppw" role="status" data-testid="temp-password">
        <p>{t('people.temp.for', { name: volunteer.name })}</p>
        <p class="temppw__value" data-testid="temp-password-value" lang="en">
          {state.password}
        </p>
        <p data-testid="temp-password-guidance">{t('people.temp.guidance')}</p>
        <button type="button" class="btn btn--ghost btn--block" data-testid="temp-password-done" onClick={onClose}>
          {t('people.temp.done')}
        </button>
      </div>
    );
  }
  return (
    <div class="alert alert--info" data-testid="temp-password-ask">
      <p>{t('people.temp.confirm', { name: volunteer.name })}</p>
      {state.step === 'error' && <ErrorNote error={state.error} testid="temp-password-error" />}
      <div class="actions__row">
        <button type="button" class="btn btn--primary" data-testid="temp-password-confirm" disabled={state.step === 'busy'} onClick={issue}>
          {t('people.temp.issue')}
        </button>
        <button type="button" class="btn btn--ghost" data-testid="temp-password-cancel" onClick={onClose}>
          {t('people.cancel')}
        </button>
      </div>
    </div>
  );
}

function VolunteerItem({ volunteer, onChange }) {
  const [open, setOpen] = useState(''); // '' | trades | password
  return (
    <li class="card person" data-testid="volunteer-item" data-id={volunteer.user_id}>
      <div class="person__head">
        <strong class="person__name" data-testid="volunteer-name">
          {volunteer.name}
        </strong>
        {volunteer.party_member && <span class="chip chip--party">{t('people.party_member')}</span>}
      </div>
      <p class="muted person__meta">
        {volunteer.phone_masked}
        {' · '}
        <span data-testid="volunteer-hours">{t('wish.hours.value', { hours: number(volunteer.hours || 0) })}</span>
      </p>
      <Chips items={volunteer.trades} name={tradeName} testid="volunteer-trade-chip" />
      {volunteer.availability && volunteer.availability.length > 0 && (
        <p class="muted" data-testid="volunteer-availability">
          {t('people.availability')}
          {availabilityText(volunteer.availability)}
        </p>
      )}
      {open === 'trades' && (
        <TradesEditor
          volunteer={volunteer}
          onSaved={(fresh) => {
            onChange(fresh);
            setOpen('');
          }}
          onClose={() => setOpen('')}
        />
      )}
      {open === 'password' && <TemporaryPassword volunteer={volunteer} onClose={() => setOpen('')} />}
      {!open && volunteer.manageable && (
        <div class="actions__row">
          <button type="button" class="btn btn--ghost btn--small" data-testid="volunteer-edit-trades" onClick={() => setOpen('trades')}>
            {t('people.edit_trades')}
          </button>
          <button type="button" class="btn btn--ghost btn--small" data-testid="volunteer-temp-password" onClick={() => setOpen('password')}>
            {t('people.temp.button')}
          </button>
        </div>
      )}
    </li>
  );
}

export function Volunteers() {
  const [trade, setTrade] = useState('');
  const list = useLoad(() => getVolunteers(trade), [trade]);
  const volunteers = list.data || [];
  const onChange = (fresh) => list.setData((all) => all.map((v) => (v.user_id === fresh.user_id ? { ...v, ...fresh } : v)));
  return (
    <>
      <label class="field">
        <span class="field__label">{t('people.trades')}</span>
        <select class="select--boxed" data-testid="volunteer-filter-trade" value={trade} onChange={(e) => setTrade(e.currentTarget.value)}>
          <option value="">{t('people.all')}</option>
          {TRADES.map((x) => (
            <option key={x} value={x}>
              {tradeName(x)}
            </option>
          ))}
        </select>
      </label>
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && volunteers.length === 0 && (
        <p class="card muted" data-testid="volunteer-empty">
          {t('people.volunteers.empty')}
        </p>
      )}
      <ul class="wishlist" data-testid="volunteer-list" data-state={list.state}>
        {volunteers.map((v) => (
          <VolunteerItem key={v.user_id} volunteer={v} onChange={onChange} />
        ))}
      </ul>
    </>
  );
}
