// 居民: residents in my scope, filtered by care tag or grid; register one;
// reveal a full phone / ID number (the server writes that to the audit log).
import { useState } from 'preact/hooks';
import { createResident, getGrids, getResidents, revealResident } from '../../api.js';
import { t } from '../../i18n/index.js';
import { LoadError, Loading, useLoad } from '../wishes/common.jsx';
import { CARE_TAGS, Chips, ErrorNote, NOTIFY_VIA, tagName } from './shared.jsx';

const PAGE = 50;

/** Community codes from the user's community-level roles (a grid code starts with one). */
const communityCodes = (user) =>
  ((user && user.roles) || []).filter((r) => r.scope_level === 'community' && r.scope_code).map((r) => r.scope_code);

function RegisterForm({ onCreated, onClose }) {
  const empty = { name: '', phone: '', building_code: '', unit: '', birth_year: '', id_number: '', notify_via: 'both' };
  const [form, setForm] = useState(empty);
  const [tags, setTags] = useState([]);
  const [minor, setMinor] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
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
      {field('building_code', t('people.register.building'), { maxLength: 32, required: true, placeholder: '410902001001001B001' })}
      <p class="muted">{t('people.register.building_hint')}</p>
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

function ResidentItem({ resident, fresh }) {
  const [shown, setShown] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState('');
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
    </li>
  );
}

export function Residents({ user }) {
  const [careTag, setCareTag] = useState('');
  const [grid, setGrid] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [registering, setRegistering] = useState(false);
  const [created, setCreated] = useState([]);
  const list = useLoad(() => getResidents({ care_tag: careTag, grid, limit, offset: 0 }), [careTag, grid, limit]);
  const grids = useLoad(getGrids, []);
  const mine = communityCodes(user);
  const gridOptions = (grids.data || []).filter((g) => !mine.length || mine.some((code) => g.code.startsWith(code)));
  const known = new Set((list.data || []).map((r) => r.id));
  const extra = created.filter((r) => !known.has(r.id));
  const residents = [...extra, ...(list.data || [])];
  const freshIds = new Set(created.map((r) => r.id));

  const onCreated = (resident) => {
    setCreated((c) => [resident, ...c]);
    setRegistering(false);
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
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && <LoadError error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && residents.length === 0 && (
        <p class="card muted" data-testid="resident-empty">
          {t('people.residents.empty')}
        </p>
      )}
      <ul class="wishlist" data-testid="resident-list" data-state={list.state}>
        {residents.map((r) => (
          <ResidentItem key={r.id} resident={r} fresh={freshIds.has(r.id)} />
        ))}
      </ul>
      {list.data && list.data.length >= limit && (
        <button type="button" class="btn btn--ghost btn--block" data-testid="resident-more" onClick={() => setLimit((n) => Math.min(n + PAGE, 200))} disabled={limit >= 200}>
          {t('people.more')}
        </button>
      )}
    </>
  );
}
