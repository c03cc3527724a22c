// 导入: a residents or volunteers sheet (CSV or XLSX) is sent as it is; the
// server imports all rows or none and says, row by row, what was wrong.
import { useRef, useState } from 'preact/hooks';
import { importPeople } from '../../api.js';
import { t } from '../../i18n/index.js';
import { ErrorNote } from '../../ui/kit.jsx';


const KINDS = ['residents', 'volunteers'];

function Report({ report, refused }) {
  return (
    <div class={`card report${refused ? ' report--refused' : ''}`} data-testid="import-report" data-ok={String(!refused)} role="status">
      <p class={`alert ${refused ? 'alert--error' : 'alert--ok'}`} data-testid="import-outcome">
        {refused ? t('people.import.refused') : t('people.import.done')}
      </p>
      <dl class="facts">
        <div class="fact">
          <dt>{t('people.import.rows')}</dt>
          <dd data-testid="import-rows">{report.rows}</dd>
        </div>
        <div class="fact">
          <dt>{t('people.import.created')}</dt>
          <dd data-testid="import-created">{report.created}</dd>
        </div>
        <div class="fact">
          <dt>{t('people.import.updated')}</dt>
          <dd data-testid="import-updated">{report.updated}</dd>
        </div>
      </dl>
      {report.rejected && report.rejected.length > 0 && (
        <table class="report__table" data-testid="import-rejected">
          <caption>{t('people.import.rejected')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('people.import.row')}</th>
              <th scope="col">{t('people.import.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {report.rejected.map((r) => (
              <tr key={`${r.row}:${r.reason}`} data-testid="import-rejected-row" data-row={r.row}>
                <td>{r.row}</td>
                <td data-testid="import-rejected-reason">{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function Import() {
  const [kind, setKind] = useState('residents');
  const [file, setFile] = useState(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null); // {report, refused} | {error}
  const input = useRef(null);

  const send = async (event) => {
    event.preventDefault();
    if (!file || busy) return;
    setBusy(true);
    setResult(null);
    try {
      setResult({ report: await importPeople(kind, file), refused: false });
    } catch (error) {
      const body = error && error.body;
      if (body && typeof body.rows === 'number' && Array.isArray(body.rejected)) setResult({ report: body, refused: true });
      else setResult({ error });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form class="card form" onSubmit={send} noValidate data-testid="import-form">
        <div class="segmented" role="group" aria-label={t('people.import.kind')}>
          {KINDS.map((k) => (
            <button
              key={k}
              type="button"
              class={`segmented__btn${kind === k ? ' segmented__btn--on' : ''}`}
              aria-pressed={kind === k ? 'true' : 'false'}
              data-testid={`import-kind-${k}`}
              onClick={() => {
                setKind(k);
                setResult(null);
              }}
            >
              {t(`people.import.kind_${k}`)}
            </button>
          ))}
        </div>
        <p class="muted" data-testid="import-columns">
          {t(`people.import.columns_${kind}`)}
        </p>
        <label class="field">
          <span class="field__label">{t('people.import.file')}</span>
          <input
            ref={input}
            type="file"
            class="fileinput"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            data-testid="import-file"
            onChange={(e) => {
              setFile((e.currentTarget.files && e.currentTarget.files[0]) || null);
              setResult(null);
            }}
          />
        </label>
        <button type="submit" class="btn btn--primary btn--block btn--huge" data-testid="import-submit" disabled={!file || busy}>
          {busy && <span class="spinner" aria-hidden="true" />}
          {busy ? t('people.import.sending') : t('people.import.submit')}
        </button>
        <p class="muted">{t('people.import.all_or_none')}</p>
      </form>
      {result && result.report && <Report report={result.report} refused={result.refused} />}
      {result && result.error && <ErrorNote error={result.error} testid="import-error" />}
    </>
  );
}
