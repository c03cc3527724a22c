// 免打扰时段: a community's quiet hours, set by its admins. Between the two
// times SMS that is not urgent waits until the window ends; push is not held.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { t } from '../i18n/index.js';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../ui/community.jsx';
import { LoadError, Loading, PageHead } from '../ui/kit.jsx';

const settingsUrl = (code) => `/api/v1/communities/${encodeURIComponent(code)}/notify-settings`;

function QuietForm({ code, initial, onSaved }) {
  const [enabled, setEnabled] = useState(initial.quiet_enabled);
  const [start, setStart] = useState(initial.quiet_start);
  const [end, setEnd] = useState(initial.quiet_end);
  const [status, setStatus] = useState('ready'); // ready | saving | saved | error
  const [error, setError] = useState('');
  useEffect(() => {
    setEnabled(initial.quiet_enabled);
    setStart(initial.quiet_start);
    setEnd(initial.quiet_end);
  }, [initial]);

  const save = async (event) => {
    event.preventDefault();
    setStatus('saving');
    setError('');
    try {
      const body = { quiet_enabled: enabled, quiet_start: start, quiet_end: end };
      onSaved(await api('PUT', settingsUrl(code), { body }));
      setStatus('saved');
    } catch (err) {
      setError((err && err.detail) || String(err));
      setStatus('error');
    }
  };

  return (
    <form class="card form" onSubmit={save} noValidate data-testid="quiet-form" data-state={status}>
      <p class="muted">{t('quiet.hint')}</p>
      <label class="check">
        <input type="checkbox" data-testid="quiet-enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        {t('quiet.enabled')}
      </label>
      <label class="field">
        <span class="field__label">{t('quiet.start')}</span>
        <input type="time" required data-testid="quiet-start" value={start} disabled={!enabled} onInput={(e) => setStart(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span class="field__label">{t('quiet.end')}</span>
        <input type="time" required data-testid="quiet-end" value={end} disabled={!enabled} onInput={(e) => setEnd(e.currentTarget.value)} />
      </label>
      {!initial.updated_at && <p class="muted" data-testid="quiet-defaults">{t('quiet.defaults')}</p>}
      <button type="submit" class="btn btn--primary btn--block btn--big" data-testid="quiet-save" disabled={status === 'saving'}>
        {t('quiet.save')}
      </button>
      {status === 'saved' && (
        <p class="alert alert--ok" role="status" data-testid="quiet-saved">
          {t('quiet.saved')}
        </p>
      )}
      {error && (
        <p class="alert alert--error" role="alert" data-testid="quiet-error">
          {error}
        </p>
      )}
    </form>
  );
}

export default function QuietHours({ user }) {
  const choice = useCommunityChoice(user);
  const { communities, chosen } = choice;
  const settings = useCommunityLoad(choice, (code) => api('GET', settingsUrl(code)));
  return (
    <section class="page page--narrow" aria-labelledby="page-title" data-testid="quiet-hours">
      <PageHead title={t('quiet.title')} />
      <CommunityPicker choice={choice} testid="quiet-community" />
      {(settings.state === 'loading' || communities.state === 'loading') && <Loading />}
      {settings.state === 'error' && <LoadError error={settings.error} onRetry={settings.reload} />}
      {settings.state === 'ready' && settings.data && (
        <QuietForm code={chosen} initial={settings.data} onSaved={settings.setData} />
      )}
    </section>
  );
}
