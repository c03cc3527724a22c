// The office's own tools on a case's page, offered when the server allows them
// (`allowed_actions`): change the service item 改派事项 (the resident picked the
// wrong one) with the new item's questions and a reason, and merge the case into
// an open one it repeats, chosen from the possible duplicates (same item, within
// 150 m, open) after a confirmation. Both go through the outbox like every action.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { ConfirmButton, formatDate, LoadError, Loading, useLoad } from '../../ui/kit.jsx';
import { getDuplicates } from './casesApi.js';
import { caseAction, CaseState, caseHref, Outcome } from './common.jsx';
import { ExtraField, readFields } from './fields.jsx';

/** 改派事项: another item, its extra fields (the values both items share are kept), a reason. */
export function Reclassify({ kase, catalogue, onDone, onClose }) {
  const [code, setCode] = useState('');
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({});
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState(null);
  const categories = (catalogue && catalogue.categories) || [];
  const items = categories.flatMap((cat) => cat.items);
  const item = items.find((i) => i.code === code);
  const choose = (next) => {
    setCode(next);
    if (missing === 'item') setMissing('');
    setErrors({});
    // Start from what the case says for the fields the new item also asks.
    const fields = (items.find((i) => i.code === next) || {}).fields || [];
    setValues(Object.fromEntries(fields.filter((f) => kase.fields && kase.fields[f.key] != null).map((f) => [f.key, kase.fields[f.key]])));
  };
  const send = async () => {
    if (!item) return setMissing('item');
    const { out, missing: unfilled } = readFields(item.fields, values);
    setErrors(unfilled);
    if (Object.keys(unfilled).length) return setMissing('');
    if (!reason.trim()) return setMissing('reason');
    setMissing('');
    setBusy(true);
    setOutcome(null);
    try {
      const result = await caseAction(kase, 'reclassify', { body: { item: code, fields: out, reason: reason.trim() } });
      onDone(result);
      onClose();
    } catch (error) {
      setOutcome({ error });
      setBusy(false);
    }
  };
  return (
    <div class="form caseform" data-testid="case-reclassify">
      <p class="caseform__title">{t('case.do.reclassify')}</p>
      <p class="muted">{t('case.reclassify.hint')}</p>
      <label class="field">
        <span class="field__label">{t('case.reclassify.item')}</span>
        <select class="select--boxed" data-testid="case-reclassify-item" value={code} onChange={(e) => choose(e.currentTarget.value)}>
          <option value="">{t('case.form.choose')}</option>
          {categories.map((cat) => (
            <optgroup key={cat.code} label={cat.name}>
              {cat.items
                .filter((i) => !kase.item || i.code !== kase.item.code)
                .map((i) => (
                  <option key={i.code} value={i.code}>
                    {i.name} · {t('case.reclassify.hours', { n: i.deadline_hours })}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </label>
      {item &&
        item.fields.map((field) => (
          <ExtraField key={field.key} field={field} value={values[field.key]} error={errors[field.key]} onChange={(v) => setValues({ ...values, [field.key]: v })} />
        ))}
      <label class="field">
        <span class="field__label">{t('case.form.reason_reclassify')}</span>
        <textarea
          rows={3}
          maxLength={200}
          data-testid="case-reason"
          value={reason}
          onInput={(e) => {
            setReason(e.currentTarget.value);
            if (missing === 'reason') setMissing('');
          }}
        />
      </label>
      {missing && (
        <p class="alert alert--error" role="alert" data-testid="case-missing">
          {t(`case.form.missing_${missing}`)}
        </p>
      )}
      <Outcome outcome={outcome} />
      <div class="actions__row">
        <button type="button" class="btn btn--primary" data-testid="case-reclassify-submit" disabled={busy} onClick={send}>
          {busy && <span class="spinner" aria-hidden="true" />}
          {t('case.do.reclassify')}
        </button>
        <button type="button" class="btn btn--ghost" data-testid="case-reclassify-cancel" onClick={onClose}>
          {t('wish.do.cancel')}
        </button>
      </div>
    </div>
  );
}

/** Possible duplicates of this case, each with "merge this case into it" (confirmed first). */
export function Duplicates({ kase, onDone }) {
  const located = kase.item && kase.lon != null && kase.lat != null;
  const found = useLoad(
    () => (located ? getDuplicates(kase.item.code, kase.lon, kase.lat) : Promise.resolve([])),
    [kase.id, kase.version],
  );
  const others = (found.data || []).filter((c) => c.id !== kase.id && c.state !== 'merged');
  const [outcome, setOutcome] = useState(null);
  const merge = async (into) => {
    const result = await caseAction(kase, 'merge', { body: { into_case_id: into.id } });
    setOutcome(result);
    onDone(result);
  };
  return (
    <section class="card stack casemerge" aria-labelledby="case-dups-title" data-testid="case-duplicates" data-count={others.length}>
      <h2 class="section-title" id="case-dups-title">
        {t('case.dup.title')}
      </h2>
      <p class="muted">{t(located ? 'case.dup.hint' : 'case.dup.no_place')}</p>
      {found.state === 'loading' && !found.data && <Loading />}
      {found.state === 'error' && <LoadError error={found.error} onRetry={found.reload} />}
      {found.data && located && others.length === 0 && (
        <p class="muted" data-testid="case-dup-none">
          {t('case.dup.none')}
        </p>
      )}
      {others.length > 0 && (
        <ul class="casemerge__list">
          {others.map((c) => (
            <li key={c.id} class="casemerge__item" data-testid="case-dup" data-id={c.id} data-number={c.number}>
              <div class="casemerge__head">
                <a href={caseHref(c.id)} data-testid="case-dup-open">
                  {c.number}
                </a>
                <CaseState kase={c} />
              </div>
              <p class="casemerge__desc">{c.description}</p>
              <p class="muted">
                {[c.grid, c.reporter, formatDate(c.created_at)].filter(Boolean).join(' · ')}
              </p>
              <ConfirmButton
                label={t('case.dup.merge')}
                question={t('case.dup.confirm', { number: kase.number, into: c.number })}
                confirmLabel={t('case.dup.confirm_yes')}
                onConfirm={() => merge(c)}
                testid="case-dup-merge"
              />
            </li>
          ))}
        </ul>
      )}
      <Outcome outcome={outcome} />
    </section>
  );
}
