// 居民: find residents in my scope (name, phone's last four digits or building;
// care tag, grid), a page at a time; register one, picking the building from a
// lookup; reveal a full phone / ID number and give a one-time password (the
// server writes both to the audit log).
import { useState } from 'preact/hooks';
import { createResident, getGrids, revealResident } from '../../api.js';
import { t } from '../../i18n/index.js';

import { findBuildings, findResidents, residentPassword } from './peopleApi.js';
import { CARE_TAGS, Chips, NOTIFY_VIA, tagName } from './shared.jsx';
import { ErrorNote, LoadError, Loading, useLoad, useSettled } from '../../ui/kit.jsx';

const PAGE = 50;

/** Community codes from the user's community-level roles (a grid code starts with one). */
const communityCodes = (user) =>
  ((user && user.roles) || []).filter((r) => r.scope_level === 'community' && r.scope_code).map((r) => r.scope_code);

/** The building field: type a piece of its code, name or address and pick it from the list. */
function BuildingPicker({ value, onChange }) {
  const [text, setText] = useState(value);
  const [chosen, setChosen] = useState(null);
  const settled = useSettled(text.trim(), 250);
  const lookup = useLoad(
    () => (settled && (!chosen || chosen.code !== settled) ? findBuildings(settled) : Promise.resolve(null)),
    [settled],
  );
  const options = (settled && lookup.data) || [];
  const pick = (b) => {
    setChosen(b);
    setText(b.code);
    onChange(b.code);
  };
  return (
    <div class="field" data-testid="building-picker">
      <label class="field__label" for="resident-building">
        {t('people.register.building')}
      </label>
      <input
        id="resident-building"
        type="text"
        role="combobox"
        aria-expanded={options.length > 0 ? 'true' : 'false'}
        aria-controls="building-options"
        autoComplete="off"
        maxLength={40}
        placeholder={t('people.register.building_search')}
        data-testid="resident-building-code"
        value={text}
        onInput={(e) => {
          const typed = e.currentTarget.value;
          setText(typed);
          setChosen(null);
          onChange(typed.trim());
        }}
      />
      {chosen ? (
        <p class="muted" data-testid="building-chosen" data-code={chosen.code}>
          {t('people.register.building_chosen', { name: chosen.name, grid: chosen.grid })}
        </p>
      ) : (
        <p class="muted">{t('people.register.building_hint')}</p>
      )}
      {!chosen && settled && lookup.state === 'ready' && options.length === 0 && (
        <p class="muted" data-testid="building-none">
          {t('people.register.building_none')}
        </p>
      )}
      {!chosen && options.length > 0 && (
        <ul id="building-options" role="listbox" class="wishlist" data-testid="building-options">
          {options.map((b) => (
            <li key={b.code} role="option" aria-selected="false">
              <button type="button" class="btn btn--ghost btn--block" data-testid="building-option" data-code={b.code} onClick={() => pick(b)}>
                <strong>{b.name}</strong> <span class="muted">{[b.address, b.code].filter(Boolean).join(' · ')}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RegisterForm({ onCreated, onClose }) {
  const empty = { name: '', phone: '', building_code: '', unit: '', birth_year: '', id_number: '', notify_via: 'both' };
  const [form, setForm] = useState(empty);
  const [tags, setTags] = useState([]);
  const [minor, setMinor] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  // A message about the form goes once the user changes it (it may no longer be true).
  const set = (key) => (e) => {
    setForm({ ...form, [key]: e.currentTarget.value });
    setError(null);
  };
  const toggle = (tag) => setTags(tags.includes(tag) ? tags.filter((x) => x !== tag) : [...tags, tag]);

  const send = async (event) => {
    event.preventDefault();
    if (busy) return;
    if (form.name.trim().length < 1) return setError({ detail: t('people.register.name_required') });
    if (!form.building_code.trim()) return setError({ detail: t('people.register.building_required') });
    const body = { name: form.name.trim(), building_code: form.building_code.trim(), is_minor: minor, care_tags: tags, notify_via: form.notify_via };
    for (const key of ['phone', 'unit', 'id_number']) if (form[key].trim()) body[key] = form[key].trim();
    if (form.birth_year.trim()) body.birth_year = Number(form.birth_year.trim());
    setBusy(true);
    setError(null);
    try {
      onCreated(await createResident(body));
      setForm(empty);
      setTags([]);
      setMinor(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (key, label, props = {}) => (
    <label class="field">
      <span class="field__label">{label}</span>
      <input type="text" data-testid={`resident-${key.replace('_', '-')}`} value={form[key]} onInput={set(key)} {...props} />
    </label>
  );

  return (
    <form class="card form" onSubmit={send} noValidate data-testid="resident-form">
      <h2>{t('people.register.title')}</h2>
      {field('name', t('people.register.name'), { maxLength: 50, required: true })}
      {field('phone', t('people.register.phone'), { type: 'tel', inputMode: 'numeric', maxLength: 11, autoComplete: 'off' })}
      <BuildingPicker value={form.building_code} onChange={(code) => {
          setForm((f) => ({ ...f, building_code: code }));
          setError(null);
        }} />
      {field('unit', t('people.register.unit'), { maxLength: 30, placeholder: t('people.register.unit_example') })}
      {field('birth_year', t('people.register.birth_year'), { inputMode: 'numeric', maxLength: 4 })}
      <label class="check">
        <input type="checkbox" data-testid="resident-minor" checked={minor} onChange={(e) => setMinor(e.currentTarget.checked)} />
        {t('people.register.minor')}
      </label>
      <fieldset class="field choices">
        <legend class="field__label">{t('people.care_tags')}</legend>
        <div class="chips">
          {CARE_TAGS.map((tag) => (
            <label key={tag} class="check chipcheck">
              <input type="checkbox" data-testid="resident-care-tag" data-value={tag} checked={tags.includes(tag)} onChange={() => toggle(tag)} />
              {tagName(tag)}
            </label>
          ))}
        </div>
      </fieldset>
      {field('id_number', t('people.register.id_number'), { maxLength: 18, autoComplete: 'off' })}
      <label class="field">
        <span class="field__label">{t('people.register.notify_via')}</span>
        <select class="select--boxed" data-testid="resident-notify-via" value={form.notify_via} onChange={set('notify_via')}>
          {NOTIFY_VIA.map((via) => (
            <option key={via} value={via}>
              {t(`people.notify.${via}`)}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={error} testid="resident-error" />
      <button type="submit" class="btn btn--primary btn--block btn--huge" data-testid="resident-submit" disabled={busy}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {t('people.register.submit')}
      </button>
      <button type="button" class="btn btn--ghost btn--block" data-testid="resident-cancel" onClick={onClose}>
        {t('people.cancel')}
      </button>
    </form>
  );
}

function Revealed({ value, testid }) {
  return (
    <span class="revealed">
      <strong data-testid={testid}>{value}</strong>
      <span class="muted revealed__note" data-testid="resident-reveal-notice">
        {t('people.reveal.logged')}
      </span>
    </span>
  );
}

/** A one-time password for a resident (their account is opened first if they have none). */
function ResidentPassword({ resident, onDone, onClose }) {
  const [state, setState] = useState({ step: 'ask' }); // ask | busy | shown | error
  const issue = async () => {
    setState({ step: 'busy' });
    try {
      const answer = await residentPassword(resident.id);
      setState({ step: 'shown', answer });
      onDone();
    } catch (error) {
      setState({ step: 'error', error });
    }
  };
  if (state.step === 'shown') {
    const { answer } = state;
    return (
      <div class="alert alert--ok temppw" role="status" data-testid="resident-password">
        <p>{t(answer.account_created ? 'people.resident_pw.created' : 'people.resident_pw.renewed', { name: resident.name })}</p>
        <p>{t('people.resident_pw.login', { phone: answer.phone_masked })}</p>
        <p class="temppw__value" data-testid="resident-password-value" lang="en">
          {answer.password}
        </p>
        <p>{t('people.temp.guidance')}</p>
        <button type="button" class="btn btn--ghost btn--block" data-testid="resident-password-done" onClick={onClose}>
          {t('people.temp.done')}
        </button>
      </div>
    );
  }
  return (
    <div class="alert alert--info" data-testid="resident-password-ask">
      <p>{t(resident.has_account ? 'people.resident_pw.confirm_renew' : 'people.resident_pw.confirm_create', { name: resident.name })}</p>
      {state.step === 'error' && <ErrorNote error={state.error} testid="resident-password-error" />}
      <div class="actions__row">
        <button type="button" class="btn btn--primary" data-testid="resident-password-confirm" disabled={state.step === 'busy'} onClick={issue}>
          {t('people.temp.issue')}
        </button>
        <button type="button" class="btn btn--ghost" data-testid="resident-password-cancel" onClick={onClose}>
          {t('people.cancel')}
        </button>
      </div>
    </div>
  );
}

function ResidentItem({ resident, fresh }) {
  const [shown, setShown] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState('');
  const [password, setPassword] = useState(false);
  const [hasAccount, setHasAccount] = useState(resident.has_account);
  const reveal = async (field) => {
    setBusy(field);
    setError(null);
    try {
      const answer = await revealResident(resident.id, field);
      setShown((s) => ({ ...s, [field]: answer.value }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };
  return (
    <li class={`card person${fresh ? ' person--fresh' : ''}`} data-testid="resident-item" data-id={resident.id}>
      <div class="person__head">
        <strong class="person__name" data-testid="resident-item-name">
          {resident.name}
        </strong>
        {resident.is_minor && <span class="chip">{t('people.minor')}</span>}
        {fresh && <span class="chip chip--ok">{t('people.register.done')}</span>}
      </div>
      <p class="muted person__meta">
        {[resident.building || resident.building_code, resident.unit].filter(Boolean).join(' · ')}
        {resident.birth_year ? ` · ${t('people.born', { year: resident.birth_year })}` : ''}
      </p>
      <Chips items={resident.care_tags} name={tagName} testid="resident-care-chip" />
      <a class="btn btn--ghost btn--small" href={`#/residents/${resident.id}/timeline`} data-testid="resident-timeline-link">
        {t('timeline.open')}
      </a>
      <div class="person__row">
        <span>{t('people.phone')}</span>
        {shown.phone ? (
          <Revealed value={shown.phone} testid="resident-phone-full" />
        ) : (
          <>
            <span data-testid="resident-phone-masked">{resident.phone_masked || t('people.none')}</span>
            {resident.phone_masked && (
              <button type="button" class="btn btn--ghost btn--small" data-testid="resident-reveal-phone" disabled={busy === 'phone'} onClick={() => reveal('phone')}>
                {t('people.reveal.phone')}
              </button>
            )}
          </>
        )}
      </div>
      {resident.has_id_number && (
        <div class="person__row">
          <span>{t('people.id_number')}</span>
          {shown.id_number ? (
            <Revealed value={shown.id_number} testid="resident-id-full" />
          ) : (
            <button type="button" class="btn btn--ghost btn--small" data-testid="resident-reveal-id" disabled={busy === 'id_number'} onClick={() => reveal('id_number')}>
              {t('people.reveal.id_number')}
            </button>
          )}
        </div>
      )}
      <ErrorNote error={error} testid="resident-reveal-error" />
      {password ? (
        <ResidentPassword resident={{ ...resident, has_account: hasAccount }} onDone={() => setHasAccount(true)} onClose={() => setPassword(false)} />
      ) : (
        resident.phone_masked && (
          <div class="actions__row">
            <span class="muted" data-testid="resident-account" data-has-account={String(hasAccount)}>
              {hasAccount ? t('people.resident_pw.has_account') : t('people.resident_pw.no_account')}
            </span>
            <button type="button" class="btn btn--ghost btn--small" data-testid="resident-temp-password" onClick={() => setPassword(true)}>
              {t(hasAccount ? 'people.temp.button' : 'people.resident_pw.open')}
            </button>
          </div>
        )
      )}
    </li>
  );
}

export function Residents({ user }) {
  const [text, setText] = useState('');
  const [careTag, setCareTag] = useState('');
  const [grid, setGrid] = useState('');
  const [registering, setRegistering] = useState(false);
  const [created, setCreated] = useState([]);
  const [more, setMore] = useState({ busy: false, error: null });
  const q = useSettled(text.trim(), 300);
  // Each answer remembers the search it answers: the old list stays up while a new one loads.
  const list = useLoad(() => findResidents({ q, care_tag: careTag, grid, limit: PAGE, offset: 0 }).then((p) => ({ ...p, q })), [q, careTag, grid]);
  const grids = useLoad(getGrids, []);
  const mine = communityCodes(user);
  const gridOptions = (grids.data || []).filter((g) => !mine.length || mine.some((code) => g.code.startsWith(code)));
  const page = list.data || { total: 0, items: [], q: '' };
  const known = new Set(page.items.map((r) => r.id));
  const extra = created.filter((r) => !known.has(r.id));
  const residents = [...extra, ...page.items];
  const freshIds = new Set(created.map((r) => r.id));

  const onCreated = (resident) => {
    setCreated((c) => [resident, ...c]);
    setRegistering(false);
  };
  const loadMore = async () => {
    setMore({ busy: true, error: null });
    try {
      const next = await findResidents({ q, care_tag: careTag, grid, limit: PAGE, offset: page.items.length });
      list.setData((d) => ({ ...d, total: next.total, items: [...d.items, ...next.items.filter((r) => !known.has(r.id))] }));
      setMore({ busy: false, error: null });
    } catch (error) {
      setMore({ busy: false, error });
    }
  };

  return (
    <>
      {registering ? (
        <RegisterForm onCreated={onCreated} onClose={() => setRegistering(false)} />
      ) : (
        <button type="button" class="btn btn--primary btn--block btn--big" data-testid="resident-register" onClick={() => setRegistering(true)}>
          <span aria-hidden="true">＋ </span>
          {t('people.register.title')}
        </button>
      )}
      <label class="field">
        <span class="field__label">{t('people.residents.search')}</span>
        <input
          type="search"
          inputMode="search"
          autoComplete="off"
          maxLength={50}
          placeholder={t('people.residents.search_hint')}
          data-testid="resident-search"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <div class="filters">
        <label class="field">
          <span class="field__label">{t('people.care_tags')}</span>
          <select class="select--boxed" data-testid="resident-filter-care" value={careTag} onChange={(e) => setCareTag(e.currentTarget.value)}>
            <option value="">{t('people.all')}</option>
            {CARE_TAGS.map((tag) => (
              <option key={tag} value={tag}>
                {tagName(tag)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span class="field__label">{t('people.grid')}</span>
          <select class="select--boxed" data-testid="resident-filter-grid" value={grid} onChange={(e) => setGrid(e.currentTarget.value)}>
            <option value="">{t('people.all')}</option>
            {gridOptions.map((g) => (
              <option key={g.code} value={g.code}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.state === 'ready' && (
        <p class="muted" role="status" data-testid="resident-total" data-total={page.total} data-shown={page.items.length} data-query={page.q}>
          {t('people.residents.total', { shown: page.items.length, total: page.total })}
        </p>
      )}
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && residents.length === 0 && (
        <p class="card muted" data-testid="resident-empty">
          {q ? t('people.residents.none_found') : t('people.residents.empty')}
        </p>
      )}
      <ul class="wishlist" data-testid="resident-list" data-state={list.state}>
        {residents.map((r) => (
          <ResidentItem key={r.id} resident={r} fresh={freshIds.has(r.id)} />
        ))}
      </ul>
      <ErrorNote error={more.error} testid="resident-more-error" />
      {list.state === 'ready' && page.items.length < page.total && (
        <button type="button" class="btn btn--ghost btn--block" data-testid="resident-more" onClick={loadMore} disabled={more.busy}>
          {more.busy && <span class="spinner spinner--dark" aria-hidden="true" />}
          {t('people.residents.more', { left: page.total - page.items.length })}
        </button>
      )}
    </>
  );
}
