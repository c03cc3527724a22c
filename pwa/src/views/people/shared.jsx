// What the people screens share: the lists of care tags and trades (as the
// server names them), the tag chips and the volunteer chooser.
import { t } from '../../i18n/index.js';
import { getVocabulary } from './peopleApi.js';

// The defaults, named in the PWA's catalogs; a city's own (LINLI_CARE_TAGS / LINLI_TRADES)
// come from /api/v1/people/vocabulary with the name the city gave them. Filled in place by
// loadVocabulary() when the people screen opens, so every panel reads the same lists.
export const CARE_TAGS = ['elderly_alone', 'disabled', 'low_income', 'left_behind_child', 'serious_illness', 'empty_nest', 'veteran'];
export const TRADES = ['teacher', 'doctor', 'cook', 'barber', 'electrician', 'plumber', 'lawyer', 'nurse'];
export const NOTIFY_VIA = ['both', 'sms', 'push'];
const BUILT_IN = new Set([...CARE_TAGS, ...TRADES]);
const LABELS = new Map(); // a city's own code → its name

const named = (kind, code) => LABELS.get(`${kind}:${code}`) || (BUILT_IN.has(code) ? t(`people.${kind}.${code}`) : code);
export const tagName = (tag) => named('care', tag);
export const tradeName = (trade) => named('trade', trade);

function take(list, kind, terms) {
  for (const { code, label } of terms) {
    if (label) LABELS.set(`${kind}:${code}`, label);
    if (!list.includes(code)) list.push(code);
  }
}

/** Adds this deployment's own care tags and trades (offline: the defaults stay). */
export async function loadVocabulary() {
  try {
    const words = await getVocabulary();
    take(CARE_TAGS, 'care', words.care_tags);
    take(TRADES, 'trade', words.trades);
    return true;
  } catch {
    return false;
  }
}

export function Chips({ items, name, testid }) {
  if (!items || items.length === 0) return null;
  return (
    <span class="chips">
      {items.map((item) => (
        <span key={item} class="chip" data-testid={testid} data-value={item}>
          {name(item)}
        </span>
      ))}
    </span>
  );
}

/** Choose a volunteer (name and masked phone), leaving out those in `exclude`. */
export function VolunteerSelect({ volunteers, value, onChange, testid, label, exclude = [] }) {
  return (
    <label class="field">
      <span class="field__label">{label}</span>
      <select class="select--boxed" data-testid={testid} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">{t('people.groups.choose')}</option>
        {volunteers
          .filter((v) => !exclude.includes(v.user_id))
          .map((v) => (
            <option key={v.user_id} value={String(v.user_id)}>
              {v.name} {v.phone_masked}
            </option>
          ))}
      </select>
    </label>
  );
}
