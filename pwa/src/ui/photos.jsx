// Photos: one shown (public by URL, private through the API with the token)
// and one taken or chosen (shrunk on the phone before it is kept or sent).
import { useEffect, useRef, useState } from 'preact/hooks';
import { getMedia, publicPhotoUrl } from '../api.js';
import { t } from '../i18n/index.js';
import { shrinkPhoto } from '../photo.js';

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
