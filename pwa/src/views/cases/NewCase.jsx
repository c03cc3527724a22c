// 我要反映: a resident raises a matter with their community (民意快线); staff
// take one in for someone else: at the window for a resident who agreed, for a
// hotline caller known only by a phone number, or one they found on patrol.
// Few words and big buttons: the category, then the item, then its questions.
// Sent through the outbox, so it is kept on the phone with no signal.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { submit } from '../../outbox/index.js';
import { can } from '../../roles.js';
import { ResidentLookup } from '../people/ResidentLookup.jsx';
import { formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { PhotoPicker } from '../../ui/photos.jsx';
import { getCatalogue, getDuplicates } from './casesApi.js';
import { caseHref, GridPicker } from './common.jsx';
import { ExtraFields, readFields } from './fields.jsx';

function whereAmI() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error('no geolocation'));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }),
      (e) => reject(e),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
}

function Done({ result, queued, back }) {
  return (
    <div class="card done casedone" data-testid={queued ? 'case-queued' : 'case-sent'} role="status">
      {queued ? (
        <>
          <p class="done__big">{t('case.new.queued')}</p>
          <p>{t('case.new.queued_hint')}</p>
        </>
      ) : (
        <>
          <p class="done__big">{t('case.new.sent')}</p>
          <dl class="facts">
            <div class="fact">
              <dt>{t('case.field.number')}</dt>
              <dd data-testid="case-sent-number">{result.number}</dd>
            </div>
            {result.due_at && (
              <div class="fact">
                <dt>{t('case.field.promised')}</dt>
                <dd data-testid="case-sent-due">{formatDate(result.due_at)}</dd>
              </div>
            )}
          </dl>
          <p>{t('case.new.hear_back')}</p>
        </>
      )}
      {result && result.id && (
        <a class="btn btn--primary btn--block" href={caseHref(result.id)} data-testid="case-sent-open">
          {t('case.new.open')}
        </a>
      )}
      <a class="btn btn--ghost btn--block" href={back} data-testid="case-sent-back">
        {back === '#/cases' ? t('case.mine.title') : t('home.title')}
      </a>
    </div>
  );
}

export default function NewCase({ user }) {
  const staff = can(user, 'case.take_in');
  const office = can(user, 'case.office');
  const forOther = staff && !can(user, 'case.report');
  const back = forOther ? (office ? '#/cases/office' : '#/cases/inbox') : '#/cases';
  const catalogue = useLoad(getCatalogue, []);
  const [channel, setChannel] = useState(forOther ? (office ? 'window' : 'patrol') : 'resident_app');
  const [category, setCategory] = useState(null);
  const [item, setItem] = useState(null);
  const [values, setValues] = useState({});
  const [fieldErrors, setFieldErrors] = useState({});
  const [description, setDescription] = useState('');
  const [photo, setPhoto] = useState(null);
  const [useHere, setUseHere] = useState(false);
  const [point, setPoint] = useState(null);
  const [locating, setLocating] = useState(false);
  const [grid, setGrid] = useState('');
  const [resident, setResident] = useState(null);
  const [consent, setConsent] = useState(false);
  const [consentNote, setConsentNote] = useState(() => t('case.intake.consent_note_default'));
  const [phone, setPhone] = useState('');
  const [duplicates, setDuplicates] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState(null);

  const title = forOther ? t('case.intake.title') : t('case.new.title');
  if (done) {
    return (
      <section class="page page--narrow stack" aria-labelledby="page-title">
        <PageHead title={title} back={back} />
        <Done result={done.result} queued={done.queued} back={back} />
      </section>
    );
  }

  const locate = async (on) => {
    setUseHere(on);
    setPoint(null);
    if (!on) return;
    setLocating(true);
    try {
      setPoint(await whereAmI());
    } catch {
      setError(t('case.new.no_location'));
      setUseHere(false);
    } finally {
      setLocating(false);
    }
  };

  const send = async (event, anyway = false) => {
    if (event) event.preventDefault();
    if (busy || !item) return;
    const { out, missing } = readFields(item.fields, values);
    setFieldErrors(missing);
    if (Object.keys(missing).length) return setError(t('case.new.fix_fields'));
    if (!description.trim()) return setError(t('case.new.description_required'));
    if (channel === 'window' && !resident) return setError(t('wish.for.resident_required'));
    if (channel === 'window' && (!consent || !consentNote.trim())) return setError(t('wish.for.consent_required'));
    if (channel === 'hotline' && !/^\+?[0-9]{5,20}$/.test(phone.trim())) return setError(t('case.intake.phone_required'));
    if ((channel === 'hotline' || channel === 'patrol') && !grid && !point) return setError(t('case.intake.where_required'));
    setError('');
    // Staff see what is already open nearby before making a second case of it.
    if (!anyway && staff && point && navigator.onLine !== false) {
      const found = await getDuplicates(item.code, point.lon, point.lat).catch(() => []);
      if (found.length) return setDuplicates(found);
    }
    setBusy(true);
    try {
      const body = { item: item.code, description: description.trim(), channel, fields: out, photos: [] };
      if (point) Object.assign(body, { lon: point.lon, lat: point.lat });
      else if (grid && channel !== 'window') body.grid_code = grid;
      if (channel === 'window') Object.assign(body, { resident_id: resident.id, consent_note: consentNote.trim().slice(0, 200) });
      if (channel === 'hotline') body.contact_phone = phone.trim();
      const outcome = await submit({
        kind: 'case.report',
        path: '/api/v1/cases',
        body,
        blobs: photo ? { photos: photo.blob } : null,
        label: { action: 'case_report', title: item.name },
      });
      setDone({ result: outcome.result, queued: outcome.status !== 'sent' });
    } catch (err) {
      const field = err.extra && err.extra.field;
      if (field) setFieldErrors({ [field]: err.detail });
      setError(err.detail || String(err));
    } finally {
      setBusy(false);
    }
  };

  if (catalogue.state === 'loading') {
    return (
      <section class="page page--narrow stack">
        <PageHead title={title} back={back} />
        <Loading />
      </section>
    );
  }
  if (!catalogue.data) {
    return (
      <section class="page page--narrow stack">
        <PageHead title={title} back={back} />
        <LoadError error={catalogue.error} onRetry={catalogue.reload} />
      </section>
    );
  }
  const categories = catalogue.data.categories || [];

  // Step 1: what is it about (a category), step 2: which matter (an item).
  if (!item) {
    const cat = category && categories.find((c) => c.code === category);
    return (
      <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="case-new" data-step={cat ? 'item' : 'category'}>
        <PageHead title={title} back={back} />
        <p class="casestep">{cat ? t('case.new.pick_item', { category: cat.name }) : t('case.new.pick_category')}</p>
        <ul class="casepick">
          {(cat ? cat.items : categories).map((entry) => (
            <li key={entry.code}>
              <button
                type="button"
                class="choice choice--wide casepick__btn"
                data-testid={cat ? 'case-item-pick' : 'case-category'}
                data-value={entry.code}
                onClick={() => (cat ? setItem(entry) : setCategory(entry.code))}
              >
                {entry.name}
              </button>
            </li>
          ))}
        </ul>
        {cat && (
          <button type="button" class="btn btn--ghost btn--block" data-testid="case-category-back" onClick={() => setCategory(null)}>
            {t('case.new.other_category')}
          </button>
        )}
      </section>
    );
  }

  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="case-new" data-step="form">
      <PageHead title={title} back={back} />
      <form class="card form" onSubmit={send} noValidate data-testid="case-form">
        <div class="picked" data-testid="case-picked" data-value={item.code}>
          <strong>{item.name}</strong>
          <button type="button" class="btn btn--ghost btn--small" data-testid="case-item-change" onClick={() => { setItem(null); setValues({}); setFieldErrors({}); setError(''); }}>
            {t('case.new.change_item')}
          </button>
        </div>
        {forOther && (
          <fieldset class="field choices">
            <legend class="field__label">{t('case.intake.channel')}</legend>
            <div class="casechannels">
              {(office ? ['window', 'hotline', 'patrol'] : ['patrol', 'hotline']).map((c) => (
                <button key={c} type="button" class={`choice choice--wide${channel === c ? ' choice--on' : ''}`} aria-pressed={channel === c ? 'true' : 'false'} data-testid="case-channel" data-value={c} onClick={() => { setChannel(c); setError(''); }}>
                  {t(`case.channel.${c}`)}
                </button>
              ))}
            </div>
          </fieldset>
        )}
        {channel === 'window' && <ResidentLookup label={t('case.intake.resident')} value={resident} onChange={(r) => { setResident(r); setError(''); }} />}
        {channel === 'hotline' && (
          <label class="field">
            <span class="field__label">{t('case.intake.phone')}</span>
            <input type="tel" inputMode="tel" maxLength={21} data-testid="case-contact-phone" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
          </label>
        )}
        <ExtraFields fields={item.fields} values={values} errors={fieldErrors} setValues={setValues} setErrors={setFieldErrors} />
        <label class="field">
          <span class="field__label">
            {t('case.new.description')}
            <span class="required"> *</span>
          </span>
          <textarea rows={4} maxLength={2000} data-testid="case-description" value={description} placeholder={t('case.new.description_hint')} onInput={(e) => { setDescription(e.currentTarget.value); setError(''); }} />
        </label>
        <div class="field">
          <span class="field__label">{t('case.new.photo')}</span>
          <PhotoPicker value={photo} onChange={setPhoto} testid="case-photo" />
        </div>
        {channel !== 'window' && (
          <div class="field">
            <label class="check check--block">
              <input type="checkbox" data-testid="case-use-here" checked={useHere} onChange={(e) => locate(e.currentTarget.checked)} />
              {t('case.new.use_here')}
            </label>
            <p class="muted" data-testid="case-where">
              {locating ? t('case.new.locating') : point ? t('case.new.here_got') : channel === 'resident_app' ? t('case.new.home_used') : ''}
            </p>
            {!point && (channel === 'hotline' || channel === 'patrol') && <GridPicker value={grid} onChange={setGrid} label="case.intake.grid" testid="case-intake-grid" />}
          </div>
        )}
        {channel === 'window' && (
          <>
            <label class="check check--block">
              <input type="checkbox" data-testid="case-consent" checked={consent} onChange={(e) => { setConsent(e.currentTarget.checked); setError(''); }} />
              {t('case.intake.consent')}
            </label>
            <label class="field">
              <span class="field__label">{t('wish.for.consent_note')}</span>
              <input type="text" maxLength={200} data-testid="case-consent-note" value={consentNote} onInput={(e) => setConsentNote(e.currentTarget.value)} />
            </label>
          </>
        )}
        {duplicates && (
          <div class="alert alert--info casedups" role="alert" data-testid="case-duplicates" data-count={duplicates.length}>
            <p>
              <strong>{t('case.new.duplicates')}</strong>
            </p>
            <ul>
              {duplicates.map((d) => (
                <li key={d.id}>
                  <a href={caseHref(d.id)}>{d.number}</a> · {d.state_name} · {d.description.slice(0, 40)}
                </li>
              ))}
            </ul>
            <button type="button" class="btn btn--primary btn--block" data-testid="case-send-anyway" disabled={busy} onClick={() => send(null, true)}>
              {t('case.new.send_anyway')}
            </button>
          </div>
        )}
        {error && (
          <div class="alert alert--error" role="alert" data-testid="case-error">
            <p>{error}</p>
          </div>
        )}
        {!duplicates && (
          <button type="submit" class="btn btn--primary btn--block btn--huge" data-testid="case-submit" disabled={busy || locating}>
            {busy && <span class="spinner" aria-hidden="true" />}
            {busy ? t('wish.new.sending') : t('case.new.submit')}
          </button>
        )}
        <p class="muted">{t({ resident_app: 'case.new.privacy', window: 'case.intake.privacy_window', hotline: 'case.intake.privacy', patrol: 'case.intake.privacy_patrol' }[channel])}</p>
      </form>
    </section>
  );
}
