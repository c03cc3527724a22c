// 爱心商户: the community office marks storefronts as caring businesses, says
// what each offers and which account claims wishes in its name.
import { useState } from 'preact/hooks';
import { getStorefronts, saveCaringBusiness } from '../../api.js';
import { t } from '../../i18n/index.js';
import { LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';


const PHONE = /^1[3-9]\d{9}$/;

/** A storefront's trade as the map names it (grocery, barber …), in the reader's language; a city's own code as it is. */
export function tradeLabel(code) {
  if (!code) return '';
  const key = `business.trade.${code}`;
  const name = t(key);
  return name === key ? code : name;
}

function BusinessForm({ store, onSaved, onCancel }) {
  const [caring, setCaring] = useState(store.caring || !store.offer);
  const [offer, setOffer] = useState(store.offer || '');
  const [phone, setPhone] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const save = async (event) => {
    event.preventDefault();
    if (phone && !PHONE.test(phone)) return setError(t('business.phone_invalid'));
    setBusy(true);
    setError('');
    try {
      const body = { active: caring, offer: offer.trim() };
      if (phone) body.contact_phone = phone;
      onSaved(await saveCaringBusiness(store.code, body));
    } catch (err) {
      setError((err && err.detail) || String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form" onSubmit={save} noValidate data-testid="business-form">
      <label class="check">
        <input type="checkbox" data-testid="business-caring" checked={caring} onChange={(e) => setCaring(e.currentTarget.checked)} />
        {t('business.is_caring')}
      </label>
      <label class="field">
        <span class="field__label">{t('business.offer')}</span>
        <input type="text" maxLength={200} data-testid="business-offer" value={offer} placeholder={t('business.offer_hint')} onInput={(e) => {
            setOffer(e.currentTarget.value);
            setError('');
          }} />
      </label>
      <label class="field">
        <span class="field__label">{t('business.contact_phone')}</span>
        <input type="tel" inputMode="numeric" maxLength={11} data-testid="business-phone" value={phone} placeholder={t('business.contact_hint')} onInput={(e) => {
            setPhone(e.currentTarget.value.trim());
            setError('');
          }} />
      </label>
      {error && (
        <p class="alert alert--error" role="alert" data-testid="business-error">
          {error}
        </p>
      )}
      <div class="actions__row">
        <button type="submit" class="btn btn--primary" data-testid="business-save" disabled={busy}>
          {busy && <span class="spinner" aria-hidden="true" />}
          {t('wish.do.save')}
        </button>
        <button type="button" class="btn btn--ghost" onClick={onCancel}>
          {t('wish.do.cancel')}
        </button>
      </div>
    </form>
  );
}

function StoreCard({ store, onSaved }) {
  const [editing, setEditing] = useState(false);
  return (
    <li class="card" data-testid="storefront" data-code={store.code} data-caring={store.caring ? 'yes' : 'no'}>
      <div class="wishdetail__head">
        <h2 class="boarditem__title">{store.name}</h2>
        {store.caring && <span class="badge badge--confirmed" data-testid="business-caring-badge">{t('business.caring')}</span>}
      </div>
      <p class="muted" data-testid="storefront-meta">
        {[tradeLabel(store.trade), store.grid, store.address].filter(Boolean).join(' · ')}
      </p>
      {store.offer && <p data-testid="business-offer-shown">{store.offer}</p>}
      {store.contact && <p class="muted">{t('business.contact', { name: store.contact })}</p>}
      {editing ? (
        <BusinessForm
          store={store}
          onCancel={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            onSaved(saved);
          }}
        />
      ) : (
        <button type="button" class="btn btn--ghost btn--block" data-testid="business-edit" onClick={() => setEditing(true)}>
          {store.caring ? t('business.change') : t('business.register')}
        </button>
      )}
    </li>
  );
}

export default function Businesses({ user }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  const stores = useCommunityLoad(choice, getStorefronts, [], []);
  const [onlyCaring, setOnlyCaring] = useState(false);
  const items = (stores.data || []).filter((s) => !onlyCaring || s.caring);
  const replace = (saved) => stores.setData((stores.data || []).map((s) => (s.code === saved.code ? saved : s)));

  return (
    <section class="page stack" aria-labelledby="page-title" data-testid="businesses" data-state={stores.state}>
      <PageHead title={t('business.title')} back="#/home" />
      <p class="muted">{t('business.intro')}</p>
      <CommunityPicker choice={choice} testid="business-community" />
      <label class="check">
        <input type="checkbox" data-testid="business-only-caring" checked={onlyCaring} onChange={(e) => setOnlyCaring(e.currentTarget.checked)} />
        {t('business.only_caring')}
      </label>
      {(stores.state === 'loading' || communities.state === 'loading') && <Loading />}
      {stores.state === 'error' && <LoadError error={stores.error} onRetry={stores.reload} />}
      {stores.state === 'ready' && items.length === 0 && <p class="card muted">{t('business.empty')}</p>}
      <ul class="wishlist">
        {items.map((store) => (
          <StoreCard key={store.code} store={store} onSaved={replace} />
        ))}
      </ul>
    </section>
  );
}
