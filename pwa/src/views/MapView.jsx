import { useEffect, useRef, useState } from 'preact/hooks';
import { getConfig, getMap, locate } from '../api.js';
import { getLocale, placeName, shortGridName, t } from '../i18n/index.js';
import { locateOnMap } from '../map/locate.js';

/** "华龙区 › 中原路街道 › 登月社区 › 第3网格" (`district` only when the server sends it). */
function placePath(answer) {
  if (!answer) return '';
  const names = ['district', 'sub_district', 'community'].map((level) => placeName(answer[level])).filter(Boolean);
  const grid = placeName(answer.grid);
  if (grid) names.push(shortGridName(grid, names.slice(-1)));
  return names.join(' › ');
}

export function MapView() {
  const container = useRef(null);
  const map = useRef(null);
  const tapSeq = useRef(0);
  const lastTap = useRef(null);
  const saved = useRef(null); // the map's GeoJSON, for answering a tap without the server
  const [status, setStatus] = useState({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [tap, setTap] = useState(null); // {state: 'locating'|'found'|'error', answer?, detail?}
  const locale = getLocale();

  const onTap = async (lon, lat) => {
    lastTap.current = [lon, lat];
    const seq = ++tapSeq.current;
    const show = (next) => {
      if (seq !== tapSeq.current) return;
      setTap(next);
      if (map.current) map.current.highlight(next.answer && next.answer.grid ? next.answer.grid.code : null);
    };
    // Offline, the saved map answers at once; the server is asked otherwise (it also names the building).
    const onPhone = () => {
      const answer = locateOnMap(saved.current, lon, lat);
      return answer ? { state: 'found', answer, offline: true } : null;
    };
    if (navigator.onLine === false) {
      show(onPhone() || { state: 'error', detail: t('map.outside_offline') });
      return;
    }
    setTap({ state: 'locating' });
    try {
      show({ state: 'found', answer: await locate(lon, lat) });
    } catch (error) {
      // No answer from the server at all (a dead line that still reads as online): the saved map.
      const fallback = error && error.status === 0 ? onPhone() : null;
      show(fallback || { state: 'error', detail: error.detail || String(error) });
    }
  };

  useEffect(() => {
    let cancelled = false;
    setStatus({ state: 'loading' });
    Promise.all([import('../map/leafletMap.js'), getConfig().catch(() => null), getMap()]).then(
      ([leafletMap, config, geojson]) => {
        if (cancelled || !container.current) return;
        saved.current = geojson;
        map.current = leafletMap.createMap(container.current, { config, geojson, onTap });
        setStatus({ state: map.current.featureCount ? 'ready' : 'empty' });
      },
      (error) => {
        if (!cancelled) setStatus({ state: 'error', detail: error.detail || String(error) });
      },
    );
    return () => {
      cancelled = true;
      tapSeq.current += 1;
      if (map.current) map.current.destroy();
      map.current = null;
    };
  }, [attempt]);

  // Place names come from the server in the language asked for: fetch them
  // again (and the last look-up) when the language changes.
  useEffect(() => {
    if (!map.current) return undefined;
    let cancelled = false;
    map.current.relabel();
    getMap().then(
      (fresh) => {
        if (!cancelled && map.current) map.current.relabel(fresh);
        if (!cancelled) saved.current = fresh;
      },
      () => {},
    );
    if (lastTap.current) onTap(...lastTap.current);
    return () => {
      cancelled = true;
    };
  }, [locale]);

  const closeSheet = () => {
    tapSeq.current += 1;
    lastTap.current = null;
    setTap(null);
    if (map.current) map.current.clearTap();
  };

  return (
    <section class="page page--map" aria-labelledby="map-title">
      <div class="mapbar">
        <a class="btn btn--ghost" href="#/home">
          <span aria-hidden="true">‹ </span>
          {t('nav.back')}
        </a>
        <h1 id="map-title">{t('map.title')}</h1>
      </div>
      <div class="mapwrap">
        <div class="map" ref={container} data-testid="map" data-state={status.state} />
        {status.state === 'loading' && (
          <div class="map-overlay" role="status">
            <span class="spinner spinner--dark" aria-hidden="true" />
            {t('map.loading')}
          </div>
        )}
        {status.state === 'error' && (
          <div class="map-overlay map-overlay--error" role="alert">
            <p>{t('map.load_failed', { detail: status.detail })}</p>
            <button type="button" class="btn btn--primary" onClick={() => setAttempt((n) => n + 1)}>
              {t('map.retry')}
            </button>
          </div>
        )}
        {status.state !== 'loading' && status.state !== 'error' && (
          <div class="sheet" aria-live="polite">
            {!tap && <p class="sheet__hint" data-testid="map-hint">{status.state === 'empty' ? t('map.empty') : t('map.tap_hint')}</p>}
            {tap && tap.state === 'locating' && (
              <p class="sheet__hint" data-testid="locate-pending">
                <span class="spinner spinner--dark" aria-hidden="true" />
                {t('map.locating')}
              </p>
            )}
            {tap && tap.state !== 'locating' && (
              <div class={`sheet__result sheet__result--${tap.state}`} data-testid="locate-result" data-state={tap.state} data-source={tap.offline ? 'phone' : 'server'}>
                <p>
                  {tap.state === 'found' ? (
                    <>
                      <span class="sheet__label">{t('map.located_in')}</span>
                      <strong>{placePath(tap.answer)}</strong>
                      {tap.offline && (
                        <span class="sheet__building" data-testid="locate-offline">
                          {t('map.located_offline')}
                        </span>
                      )}
                      {tap.answer && tap.answer.building && (
                        <span class="sheet__building">
                          {t('map.building_here', { name: placeName(tap.answer.building) })}
                        </span>
                      )}
                    </>
                  ) : (
                    tap.detail
                  )}
                </p>
                <button type="button" class="btn btn--ghost btn--small" onClick={closeSheet}>
                  {t('map.close')}
                </button>
              </div>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
