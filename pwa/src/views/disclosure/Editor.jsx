// The office's 三公开 editor: the year's commitments (add, mark progress, remove)
// and the two evaluations (residents' from a survey; the level above's by the
// sub-district). What is saved here is on the public page at once.
import { useState } from 'preact/hooks';
import { createCommitment, deleteCommitment, getDisclosureEditor, recordEvaluation, updateCommitment } from '../../api.js';
import { t } from '../../i18n/index.js';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import { cityDay, ConfirmButton, ErrorNote, LoadError, Loading, PageHead } from '../../ui/kit.jsx';

const STATUSES = ['not_started', 'in_progress', 'achieved', 'delayed'];
const PERIODS = ['h1', 'h2', 'year'];
const GRADES = ['good', 'fairly_good', 'fair', 'poor'];

function useSaving(after) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (work) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      after();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function CommitmentRow({ c, onChanged }) {
  const [status, setStatus] = useState(c.status);
  const [note, setNote] = useState(c.progress_note);
  const [noteEn, setNoteEn] = useState(c.progress_note_i18n.en || '');
  const saving = useSaving(onChanged);
  const save = () =>
    saving.run(() =>
      updateCommitment(c.id, { status, progress_note: note, progress_note_i18n: { zh_Hant: c.progress_note_i18n.zh_Hant || '', en: noteEn } }),
    );
  return (
    <li class="card disc-edit-row" data-testid="edit-commitment" data-id={c.id}>
      <div class="disc-commitment__head">
        <strong class="disc-commitment__title">{c.title}</strong>
        <span class={`disc-status disc-status--${c.status}`} data-testid="commitment-badge">
          {t(`disclosure.status.${c.status}`)}
        </span>
      </div>
      <p>
        {t('disclosure.target')}：{c.target}
        {c.due_date && <span class="muted"> · {t('disclosure.due', { date: c.due_date })}</span>}
      </p>
      <div class="disc-edit-fields">
        <label class="field">
          <span class="field__label">{t('disclosure.edit.status')}</span>
          <select class="select--boxed" data-testid="commitment-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`disclosure.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span class="field__label">{t('disclosure.edit.note')}</span>
          <input type="text" maxLength={300} data-testid="commitment-note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span class="field__label">{t('disclosure.edit.note_en')}</span>
          <input type="text" maxLength={300} lang="en" value={noteEn} onInput={(e) => setNoteEn(e.currentTarget.value)} />
        </label>
      </div>
      <ErrorNote error={saving.error} testid="commitment-error" />
      <div class="actions__row">
        <button type="button" class="btn btn--primary" data-testid="commitment-save" disabled={saving.busy} onClick={save}>
          {t('disclosure.edit.save')}
        </button>
        <ConfirmButton
          label={t('disclosure.edit.remove')}
          question={t('disclosure.edit.remove_question', { title: c.title })}
          confirmLabel={t('disclosure.edit.remove')}
          testid="commitment-remove"
          onConfirm={async () => {
            await deleteCommitment(c.id);
            onChanged();
          }}
        />
      </div>
    </li>
  );
}

function NewCommitment({ code, year, onChanged }) {
  const empty = { title: '', target: '', due: '', titleHant: '', titleEn: '', targetHant: '', targetEn: '' };
  const [f, setF] = useState(empty);
  const saving = useSaving(onChanged);
  const bind = (key) => ({ value: f[key], onInput: (e) => setF({ ...f, [key]: e.currentTarget.value }) });
  const submit = async (e) => {
    e.preventDefault();
    const ok = await saving.run(() =>
      createCommitment(code, {
        year,
        title: f.title,
        target: f.target,
        due_date: f.due || null,
        title_i18n: { zh_Hant: f.titleHant, en: f.titleEn },
        target_i18n: { zh_Hant: f.targetHant, en: f.targetEn },
      }),
    );
    if (ok) setF(empty);
  };
  return (
    <form class="card form" onSubmit={submit} data-testid="new-commitment">
      <h2>{t('disclosure.edit.add')}</h2>
      <label class="field">
        <span class="field__label">{t('disclosure.edit.title_field')}</span>
        <input type="text" required maxLength={120} data-testid="new-commitment-title" {...bind('title')} />
      </label>
      <label class="field">
        <span class="field__label">{t('disclosure.edit.target_field')}</span>
        <input type="text" required maxLength={300} data-testid="new-commitment-target" {...bind('target')} />
      </label>
      <label class="field">
        <span class="field__label">{t('disclosure.edit.due_field')}</span>
        <input type="date" data-testid="new-commitment-due" {...bind('due')} />
      </label>
      <details>
        <summary>{t('disclosure.edit.translations')}</summary>
        <label class="field">
          <span class="field__label">{t('disclosure.edit.title_hant')}</span>
          <input type="text" maxLength={120} lang="zh-Hant" {...bind('titleHant')} />
        </label>
        <label class="field">
          <span class="field__label">{t('disclosure.edit.target_hant')}</span>
          <input type="text" maxLength={300} lang="zh-Hant" {...bind('targetHant')} />
        </label>
        <label class="field">
          <span class="field__label">{t('disclosure.edit.title_en')}</span>
          <input type="text" maxLength={120} lang="en" data-testid="new-commitment-title-en" {...bind('titleEn')} />
        </label>
        <label class="field">
          <span class="field__label">{t('disclosure.edit.target_en')}</span>
          <input type="text" maxLength={300} lang="en" {...bind('targetEn')} />
        </label>
      </details>
      <ErrorNote error={saving.error} testid="new-commitment-error" />
      <button type="submit" class="btn btn--primary" data-testid="new-commitment-submit" disabled={saving.busy}>
        {t('disclosure.edit.add')}
      </button>
    </form>
  );
}

function EvaluationForm({ code, year, maySuperior, onChanged }) {
  const [f, setF] = useState({ period: 'h1', kind: 'residents', grade: 'good', score: '', respondents: '', note: '' });
  const saving = useSaving(onChanged);
  const bind = (key) => ({ value: f[key], onInput: (e) => setF({ ...f, [key]: e.currentTarget.value }) });
  const submit = (e) => {
    e.preventDefault();
    saving.run(() =>
      recordEvaluation(code, {
        year,
        period: f.period,
        kind: f.kind,
        grade: f.grade,
        score: f.score === '' ? null : Number(f.score),
        respondents: f.respondents === '' ? null : Number(f.respondents),
        note: f.note,
      }),
    );
  };
  const select = (key, values, label) => (
    <label class="field">
      <span class="field__label">{t(`disclosure.edit.${key}`)}</span>
      <select class="select--boxed" data-testid={`evaluation-${key}`} value={f[key]} onChange={(e) => setF({ ...f, [key]: e.currentTarget.value })}>
        {values.map((v) => (
          <option key={v} value={v}>
            {t(`${label}.${v}`)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <form class="card form" onSubmit={submit} data-testid="evaluation-form">
      <h2>{t('disclosure.edit.evaluate')}</h2>
      <div class="disc-edit-fields">
        {select('period', PERIODS, 'disclosure.period')}
        {select('kind', maySuperior ? ['residents', 'superior'] : ['residents'], 'disclosure.kind')}
        {select('grade', GRADES, 'disclosure.grade')}
        <label class="field">
          <span class="field__label">{t('disclosure.edit.score')}</span>
          <input type="number" min={0} max={100} inputMode="numeric" data-testid="evaluation-score" {...bind('score')} />
        </label>
        <label class="field">
          <span class="field__label">{t('disclosure.edit.respondents')}</span>
          <input type="number" min={0} inputMode="numeric" {...bind('respondents')} />
        </label>
      </div>
      <label class="field">
        <span class="field__label">{t('disclosure.edit.public_note')}</span>
        <input type="text" maxLength={300} data-testid="evaluation-note" {...bind('note')} />
      </label>
      <ErrorNote error={saving.error} testid="evaluation-error" />
      <button type="submit" class="btn btn--primary" data-testid="evaluation-submit" disabled={saving.busy}>
        {t('disclosure.edit.record')}
      </button>
    </form>
  );
}

export default function Editor({ user }) {
  const choice = useCommunityChoice(user);
  const thisYear = Number(cityDay().slice(0, 4));
  const [year, setYear] = useState(thisYear);
  const editor = useCommunityLoad(choice, (code) => getDisclosureEditor(code, year), [year]);
  const d = editor.data;
  return (
    <section class="page stack disclosure-edit" aria-labelledby="page-title" data-testid="disclosure-editor" data-state={editor.state}>
      <PageHead title={t('disclosure.edit.title')} />
      <CommunityPicker choice={choice} testid="disclosure-edit-community" />
      <label class="field">
        <span class="field__label">{t('disclosure.year')}</span>
        <select class="select--boxed" data-testid="disclosure-edit-year" value={year} onChange={(e) => setYear(Number(e.currentTarget.value))}>
          {[thisYear + 1, thisYear, thisYear - 1].map((y) => (
            <option key={y} value={y}>
              {y}
            </option>
          ))}
        </select>
      </label>
      {editor.state === 'loading' && !d && <Loading />}
      {editor.state === 'error' && <LoadError error={editor.error} onRetry={editor.reload} />}
      {d && (
        <>
          <p>
            <a href={`#/disclosure/${d.community}`} data-testid="disclosure-edit-public">
              {t('disclosure.edit.see_public', { community: d.community_name })}
            </a>
          </p>
          <h2>{t('disclosure.commitments', { community: d.community_name, year: d.year })}</h2>
          {d.commitments.length === 0 && <p class="card muted">{t('disclosure.no_commitments')}</p>}
          <ul class="disc-edit-list">
            {d.commitments.map((c) => (
              <CommitmentRow key={`${c.id}-${c.status}-${c.progress_note}`} c={c} onChanged={editor.reload} />
            ))}
          </ul>
          <NewCommitment code={d.community} year={d.year} onChanged={editor.reload} />
          <h2>{t('disclosure.evaluations')}</h2>
          <ul class="disc-evaluations">
            {d.evaluations.map((e) => (
              <li key={e.id} class="card" data-testid="edit-evaluation">
                <strong>
                  {t(`disclosure.period.${e.period}`)} · {t(`disclosure.kind.${e.kind}`)}
                </strong>{' '}
                <span class={`disc-grade disc-grade--${e.grade}`}>{t(`disclosure.grade.${e.grade}`)}</span>
                {e.score != null && <span class="muted"> · {t('disclosure.score', { score: e.score })}</span>}
                {e.note && <p>{e.note}</p>}
              </li>
            ))}
          </ul>
          <EvaluationForm code={d.community} year={d.year} maySuperior={d.may_record_superior} onChanged={editor.reload} />
        </>
      )}
    </section>
  );
}
