// A field map of the worker's grids (the day's walk, the inbox): the map module loaded
// lazily with the config and the saved map, drawn again when `key` changes, and its
// frame with the loading and failure notes. The screens say what goes on it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getConfig, getMap } from '../api.js';
import { t } from '../i18n/index.js';
import { myGrids } from './outline.js';

/**
 * `load()`: the lazily imported map module; `draw(module, element, { config, outline })`
 * makes the map (with `destroy()`). Returns [container ref, map ref, state].
 */
export function useFieldMap(user, key, load, draw) {
  const container = useRef(null);
  const map = useRef(null);
  const [state, setState] = useState('loading');
  useEffect(() => {
    let live = true;
    setState('loading');
    Promise.all([
      load(),
      getConfig().catch(() => null),
      // The outline is a bonus: a phone without the saved map still gets its markers.
      getMap().catch(() => null),
    ]).then(
      ([module, config, geojson]) => {
        if (!live || !container.current) return;
        map.current = draw(module, container.current, { config, outline: myGrids(user, geojson) });
        setState('ready');
      },
      () => live && setState('error'),
    );
    return () => {
      live = false;
      if (map.current) map.current.destroy();
      map.current = null;
    };
  }, [key]);
  return [container, map, state];
}

/** The map's frame: the map element (`testid`, its marker count) and the state notes. */
export function FieldMapFrame({ container, state, testid, markers }) {
  return (
    <div class="walkmap">
      <div class="map" ref={container} data-testid={testid} data-state={state} data-markers={markers} />
      {state === 'loading' && (
        <div class="map-overlay" role="status">
          <span class="spinner spinner--dark" aria-hidden="true" />
          {t('map.loading')}
        </div>
      )}
      {state === 'error' && (
        <div class="map-overlay map-overlay--error" role="alert">
          {t('visit.map.failed')}
        </div>
      )}
    </div>
  );
}
