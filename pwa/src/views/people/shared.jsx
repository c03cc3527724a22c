// What the people screens share: the lists of care tags and trades (as the
// server names them), the tag chips, and the outcome of a staff action.
import { t } from '../../i18n/index.js';

export const CARE_TAGS = ['elderly_alone', 'disabled', 'low_income', 'left_behind_child', 'serious_illness', 'empty_nest', 'veteran'];
export const TRADES = ['teacher', 'doctor', 'cook', 'barber', 'electrician', 'plumber', 'lawyer', 'nurse'];
export const NOTIFY_VIA = ['both', 'sms', 'push'];

export const tagName = (tag) => (CARE_TAGS.includes(tag) ? t(`people.care.${tag}`) : tag);
export const tradeName = (trade) => (TRADES.includes(trade) ? t(`people.trade.${trade}`) : trade);

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

export function ErrorNote({ error, testid }) {
  if (!error) return null;
  return (
    <div class="alert alert--error" role="alert" data-testid={testid}>
      <p>{error.detail || String(error)}</p>
    </div>
  );
}
