// 许个心愿: a resident asks for help. Few words, big buttons; works offline
// (the wish waits in the outbox and is posted when the phone is back online).
// Staff (a window clerk, a grid worker) post for a resident they pick, saying
// how the resident agreed; the server records the consent with the wish.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { submit } from '../../outbox/index.js';
import { isResident, isStaff } from '../../roles.js';
import { ResidentLookup } from '../people/ResidentLookup.jsx';
import { CATEGORIES, wishHref } from './common.jsx';
import { PageHead } from '../../ui/kit.jsx';
import { PhotoPicker } from '../../ui/photos.jsx';

export default function NewWish({ go, user }) {
  // A resident asks for themselves; staff who are not residents ask for someone.
  const forOther = !isResident(user) && isStaff(user);
  const [resident, setResident] = useState(null);
  const [consent, setConsent] = useState(false);
  const [consentNote, setConsentNote] = useState(() => t('wish.for.consent_note_default'));
  const [title, setTitle] = useState('');
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [photo, setPhoto] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [queued, setQueued] = useState(false);

  const send = async (event) => {
    event.preventDefault();
    if (busy) return;
    const cleanTitle = title.trim();
    if (cleanTitle.length < 2) return setError(t('wish.new.title_required'));
    if (!category) return setError(t('wish.new.category_required'));
    if (forOther && !resident) return setError(t('wish.for.resident_required'));
    if (forOther && (!consent || !consentNote.trim())) return setError(t('wish.for.consent_required'));
    setBusy(true);
    setError('');
    try {
      const body = { title: cleanTitle, category };
      if (description.trim()) body.description = description.trim();
      if (forOther) {
        body.beneficiary_id = resident.id;
        body.consent_note = consentNote.trim().slice(0, 200);
      }
      const outcome = await submit({
        kind: 'wish.post',
        path: '/api/v1/wishes',
        body,
        blobs: photo ? { photo: photo.blob } : null,
        label: { action: 'post', title: cleanTitle },
      });
      if (outcome.status === 'sent' && outcome.result) go(wishHref(outcome.result.id));
      else if (outcome.status === 'sent') go(forOther ? '#/home' : '#/wishes');
      else setQueued(true);
    } catch (err) {
      setError(err.detail || String(err));
    } finally {
      setBusy(false);
    }
  };

  if (queued) {
    return (
      <section class="page page--narrow stack" aria-labelledby="page-title">
        <PageHead title={forOther ? t('wish.for.title') : t('wish.new.title')} back={forOther ? '#/home' : '#/wishes'} />
        <div class="card done" data-testid="wish-queued" role="status">
          <p class="done__big">{t('wish.new.queued')}</p>
          <p>{t('wish.new.queued_hint')}</p>
          <a class="btn btn--primary btn--block" href={forOther ? '#/home' : '#/wishes'} data-testid="wish-queued-mine">
            {forOther ? t('home.title') : t('wish.mine.title')}
          </a>
        </div>
      </section>
    );
  }

  return (
    <section class="page page--narrow stack" aria-labelledby="page-title">
      <PageHead title={forOther ? t('wish.for.title') : t('wish.new.title')} back={forOther ? '#/home' : '#/wishes'} />
      <form class="card form wishform" onSubmit={send} noValidate data-testid="wish-form" data-for-other={forOther ? 'yes' : 'no'}>
        {forOther && (
          <ResidentLookup
            value={resident}
            onChange={(r) => {
              setResident(r);
              setError('');
            }}
          />
        )}
        <label class="field">
          <span class="field__label">{forOther ? t('wish.for.what') : t('wish.new.what')}</span>
          <input
            type="text"
            data-testid="wish-title"
            maxLength={60}
            value={title}
            placeholder={t('wish.new.what_example')}
            onInput={(e) => {
              setTitle(e.currentTarget.value);
              setError('');
            }}
            required
          />
        </label>
        <fieldset class="field choices">
          <legend class="field__label">{t('wish.new.category')}</legend>
          <div class="choices__grid">
            {CATEGORIES.map(([value, icon]) => (
              <button
                key={value}
                type="button"
                class={`choice${category === value ? ' choice--on' : ''}`}
                aria-pressed={category === value ? 'true' : 'false'}
                data-testid="wish-category"
                data-value={value}
                onClick={() => {
                  setCategory(value);
                  setError('');
                }}
              >
                <span class="choice__icon" aria-hidden="true">
                  {icon}
                </span>
                {t(`wish.category.${value}`)}
              </button>
            ))}
          </div>
        </fieldset>
        <label class="field">
          <span class="field__label">{t('wish.new.description')}</span>
          <textarea
            data-testid="wish-description"
            rows={4}
            maxLength={1000}
            value={description}
            placeholder={t('wish.new.description_hint')}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </label>
        <div class="field">
          <span class="field__label">{t('wish.new.photo')}</span>
          <PhotoPicker value={photo} onChange={setPhoto} testid="wish-photo" />
        </div>
        {forOther && (
          <>
            <label class="check check--block">
              <input
                type="checkbox"
                data-testid="wish-for-consent"
                checked={consent}
                onChange={(e) => {
                  setConsent(e.currentTarget.checked);
                  setError('');
                }}
              />
              {t('wish.for.consent')}
            </label>
            <label class="field">
              <span class="field__label">{t('wish.for.consent_note')}</span>
              <input
                type="text"
                maxLength={200}
                data-testid="wish-for-consent-note"
                value={consentNote}
                onInput={(e) => {
                  setConsentNote(e.currentTarget.value);
                  setError('');
                }}
              />
            </label>
          </>
        )}
        {error && (
          <div class="alert alert--error" role="alert" data-testid="wish-error">
            <p>{error}</p>
          </div>
        )}
        <button type="submit" class="btn btn--primary btn--block btn--huge" data-testid="wish-submit" disabled={busy}>
          {busy && <span class="spinner" aria-hidden="true" />}
          {busy ? t('wish.new.sending') : t('wish.new.submit')}
        </button>
        <p class="muted">{forOther ? t('wish.for.privacy') : t('wish.new.privacy')}</p>
      </form>
    </section>
  );
}
