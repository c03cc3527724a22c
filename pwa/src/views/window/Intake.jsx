// A matter taken in at the window for the resident in front of the clerk (channel
// `window`, their consent recorded), in under a minute by keyboard: type part of
// the matter's name, ↑/↓ and Enter to choose it, Tab through its questions, the
// description and the consent box, Ctrl+Enter to send. Then the receipt, printed
// from the browser (the print stylesheet prints the receipt alone).
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { formatDate, LoadError, Loading } from '../../ui/kit.jsx';
import { ExtraFields, readFields } from '../cases/fields.jsx';
import { hearsBack, moveChoice } from './Walkin.jsx';
import { takeIn } from './windowApi.js';

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

/** Every item of the catalogue, this window's kinds of business first. */
function itemsOf(catalogue, desk) {
  const mine = new Set((desk && desk.categories) || []);
  const all = [];
  for (const category of catalogue.categories || []) {
    for (const item of category.items) all.push({ ...item, category: category.name, mine: mine.has(category.code) });
  }
  return all.sort((a, b) => Number(b.mine) - Number(a.mine));
}

function ItemSearch({ items, onPick }) {
  const [q, setQ] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef(null);
  useLayoutEffect(() => {
    if (input.current) input.current.focus();
  }, []);
  const needle = q.trim().toLowerCase();
  const shown = (needle ? items.filter((i) => i.name.toLowerCase().includes(needle) || i.category.toLowerCase().includes(needle) || i.code.includes(needle)) : items).slice(0, 8);
  const onKeyDown = (e) => {
    if (moveChoice(e, shown.length, setActive)) return;
    if (e.key === 'Enter') {
      e.preventDefault();
      if (shown.length) onPick(shown[Math.min(active, shown.length - 1)]);
    }
  };
  return (
    <div class="field">
      <label class="field__label wt-big-label" for="wt-item">
        {t('window.item.label')}
      </label>
      <input
        id="wt-item"
        ref={input}
        class="wt-big-input"
        type="search"
        autoComplete="off"
        maxLength={30}
        role="combobox"
        aria-expanded="true"
        aria-controls="wt-items"
        data-testid="window-item-search"
        value={q}
        onInput={(e) => {
          setQ(e.currentTarget.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
      />
      <ul id="wt-items" class="wt-found" role="listbox" data-testid="window-items">
        {shown.map((item, i) => (
          <li key={item.code} role="option" aria-selected={i === active ? 'true' : 'false'}>
            <button type="button" tabIndex={-1} class={`wt-found__row${i === active ? ' wt-found__row--on' : ''}`} data-testid="window-item" data-value={item.code} onClick={() => onPick(item)}>
              <strong>{item.name}</strong>
              <span class="muted">{item.category}</span>
            </button>
          </li>
        ))}
      </ul>
      {shown.length === 0 && <p class="muted">{t('window.item.none')}</p>}
    </div>
  );
}

export function Intake({ resident, catalogue, desk, onBack, onDone }) {
  const [item, setItem] = useState(null);
  const [values, setValues] = useState({});
  const [fieldErrors, setFieldErrors] = useState({});
  const [description, setDescription] = useState('');
  const [consent, setConsent] = useState(false);
  const [consentNote, setConsentNote] = useState(() => t('case.intake.consent_note_default'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [key] = useState(newKey); // one case, however often the key is pressed
  const form = useRef(null);

  useLayoutEffect(() => {
    if (!item || !form.current) return;
    const first = form.current.querySelector('[data-testid="case-field"] input, [data-testid="case-field"] button, textarea');
    if (first) first.focus();
  }, [item]);

  if (catalogue.state === 'loading') return <Loading />;
  if (!catalogue.data) return <LoadError error={catalogue.error} onRetry={catalogue.reload} />;

  const send = async (event) => {
    if (event) event.preventDefault();
    if (busy || !item) return;
    const { out, missing } = readFields(item.fields, values);
    setFieldErrors(missing);
    if (Object.keys(missing).length) return setError(t('case.new.fix_fields'));
    if (!description.trim()) return setError(t('case.new.description_required'));
    if (!consent || !consentNote.trim()) return setError(t('wish.for.consent_required'));
    setError('');
    setBusy(true);
    try {
      const made = await takeIn(
        {
          item: item.code,
          description: description.trim(),
          channel: 'window',
          fields: out,
          photos: [],
          resident_id: resident.id,
          consent_note: consentNote.trim().slice(0, 200),
        },
        key,
      );
      onDone(made);
    } catch (err) {
      const field = err.extra && err.extra.field;
      if (field) setFieldErrors({ [field]: err.detail });
      setError(err.detail || String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      ref={form}
      class="card form wt-intake"
      onSubmit={send}
      noValidate
      data-testid="window-intake-form"
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(e);
      }}
    >
      <h2>
        {t('window.intake_for', { name: resident.name })}
      </h2>
      {!item ? (
        <ItemSearch items={itemsOf(catalogue.data, desk)} onPick={setItem} />
      ) : (
        <>
          <div class="picked" data-testid="window-item-picked" data-value={item.code}>
            <span>
              <strong>{item.name}</strong>
              <span class="muted"> · {item.category}</span>
            </span>
            <button
              type="button"
              class="btn btn--ghost btn--small"
              data-testid="window-item-change"
              onClick={() => {
                setItem(null);
                setValues({});
                setFieldErrors({});
              }}
            >
              {t('case.new.change_item')}
            </button>
          </div>
          <ExtraFields fields={item.fields} values={values} errors={fieldErrors} setValues={setValues} setErrors={setFieldErrors} />
          <label class="field">
            <span class="field__label">
              {t('case.new.description')}
              <span class="required"> *</span>
            </span>
            <textarea rows={3} maxLength={2000} data-testid="window-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
          <label class="check check--block">
            <input type="checkbox" data-testid="window-consent" checked={consent} onChange={(e) => setConsent(e.currentTarget.checked)} />
            {t('case.intake.consent')}
          </label>
          <label class="field">
            <span class="field__label">{t('wish.for.consent_note')}</span>
            <input type="text" maxLength={200} data-testid="window-consent-note" value={consentNote} onInput={(e) => setConsentNote(e.currentTarget.value)} />
          </label>
          {error && (
            <div class="alert alert--error" role="alert" data-testid="window-intake-error">
              <p>{error}</p>
            </div>
          )}
          <div class="actions__row">
            <button type="submit" class="btn btn--primary btn--huge" data-testid="window-intake-submit" disabled={busy}>
              {busy && <span class="spinner" aria-hidden="true" />}
              {t('window.submit')} <kbd>Ctrl</kbd>+<kbd>Enter</kbd>
            </button>
          </div>
        </>
      )}
      <button type="button" class="btn btn--ghost" data-testid="window-intake-back" onClick={onBack}>
        <kbd>Esc</kbd> {t('window.back_to_card')}
      </button>
      <p class="muted">{t('case.intake.privacy_window')}</p>
    </form>
  );
}

/** The receipt 受理回执: what was taken in, by when it is promised, how they will hear. */
export function Receipt({ kase, card, communityName, desk, clerk, onNext, onAnother }) {
  const printButton = useRef(null);
  useLayoutEffect(() => {
    if (printButton.current) printButton.current.focus();
  }, []);
  return (
    <div class="wt-receipt-step" data-testid="window-receipt-step">
      <section class="card receipt" data-testid="window-receipt" aria-labelledby="receipt-title">
        <h2 id="receipt-title">{t('window.receipt.title', { community: communityName })}</h2>
        <dl class="receipt__facts">
          <div>
            <dt>{t('case.field.number')}</dt>
            <dd class="receipt__number" data-testid="receipt-number">
              {kase.number}
            </dd>
          </div>
          <div>
            <dt>{t('window.receipt.item')}</dt>
            <dd data-testid="receipt-item">{kase.item ? kase.item.name : ''}</dd>
          </div>
          <div>
            <dt>{t('window.receipt.for')}</dt>
            <dd>{kase.reporter}</dd>
          </div>
          <div>
            <dt>{t('window.receipt.taken_at')}</dt>
            <dd>{formatDate(kase.created_at)}</dd>
          </div>
          <div>
            <dt>{t('case.field.promised')}</dt>
            <dd data-testid="receipt-due">{kase.due_at ? formatDate(kase.due_at) : t('window.receipt.no_deadline')}</dd>
          </div>
          <div>
            <dt>{t('window.receipt.hear')}</dt>
            <dd data-testid="receipt-hear">{card ? hearsBack(card) : ''}</dd>
          </div>
          <div>
            <dt>{t('window.receipt.ask')}</dt>
            <dd>{t('window.receipt.ask_how', { number: kase.number })}</dd>
          </div>
          <div>
            <dt>{t('window.receipt.clerk')}</dt>
            <dd>
              {clerk}
              {desk ? ` · ${t('window.numbered', { n: desk.number })} ${desk.name}` : ''}
            </dd>
          </div>
        </dl>
        <p class="receipt__keep">{t('window.receipt.keep')}</p>
      </section>
      <div class="actions__row wt-receipt-actions">
        <button ref={printButton} type="button" class="btn btn--primary btn--huge" data-testid="window-print" onClick={() => window.print()}>
          {t('window.print')} <kbd>Enter</kbd>
        </button>
        <button type="button" class="btn btn--ghost" data-testid="window-another" onClick={onAnother}>
          {t('window.another')}
        </button>
        <button type="button" class="btn btn--ghost" data-testid="window-next" onClick={onNext}>
          <kbd>F4</kbd> {t('window.call_next')}
        </button>
      </div>
    </div>
  );
}
