// A need found on a visit reported as a service case 民意快线, in the same tap as
// the visit: per need, the service item (a sensible one chosen beforehand) and the
// item's questions. The catalogue comes from what the phone keeps (saved at sign-in,
// src/app.jsx), so this works with no signal; the cases wait in the outbox behind
// the visit and are sent, each once, when the network returns.
import { t } from '../../i18n/index.js';
import { ExtraField, readFields } from '../cases/fields.jsx';

// Which item a need most likely is: preferred item codes, then a category, with the
// answers to its questions that the need already gives. Offices edit the catalogue,
// so every step falls back to what is there.
const DEFAULTS = {
  medical: { items: ['home_care'], category: 'elderly_care', fields: { service: 'medical' } },
  meals: { items: ['home_care', 'meal_canteen'], category: 'elderly_care', fields: { service: 'meals' } },
  repair: { items: ['roof_leak', 'water_pipe'], category: 'housing_repair', fields: {} },
  errand: { items: ['home_care'], category: 'elderly_care', fields: { service: 'cleaning' } },
  company: { items: ['elderly_checkin'], category: 'elderly_care', fields: {} },
};

/** The catalogue's items in use, each with its category's name. */
export function catalogueItems(catalogue) {
  return ((catalogue && catalogue.categories) || []).flatMap((c) =>
    (c.items || []).filter((i) => i.active !== false).map((i) => ({ ...i, category_name: c.name, category: c.code })),
  );
}

/** {item, values}: the item a need starts with, and the answers it already gives. */
export function defaultFor(need, items) {
  const d = DEFAULTS[need] || { items: [], category: '', fields: {} };
  const item = d.items.map((code) => items.find((i) => i.code === code)).find(Boolean) || items.find((i) => i.category === d.category) || null;
  if (!item) return { item: '', values: {} };
  const values = {};
  for (const field of item.fields || []) {
    const v = d.fields[field.key];
    if (v != null && (field.kind !== 'choice' || field.choices.some((c) => c.value === v))) values[field.key] = v;
  }
  return { item: item.code, values };
}

/** Checks every need's item and answers; {ok, errors: {need: {key: reason}}, bodies: {need: fields}}. */
export function readNeedCases(needs, items, picks) {
  const errors = {};
  const bodies = {};
  for (const need of needs) {
    const pick = picks[need] || { item: '', values: {} };
    const item = items.find((i) => i.code === pick.item);
    if (!item) {
      errors[need] = { _item: t('visit.case.item_missing') };
      continue;
    }
    const { out, missing } = readFields(item.fields || [], pick.values || {});
    if (Object.keys(missing).length) errors[need] = missing;
    bodies[need] = { item: item.code, name: item.name, fields: out };
  }
  return { ok: Object.keys(errors).length === 0, errors, bodies };
}

/** Per need: which item, and that item's questions. */
export function NeedCases({ needs, items, picks, errors, onChange, loading }) {
  if (loading) return <p class="muted" role="status">{t('wish.loading')}</p>;
  if (!items.length) {
    return (
      <p class="alert alert--error" role="alert" data-testid="visit-case-nocatalogue">
        {t('visit.case.no_catalogue')}
      </p>
    );
  }
  const categories = [...new Map(items.map((i) => [i.category, i.category_name])).entries()];
  return (
    <div class="stack" data-testid="visit-cases">
      {needs.map((need) => {
        const pick = picks[need] || { item: '', values: {} };
        const item = items.find((i) => i.code === pick.item);
        const wrong = errors[need] || {};
        return (
          <div key={need} class="needcase stack" data-testid="visit-case" data-need={need}>
            <p class="needcase__title">{t('visit.case.for_need', { need: t(`visit.need.${need}`) })}</p>
            <label class="field">
              <span class="field__label">{t('visit.case.item')}</span>
              <select
                class="select--boxed"
                data-testid="visit-case-item"
                value={pick.item}
                onChange={(e) => onChange(need, { item: e.currentTarget.value, values: {} })}
              >
                <option value="">{t('case.form.choose')}</option>
                {categories.map(([code, name]) => (
                  <optgroup key={code} label={name}>
                    {items
                      .filter((i) => i.category === code)
                      .map((i) => (
                        <option key={i.code} value={i.code}>
                          {i.name}
                        </option>
                      ))}
                  </optgroup>
                ))}
              </select>
              {wrong._item && (
                <p class="field__error" role="alert" data-testid="visit-case-item-missing">
                  {wrong._item}
                </p>
              )}
            </label>
            {item &&
              (item.fields || []).map((field) => (
                <ExtraField
                  key={field.key}
                  field={field}
                  value={(pick.values || {})[field.key]}
                  error={wrong[field.key]}
                  onChange={(v) => onChange(need, { item: pick.item, values: { ...(pick.values || {}), [field.key]: v } })}
                />
              ))}
          </div>
        );
      })}
    </div>
  );
}
