import { useState } from 'preact/hooks';
import { login } from '../api.js';
import { t } from '../i18n/index.js';

export function Login({ notice, onLoggedIn }) {
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    if (busy) return;
    const cleanPhone = phone.replace(/[\s-]/g, '');
    if (!cleanPhone) return setError({ detail: t('login.phone_required') });
    if (!password) return setError({ detail: t('login.password_required') });
    setBusy(true);
    setError(null);
    try {
      const user = await login(cleanPhone, password);
      onLoggedIn(user);
    } catch (err) {
      setError({ detail: err.detail || String(err), retryAfter: err.retryAfter });
      setBusy(false);
    }
  };

  const shownError = error || (notice ? { detail: notice } : null);

  return (
    <section class="page page--narrow login" aria-labelledby="login-title">
      <div class="login__intro">
        <img src="/icons/icon-192.png" width="72" height="72" alt="" />
        <div>
          <h1 id="login-title">{t('login.title')}</h1>
          <p class="muted">{t('app.tagline')}</p>
        </div>
      </div>
      <form class="card form" onSubmit={submit} noValidate>
        <label class="field">
          <span class="field__label">{t('login.phone')}</span>
          <input
            data-testid="login-phone"
            type="tel"
            inputMode="numeric"
            autoComplete="username"
            name="phone"
            maxLength={20}
            value={phone}
            onInput={(e) => setPhone(e.currentTarget.value)}
            required
          />
        </label>
        <label class="field">
          <span class="field__label">{t('login.password')}</span>
          <input
            data-testid="login-password"
            type={showPassword ? 'text' : 'password'}
            autoComplete="current-password"
            name="password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={showPassword} onChange={(e) => setShowPassword(e.currentTarget.checked)} />
          <span>{t('login.show_password')}</span>
        </label>
        {shownError && (
          <div class="alert alert--error" data-testid="login-error" role="alert">
            <p>{shownError.detail}</p>
            {shownError.retryAfter != null && <p>{t('login.retry_after', { seconds: shownError.retryAfter })}</p>}
          </div>
        )}
        <button
          type="submit"
          class="btn btn--primary btn--block"
          data-testid="login-submit"
          disabled={busy}
          aria-busy={busy ? 'true' : 'false'}
        >
          {busy && <span class="spinner" aria-hidden="true" />}
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
      </form>
      <p class="login__public">
        <a class="btn btn--ghost btn--block" href="#/disclosure" data-testid="login-disclosure">
          {t('login.disclosure')}
        </a>
      </p>
    </section>
  );
}
