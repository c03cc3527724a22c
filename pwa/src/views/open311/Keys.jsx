// Open311 api_keys 开放接口密钥, for the system administrator: who may post requests
// through the GeoReport v2 API (/open311/v2/). A new key is shown this once: only
// its hash is kept, so it cannot be shown again; a key can be revoked at any time.
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { t } from '../../i18n/index.js';
import './open311.css';
import { ConfirmButton, ErrorNote, formatDate, LoadError, Loading, PageHead, useLoad } from '../../ui/kit.jsx';

const getKeys = () => api('GET', '/api/v1/open311-keys');
const issueKey = (name) => api('POST', '/api/v1/open311-keys', { body: { name } });
const revokeKey = (id) => api('POST', `/api/v1/open311-keys/${id}/revoke`);

export default function Keys() {
  const keys = useLoad(getKeys, []);
  const [name, setName] = useState('');
  const [issued, setIssued] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [copied, setCopied] = useState(false);

  const issue = async (e) => {
    e.preventDefault();
    if (!name.trim() || busy) return;
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      setIssued(await issueKey(name.trim()));
      setName('');
      keys.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(issued.api_key);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <section class="page page--narrow stack" aria-labelledby="page-title" data-testid="open311-keys">
      <PageHead title={t('open311.title')} />
      <p>{t('open311.lead')}</p>
      <form class="card form" onSubmit={issue}>
        <label class="field">
          <span class="field__label">{t('open311.name')}</span>
          <input type="text" maxLength={80} data-testid="open311-key-name" value={name} placeholder={t('open311.name_hint')} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <ErrorNote error={error} testid="open311-key-error" />
        <button type="submit" class="btn btn--primary" data-testid="open311-key-issue" disabled={busy || !name.trim()}>
          {t('open311.issue')}
        </button>
      </form>
      {issued && (
        <div class="alert alert--info" role="status" data-testid="open311-key-issued">
          <p>
            <strong>{t('open311.issued', { name: issued.name })}</strong>
          </p>
          <p>
            <code class="o311-key" data-testid="open311-key-value">
              {issued.api_key}
            </code>
          </p>
          <p>{t('open311.shown_once')}</p>
          <button type="button" class="btn btn--ghost btn--small" onClick={copy}>
            {copied ? t('open311.copied') : t('open311.copy')}
          </button>
        </div>
      )}
      {keys.state === 'loading' && !keys.data && <Loading />}
      {!keys.data && keys.state === 'error' && <LoadError error={keys.error} onRetry={keys.reload} />}
      {keys.data && keys.data.length === 0 && <p class="muted">{t('open311.none')}</p>}
      {keys.data && keys.data.length > 0 && (
        <ul class="o311-keys" data-testid="open311-key-list">
          {keys.data.map((k) => (
            <li key={k.id} class="card" data-testid="open311-key" data-id={k.id} data-revoked={k.revoked_at ? 'true' : 'false'}>
              <p>
                <strong>{k.name}</strong> <code>{k.prefix}…</code>
              </p>
              <p class="muted">
                {t('open311.created', { date: formatDate(k.created_at) })}
                {' · '}
                {k.last_used_at ? t('open311.last_used', { date: formatDate(k.last_used_at) }) : t('open311.never_used')}
              </p>
              {k.revoked_at ? (
                <p class="muted" data-testid="open311-key-revoked">
                  {t('open311.revoked', { date: formatDate(k.revoked_at) })}
                </p>
              ) : (
                <ConfirmButton
                  label={t('open311.revoke')}
                  question={t('open311.revoke_question', { name: k.name })}
                  confirmLabel={t('open311.revoke')}
                  testid="open311-key-revoke"
                  onConfirm={async () => {
                    await revokeKey(k.id);
                    keys.reload();
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
