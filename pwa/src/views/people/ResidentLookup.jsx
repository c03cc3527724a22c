// Pick a resident by the same search the people screens use (start of the
// name, last 4 digits of the phone, or a building code): staff posting a
// wish for someone choose them here instead of typing an id.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { LoadError, useLoad, useSettled } from '../../ui/kit.jsx';
import { findResidents } from './peopleApi.js';

const describe = (r) => [r.building, r.unit, r.phone_masked].filter(Boolean).join(' · ');

export function ResidentLookup({ value, onChange, label = '' }) {
  const [text, setText] = useState('');
  const q = useSettled(text.trim(), 300);
  const found = useLoad(() => (q ? findResidents({ q, limit: 8 }) : Promise.resolve(null)), [q]);

  if (value) {
    return (
      <div class="field">
        <span class="field__label">{label || t('wish.for.resident')}</span>
        <div class="picked" data-testid="wish-for-picked" data-id={value.id}>
          <span>
            <strong>{value.name}</strong>
            <span class="muted"> {describe(value)}</span>
          </span>
          <button type="button" class="btn btn--ghost btn--small" data-testid="wish-for-change" onClick={() => onChange(null)}>
            {t('wish.for.change')}
          </button>
        </div>
      </div>
    );
  }
  const items = (found.data && found.data.items) || [];
  return (
    <div class="field">
      <label class="field__label" for="wish-for-search">
        {label || t('wish.for.resident')}
      </label>
      <input
        id="wish-for-search"
        type="search"
        inputMode="search"
        autoComplete="off"
        maxLength={50}
        placeholder={t('people.residents.search_hint')}
        data-testid="wish-for-search"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      {found.state === 'error' && <LoadError error={found.error} onRetry={found.reload} />}
      {q && found.state === 'ready' && items.length === 0 && <p class="muted">{t('wish.for.none')}</p>}
      {items.length > 0 && (
        <ul class="choices__list pickable" data-testid="wish-for-results">
          {items.map((r) => (
            <li key={r.id}>
              <button type="button" class="choice choice--wide" data-testid="wish-for-result" data-id={r.id} onClick={() => onChange(r)}>
                <strong>{r.name}</strong>
                <span class="muted"> {describe(r)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
