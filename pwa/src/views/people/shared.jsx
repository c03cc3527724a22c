// What the people screens share: the lists of care tags and trades (as the
// server names them), the tag chips, and the outcome of a staff action.
import { useEffect, useState } from 'preact/hooks';
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

/**
 * A button that asks once more before doing something that cannot be undone
 * (taking someone off a team): the question and the two answers appear in place.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, testid, disabled = false }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setAsking(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!asking) {
    return (
      <button type="button" class="btn btn--ghost btn--small" data-testid={testid} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <div class="alert alert--info" role="alertdialog" data-testid={`${testid}-ask`}>
      <p>{question}</p>
      <ErrorNote error={error} testid={`${testid}-error`} />
      <div class="actions__row">
        <button type="button" class="btn btn--primary" data-testid={`${testid}-confirm`} disabled={busy} onClick={confirm}>
          {confirmLabel}
        </button>
        <button type="button" class="btn btn--ghost" data-testid={`${testid}-cancel`} disabled={busy} onClick={() => setAsking(false)}>
          {t('people.cancel')}
        </button>
      </div>
    </div>
  );
}

/** Waits until typing pauses before a value is used (a search on every key would flood a slow line). */
export function useSettled(value, ms = 300) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
