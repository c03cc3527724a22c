// Pieces every wish screen uses: categories, state badges, dates, photos,
// loading and errors, and the one way to act on a wish (through the outbox).
import { useEffect, useRef, useState } from 'preact/hooks';
import { getMedia, publicPhotoUrl } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { submit } from '../../outbox/index.js';
import { shrinkPhoto } from '../../photo.js';
import { userCommunities } from '../../roles.js';

export const CATEGORIES = [
  ['daily_help', '🛒'],
  ['repair', '🔧'],
  ['health', '💊'],
  ['study', '📚'],
  ['companionship', '💬'],
  ['goods', '📦'],
  ['other', '✨'],
];
const ICONS = Object.fromEntries(CATEGORIES);

// The state a wish action leads to (server/wishes/states.py).
export const ACTION_TARGET = {
  approve: 'approved',
  reject: 'rejected',
  claim: 'claimed',
  release: 'approved',
  withdraw: 'withdrawn',
  fulfil: 'fulfilled',
  confirm: 'confirmed',
};

export const wishHref = (id) => `#/wishes/${id}`;

const DATE_LOCALES = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en-GB' };
export function formatDate(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(DATE_LOCALES[getLocale()], { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function StateBadge({ state }) {
  return (
    <span class={`badge badge--${state}`} data-testid="wish-state" data-state={state}>
      {t(`wish.state.${state}`)}
    </span>
  );
}

export function CategoryTag({ category }) {
  return (
    <span class="tag">
      <span aria-hidden="true">{ICONS[category] || '✨'} </span>
      {t(`wish.category.${category}`)}
    </span>
  );
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

export function LoadError({ error, onRetry }) {
  return (
    <div class="alert alert--error" role="alert" data-testid="load-error">
      <p>{(error && error.detail) || String(error)}</p>
      <button type="button" class="btn btn--ghost" onClick={onRetry}>
        {t('map.retry')}
      </button>
    </div>
  );
}

/**
 * A photo. A board photo (isPublic) is a plain lazy-loaded URL anyone may fetch;
 * others come from /api/v1/media with the token, shown from an object URL.
 */
export function Photo({ mediaKey, alt, testid = 'wish-photo', small = false, isPublic = false }) {
  const [url, setUrl] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!mediaKey || isPublic) return undefined;
    let live = true;
    let objectUrl = null;
    setFailed(false);
    getMedia(mediaKey).then(
      (blob) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [mediaKey, isPublic]);
  if (!mediaKey) return null;
  if (failed) return <p class="muted photo photo--missing">{t('wish.photo_unavailable')}</p>;
  if (isPublic) {
    return (
      <img
        class={`photo${small ? ' photo--small' : ''}`}
        src={publicPhotoUrl(mediaKey)}
        alt={alt}
        loading="lazy"
        data-testid={testid}
        onError={() => setFailed(true)}
      />
    );
  }
  return url ? (
    <img class={`photo${small ? ' photo--small' : ''}`} src={url} alt={alt} data-testid={testid} />
  ) : (
    <div class={`photo photo--loading${small ? ' photo--small' : ''}`} aria-hidden="true" />
  );
}

/**
 * "Take or choose a photo": the camera on a phone, shrunk before it is kept.
 * `onChange({blob, width, height} | null)`.
 */
export function PhotoPicker({ value, onChange, testid }) {
  const [state, setState] = useState('idle'); // idle | shrinking | error
  const [preview, setPreview] = useState(null);
  const input = useRef(null);
  useEffect(() => {
    if (!value) {
      setPreview(null);
      return undefined;
    }
    const url = URL.createObjectURL(value.blob);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [value]);

  const pick = async (event) => {
    const file = event.currentTarget.files && event.currentTarget.files[0];
    if (!file) return;
    setState('shrinking');
    try {
      onChange(await shrinkPhoto(file));
      setState('idle');
    } catch {
      onChange(null);
      setState('error');
    }
    if (input.current) input.current.value = '';
  };

  return (
    <div class="photopick">
      <label class="btn btn--ghost btn--block photopick__button">
        <span aria-hidden="true">📷 </span>
        {value ? t('wish.photo_change') : t('wish.photo_add')}
        <input
          ref={input}
          class="visually-hidden"
          type="file"
          accept="image/*"
          capture="environment"
          data-testid={`${testid}-input`}
          onChange={pick}
        />
      </label>
      {state === 'shrinking' && (
        <p class="muted" role="status">
          <span class="spinner spinner--dark" aria-hidden="true" />
          {t('wish.photo_preparing')}
        </p>
      )}
      {state === 'error' && (
        <p class="alert alert--error" role="alert">
          {t('wish.photo_failed')}
        </p>
      )}
      {value && preview && (
        <div class="photopick__preview">
          <img
            src={preview}
            alt={t('wish.photo_preview')}
            data-testid={`${testid}-preview`}
            data-bytes={value.blob.size}
            data-width={value.width}
            data-height={value.height}
          />
          <button type="button" class="btn btn--ghost btn--small" data-testid={`${testid}-remove`} onClick={() => onChange(null)}>
            {t('wish.photo_remove')}
          </button>
        </div>
      )}
    </div>
  );
}

/**
 * Acts on a wish through the outbox: resolves {status: 'sent', result: WishView}
 * or {status: 'queued'}; rejects with ApiError (the server's reason) on a refusal.
 */
export function wishAction(wish, action, { body, photo } = {}) {
  const target = ACTION_TARGET[action];
  return submit({
    kind: `wish.${action}`,
    path: `/api/v1/wishes/${wish.id}/${action}`,
    body: body || {},
    blobs: photo ? { photo: photo.blob } : null,
    expect: target ? { path: `/api/v1/wishes/${wish.id}`, state: target, version: wish.version } : null,
    label: { action, title: wish.title, wish_id: wish.id },
  });
}

/** Pending outbox commands about this wish. */
export const pendingFor = (snapshot, wishId) =>
  snapshot.pending.filter((c) => c.label && c.label.wish_id === wishId);

/** The outcome of an action, said in plain words. */
export function ActionOutcome({ outcome }) {
  if (!outcome) return null;
  if (outcome.error) {
    return (
      <div class="alert alert--error" role="alert" data-testid="wish-action-error">
        <p>{outcome.error.detail || String(outcome.error)}</p>
      </div>
    );
  }
  if (outcome.status === 'queued') {
    return (
      <div class="alert alert--info" role="status" data-testid="wish-action-queued">
        <p>{t('outbox.saved_offline')}</p>
      </div>
    );
  }
  return null;
}

/**
 * The communities whose data this user looks at, and the one chosen (the first
 * until they pick another): {communities, chosen, choose}.
 */
export function useCommunityChoice(user) {
  const communities = useLoad(() => userCommunities(user), []);
  const [code, setCode] = useState('');
  const chosen = code || (communities.data && communities.data[0] && communities.data[0].code) || '';
  return { communities, chosen, choose: setCode };
}

/** The community picker, shown only to those who look after more than one; its load error. */
export function CommunityPicker({ choice, testid }) {
  const { communities, chosen, choose } = choice;
  if (communities.state === 'error') return <LoadError error={communities.error} onRetry={communities.reload} />;
  if (!communities.data || communities.data.length < 2) return null;
  return (
    <label class="field">
      <span class="field__label">{t('wish.board.community')}</span>
      <select class="select--boxed" data-testid={testid} value={chosen} onChange={(e) => choose(e.currentTarget.value)}>
        {communities.data.map((c) => (
          <option key={c.code} value={c.code}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
}
