// 可服务时间: a volunteer's weekly windows, e.g. 周六 09:00–11:30. The noon and
// evening presets are the staggered hours (错时服务) of home visits.
import { t } from '../../i18n/index.js';

const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];
export const PRESETS = [
  ['noon', '12:00', '14:00'],
  ['evening', '18:30', '20:30'],
];

export const slotsValid = (slots) => slots.every((s) => s.start && s.end && s.end > s.start);

export function AvailabilityEditor({ value, onChange, presets = PRESETS }) {
  const set = (i, patch) => onChange(value.map((slot, j) => (j === i ? { ...slot, ...patch } : slot)));
  const add = (start = '09:00', end = '11:30') => onChange([...value, { weekday: 5, start, end }]);
  return (
    <fieldset class="field" data-testid="availability-editor">
      <legend class="field__label">{t('people.availability_edit')}</legend>
      {value.length === 0 && <p class="muted">{t('people.availability_none')}</p>}
      {value.map((slot, i) => (
        <div key={i} class="actions__row availability__row" data-testid="availability-slot">
          <select class="select--boxed" aria-label={t('people.availability_day')} data-testid="availability-day" value={String(slot.weekday)} onChange={(e) => set(i, { weekday: Number(e.currentTarget.value) })}>
            {WEEKDAYS.map((d) => (
              <option key={d} value={String(d)}>
                {t(`people.weekday.${d}`)}
              </option>
            ))}
          </select>
          <input type="time" aria-label={t('people.availability_from')} data-testid="availability-start" value={slot.start} onInput={(e) => set(i, { start: e.currentTarget.value })} />
          <input type="time" aria-label={t('people.availability_to')} data-testid="availability-end" value={slot.end} onInput={(e) => set(i, { end: e.currentTarget.value })} />
          <button type="button" class="btn btn--ghost btn--small" data-testid="availability-remove" onClick={() => onChange(value.filter((_, j) => j !== i))}>
            {t('people.availability_remove')}
          </button>
        </div>
      ))}
      {!slotsValid(value) && (
        <p class="alert alert--error" role="alert" data-testid="availability-invalid">
          {t('people.availability_invalid')}
        </p>
      )}
      <div class="actions__row">
        <button type="button" class="btn btn--ghost btn--small" data-testid="availability-add" onClick={() => add()}>
          {t('people.availability_add')}
        </button>
        {presets.map(([name, start, end]) => (
          <button key={name} type="button" class="btn btn--ghost btn--small" data-testid={`availability-add-${name}`} onClick={() => add(start, end)}>
            {t(`people.availability_${name}`, { start, end })}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
