// A service item's extra fields 附加信息 (text, number, date or a choice): the inputs
// and how their values are read, for intake (the resident's form, staff intake, a need
// found on a visit) and for changing a case's item (CaseDetail).
import { t } from '../../i18n/index.js';
import './cases.css';

/** One extra field of the item, by its kind; `error` is the server's reason for it. */
export function ExtraField({ field, value, onChange, error }) {
  const id = `case-field-${field.key}`;
  const label = (
    <span class="field__label">
      {field.label}
      {field.required && <span class="required" aria-label={t('case.new.required')}> *</span>}
    </span>
  );
  let input;
  if (field.kind === 'choice') {
    return (
      <fieldset class="field choices" data-testid="case-field" data-key={field.key}>
        <legend class="field__label">
          {field.label}
          {field.required && <span class="required"> *</span>}
        </legend>
        <div class="casechoices">
          {field.choices.map((choice) => (
            <button
              key={choice.value}
              type="button"
              class={`choice choice--wide${value === choice.value ? ' choice--on' : ''}`}
              aria-pressed={value === choice.value ? 'true' : 'false'}
              data-testid="case-field-choice"
              data-value={choice.value}
              onClick={() => onChange(choice.value)}
            >
              {choice.label}
            </button>
          ))}
        </div>
        {error && <p class="alert alert--error" role="alert" data-testid="case-field-error">{error}</p>}
      </fieldset>
    );
  }
  if (field.kind === 'number') {
    input = <input id={id} type="number" inputMode="decimal" data-testid="case-field-input" value={value ?? ''} onInput={(e) => onChange(e.currentTarget.value)} />;
  } else if (field.kind === 'date') {
    input = <input id={id} type="date" data-testid="case-field-input" value={value ?? ''} onInput={(e) => onChange(e.currentTarget.value)} />;
  } else {
    input = <input id={id} type="text" maxLength={200} data-testid="case-field-input" value={value ?? ''} onInput={(e) => onChange(e.currentTarget.value)} />;
  }
  return (
    <label class="field" data-testid="case-field" data-key={field.key}>
      {label}
      {input}
      {error && <p class="alert alert--error" role="alert" data-testid="case-field-error">{error}</p>}
    </label>
  );
}

/**
 * Every extra field of an item, with the values typed so far and the reasons given for
 * them; a change clears that field's reason (intake at the window and in the app).
 */
export function ExtraFields({ fields, values, errors, setValues, setErrors }) {
  return fields.map((field) => (
    <ExtraField
      key={field.key}
      field={field}
      value={values[field.key]}
      error={errors[field.key]}
      onChange={(v) => {
        setValues({ ...values, [field.key]: v });
        setErrors({ ...errors, [field.key]: undefined });
      }}
    />
  ));
}

/** The values as the server takes them (numbers as numbers); a reason per missing one. */
export function readFields(fields, values) {
  const out = {};
  const missing = {};
  for (const field of fields) {
    const raw = values[field.key];
    const empty = raw == null || String(raw).trim() === '';
    if (empty) {
      if (field.required) missing[field.key] = t('case.new.field_required');
      continue;
    }
    if (field.kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) missing[field.key] = t('case.new.field_number');
      else out[field.key] = n;
    } else out[field.key] = field.kind === 'text' ? String(raw).trim() : raw;
  }
  return { out, missing };
}
