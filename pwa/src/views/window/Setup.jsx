// 窗口设置: every window of the service centre today (who it is serving, how many
// wait for it, served, missed, average wait), and for administrators the windows
// themselves: name, the kinds of business each serves (none: a general window),
// open or closed, and a new window.
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { can } from '../../roles.js';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import { ErrorNote, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';
import { getCatalogue } from '../cases/casesApi.js';
import { getQueue, saveWindow } from './windowApi.js';
import './window.css';

const minutes = (value) => (value == null ? '—' : t('window.minutes', { n: value }));

function WindowForm({ code, number, initial, categories, onSaved, testid }) {
  const [name, setName] = useState(initial ? initial.name : '');
  const [chosen, setChosen] = useState(initial ? initial.categories : []);
  const [active, setActive] = useState(initial ? initial.active : true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const toggle = (c) => setChosen(chosen.includes(c) ? chosen.filter((x) => x !== c) : [...chosen, c]);
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await saveWindow(code, number, { name: name.trim(), categories: chosen, active });
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card wt-setup-form" onSubmit={save} data-testid={testid} data-number={number}>
      <h3>{t('window.numbered', { n: number })}</h3>
      <label class="field">
        <span class="field__label">{t('window.setup.name')}</span>
        <input type="text" maxLength={40} required data-testid="window-setup-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <fieldset class="field">
        <legend class="field__label">{t('window.setup.business')}</legend>
        <p class="muted">{t('window.setup.business_hint')}</p>
        <div class="wt-setup-cats">
          {categories.map((c) => (
            <label key={c.code} class="check">
              <input type="checkbox" data-testid="window-setup-category" value={c.code} checked={chosen.includes(c.code)} onChange={() => toggle(c.code)} />
              {c.name}
            </label>
          ))}
        </div>
      </fieldset>
      <label class="check">
        <input type="checkbox" data-testid="window-setup-active" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
        {t('window.setup.open')}
      </label>
      <ErrorNote error={error} testid="window-setup-error" />
      <button type="submit" class="btn btn--primary" data-testid="window-setup-save" disabled={busy || !name.trim()}>
        {t('window.setup.save')}
      </button>
    </form>
  );
}

export default function Setup({ user }) {
  const choice = useCommunityChoice(user);
  const code = choice.chosen;
  const queue = useCommunityLoad(choice, getQueue);
  const catalogue = useLoad(getCatalogue, []);
  const [adding, setAdding] = useState(false);
  const admin = can(user, 'window.settings');
  const q = queue.data;
  const next = q ? Math.max(0, ...q.windows.map((row) => row.window.number)) + 1 : 1;
  const categories = (catalogue.data && catalogue.data.categories) || [];
  return (
    <section class="page window-term stack" aria-labelledby="page-title" data-testid="window-setup">
      <PageHead title={t('window.setup.title')} back="#/window" />
      <CommunityPicker choice={choice} testid="window-setup-community" />
      {queue.state === 'loading' && !q && <Loading />}
      {!q && queue.state === 'error' && <LoadError error={queue.error} onRetry={queue.reload} />}
      {q && (
        <div class="card wt-overview">
          <h2>{t('window.setup.today')}</h2>
          <table class="table" data-testid="window-overview">
            <thead>
              <tr>
                <th scope="col">{t('window.hall.window')}</th>
                <th scope="col">{t('window.setup.business')}</th>
                <th scope="col">{t('window.now_serving')}</th>
                <th scope="col">{t('window.waiting_here')}</th>
                <th scope="col">{t('window.served_today')}</th>
                <th scope="col">{t('window.missed_today')}</th>
                <th scope="col">{t('window.average_wait')}</th>
              </tr>
            </thead>
            <tbody>
              {q.windows.map((row) => (
                <tr key={row.window.id} data-testid="window-overview-row" data-number={row.window.number} class={row.window.active ? '' : 'wt-closed'}>
                  <th scope="row">
                    {t('window.numbered', { n: row.window.number })} {row.window.name}
                    {!row.window.active && <span class="muted"> · {t('window.setup.closed')}</span>}
                  </th>
                  <td>{row.window.category_names.length ? row.window.category_names.join('、') : t('window.setup.general')}</td>
                  <td>{row.current ? row.current.label : '—'}</td>
                  <td>{row.waiting}</td>
                  <td>{row.served}</td>
                  <td>{row.missed}</td>
                  <td>{minutes(row.average_wait_minutes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">{t('window.setup.average_note')}</p>
        </div>
      )}
      {admin && q && catalogue.data && (
        <div class="wt-setup-list">
          <h2>{t('window.setup.edit')}</h2>
          {q.windows.map((row) => (
            <WindowForm key={`${code}-${row.window.id}`} code={code} number={row.window.number} initial={row.window} categories={categories} onSaved={queue.reload} testid="window-setup-form" />
          ))}
          {adding ? (
            <WindowForm
              key={`${code}-new-${next}`}
              code={code}
              number={next}
              initial={null}
              categories={categories}
              onSaved={() => {
                setAdding(false);
                queue.reload();
              }}
              testid="window-setup-new"
            />
          ) : (
            <button type="button" class="btn btn--ghost" data-testid="window-setup-add" onClick={() => setAdding(true)} disabled={next > 99}>
              {t('window.setup.add', { n: next })}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
