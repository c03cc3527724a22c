// The kit every screen uses: the page head, loading and its failure, errors,
// a two-step button, dates, and the loader hook. Domain screens import from
// here (src/ui/), never from one another.
import { useEffect, useState } from 'preact/hooks';
import { getLocale, t } from '../i18n/index.js';

/** A day in the phone's own time zone, as YYYY-MM-DD (today by default). */
export function localDay(date = new Date()) {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

const DATE_LOCALES = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en-GB' };
// Times are the city's (Beijing time, as the server's deadlines, working hours and
// quiet hours are), whatever zone the phone or a visitor's laptop is set to: a case
// promised for 09:30 reads 09:30 everywhere.
const CITY_TIME_ZONE = 'Asia/Shanghai';
export function formatDate(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(DATE_LOCALES[getLocale()], { dateStyle: 'medium', timeStyle: 'short', timeZone: CITY_TIME_ZONE }).format(date);
}

/** The city's calendar day (YYYY-MM-DD) of a moment: what "due today" is measured against. */
export function cityDay(at = new Date()) {
  const date = at instanceof Date ? at : new Date(at);
  return new Intl.DateTimeFormat('en-CA', { timeZone: CITY_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

export function PageHead({ title, back = '#/home', children }) {
  return (
    <div class="pagehead">
      <a class="btn btn--ghost" href={back} data-testid="nav-back">
        <span aria-hidden="true">‹ </span>
        {t('nav.back')}
      </a>
      <h1 id="page-title">{title}</h1>
      {children}
    </div>
  );
}

/** Loads with `loader()` when `deps` change: {state: 'loading'|'ready'|'error', data, error, reload, setData}. */
export function useLoad(loader, deps) {
  const [result, setResult] = useState({ state: 'loading', data: null, error: null });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setResult((r) => ({ ...r, state: r.data ? 'ready' : 'loading' }));
    loader().then(
      (data) => live && setResult({ state: 'ready', data, error: null }),
      (error) => live && setResult((r) => ({ state: r.data ? 'ready' : 'error', data: r.data, error })),
    );
    return () => {
      live = false;
    };
  }, [...deps, attempt]);
  return {
    ...result,
    reload: () => setAttempt((n) => n + 1),
    /** Replaces the data (or maps it, given a function) without loading. */
    setData: (update) =>
      setResult((r) => ({ state: 'ready', data: typeof update === 'function' ? update(r.data) : update, error: null })),
  };
}

export function Loading() {
  return (
    <p class="card muted" role="status" data-testid="loading">
      <span class="spinner spinner--dark" aria-hidden="true" />
      {t('wish.loading')}
    </p>
  );
}

/** Why a load failed, in one word: offline | network | forbidden | not_found | server | other. */
export function failureReason(error) {
  const status = error && typeof error.status === 'number' ? error.status : -1;
  if (status === 0) return typeof navigator !== 'undefined' && navigator.onLine === false ? 'offline' : 'network';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'server';
  return 'other';
}

/**
 * A list or page that could not be loaded says so, and why, with a retry:
 * never an empty list that reads as "nothing to do".
 */
export function LoadError({ error, onRetry }) {
  const reason = failureReason(error);
  // The server's own words help for a refusal; for a lost line they add nothing.
  const detail = ['forbidden', 'not_found', 'other'].includes(reason) && error && error.detail;
  return (
    <div class="alert alert--error loaderror" role="alert" data-testid="load-error" data-reason={reason}>
      <p class="loaderror__title">{t('load.failed')}</p>
      <p>{t(`load.reason.${reason}`)}</p>
      {detail && detail !== t(`load.reason.${reason}`) && <p class="loaderror__detail">{detail}</p>}
      <button type="button" class="btn btn--ghost" data-testid="load-retry" onClick={onRetry}>
        {t('map.retry')}
      </button>
    </div>
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

/**
 * A list/map switch remembered on this phone under `key` (local storage): returns
 * [view, choose]. Storage disabled: the choice lasts for this page.
 */
export function useStoredView(key) {
  const [view, setView] = useState(() => {
    try {
      return localStorage.getItem(key) === 'map' ? 'map' : 'list';
    } catch {
      return 'list';
    }
  });
  const choose = (next) => {
    setView(next);
    try {
      localStorage.setItem(key, next);
    } catch {
      /* storage disabled: the choice lasts for this page */
    }
  };
  return [view, choose];
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
