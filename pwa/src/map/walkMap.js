// The map of 今日走访: the day's households as numbered markers, each window's
// walking order as a line, over the worker's grid outline when the saved map has
// it. Loaded only when the visitor switches to the map (Leaflet stays out of the
// first page). Like the map screen (leafletMap.js) it draws on a plain
// background, so it works with no signal; a tile layer only when the server
// configures one.
import * as L from 'leaflet/dist/leaflet-src.esm.js';
import 'leaflet/dist/leaflet.css';

/** One colour per window; evening's line is also dashed, for readers who tell colours apart poorly. */
export const WINDOW_COLORS = { noon: '#b34700', evening: '#2743a6' };
export const WINDOW_DASH = { noon: null, evening: '10 8' };
const GRID_COLOR = '#2a7f62';
const PIN = 44; // the marker's box: a touch target of 44 px
const SPREAD_PX = 24; // households of one building fan out around it by this much

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** Pixel offsets for `n` markers at one spot: a ring around it (none for one). */
function ring(n) {
  if (n < 2) return [[0, 0]];
  const radius = SPREAD_PX + Math.max(0, n - 6) * 4;
  return Array.from({ length: n }, (_, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [Math.round(radius * Math.cos(angle)), Math.round(radius * Math.sin(angle))];
  });
}

/**
 * Builds the walk map in `container`.
 * @param {{config: object|null, outline: object[]|null, visits: object[],
 *          popup: (visit: object) => HTMLElement}} options
 *   `visits` each carry {id, lon, lat, window, number, state ('planned'|'done'|'missed'|'saved'),
 *   resident}; `outline` the grid features to draw under them; `popup(visit)` builds the content
 *   shown when a marker is tapped.
 */
export function createWalkMap(container, { config, outline, visits, popup }) {
  const tiles = Boolean(config && config.tile_url);
  // Zoom buttons at the bottom: a popup opening near the top is never under them.
  const map = L.map(container, {
    zoomControl: false,
    attributionControl: tiles,
    minZoom: 3,
    maxZoom: 20,
    zoomSnap: 0.5, // the day's households fill the screen more closely
  });
  L.control.zoom({ position: 'bottomright' }).addTo(map);
  if (tiles) L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '', maxZoom: 20 }).addTo(map);

  // The view first: the day's households, with room for their markers at the edges.
  const bounds = L.latLngBounds(visits.map((v) => [v.lat, v.lon]));
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [PIN, PIN], maxZoom: 19 });
  else {
    const [lon, lat] = (config && config.default_center) || [115.03, 35.76];
    map.setView([lat, lon], (config && config.default_zoom) || 15);
  }

  if (outline && outline.length) {
    L.geoJSON(outline, {
      interactive: false,
      style: { color: GRID_COLOR, weight: 3, opacity: 0.9, fillColor: GRID_COLOR, fillOpacity: 0.1 },
    }).addTo(map);
  }

  // The walking order: one line per window, through its households in order.
  let lines = 0;
  for (const window of ['noon', 'evening']) {
    const here = visits.filter((v) => v.window === window);
    if (here.length < 2) continue;
    L.polyline(
      here.map((v) => [v.lat, v.lon]),
      {
        color: WINDOW_COLORS[window],
        weight: 5,
        opacity: 0.85,
        dashArray: WINDOW_DASH[window],
        interactive: false,
        className: `walkline walkline--${window}`,
      },
    ).addTo(map);
    lines += 1;
  }
  container.dataset.lines = String(lines);

  // Households of one building share a point: fan their markers out around it.
  const spots = new Map();
  for (const visit of visits) {
    const key = `${visit.lat.toFixed(6)},${visit.lon.toFixed(6)}`;
    if (!spots.has(key)) spots.set(key, []);
    spots.get(key).push(visit);
  }
  const markers = new Map();
  for (const group of spots.values()) {
    const offsets = ring(group.length);
    group.forEach((visit, i) => {
      const [dx, dy] = offsets[i];
      const pin = el('span', `walkpin walkpin--${visit.window} walkpin--${visit.state}`, String(visit.number));
      Object.assign(pin.dataset, {
        testid: 'walk-marker',
        id: String(visit.id),
        window: visit.window,
        state: visit.state,
        number: String(visit.number),
      });
      const icon = L.divIcon({
        className: 'walkpin-box',
        html: pin.outerHTML,
        iconSize: [PIN, PIN],
        iconAnchor: [PIN / 2 - dx, PIN / 2 - dy],
        popupAnchor: [dx, dy - PIN / 2 + 4],
      });
      const marker = L.marker([visit.lat, visit.lon], {
        icon,
        title: visit.resident,
        alt: visit.resident,
        keyboard: true,
        riseOnHover: true,
        // Waiting households above done ones; in a window, the earlier stop on top.
        zIndexOffset: (visit.state === 'planned' ? 1000 : 0) - visit.number,
      });
      marker.bindPopup(() => popup(visit), { minWidth: 200, maxWidth: 280, autoPanPadding: [16, 16] });
      marker.addTo(map);
      markers.set(visit.id, marker);
    });
  }


  const resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => map.invalidateSize()) : null;
  if (resizeObserver) resizeObserver.observe(container);

  return {
    markerCount: markers.size,
    closePopup() {
      map.closePopup();
    },
    destroy() {
      if (resizeObserver) resizeObserver.disconnect();
      map.remove();
    },
  };
}
