// The map of 我的待办: the grid worker's open cases where they are, each marker
// coloured by its deadline (overdue, due today, later) and numbered in deadline
// order as the list is. Loaded only when the worker switches to the map; like the
// walk map it draws on a plain background from what the phone keeps, so it opens
// with no signal too (tiles only when the server configures them).
import * as L from 'leaflet/dist/leaflet-src.esm.js';
import 'leaflet/dist/leaflet.css';

const GRID_COLOR = '#2a7f62';
const PIN = 44; // the marker's box: a touch target of 44 px
const GAP = 40; // between the centres of fanned-out markers: 34 px pins never overlap

/** Pixel offsets for `n` markers at one spot: a ring wide enough to keep them apart. */
function ring(n) {
  if (n < 2) return [[0, 0]];
  const radius = Math.max(GAP / 2 + 4, (n * GAP) / (2 * Math.PI));
  return Array.from({ length: n }, (_, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [Math.round(radius * Math.cos(angle)), Math.round(radius * Math.sin(angle))];
  });
}

// Nearer deadlines on top when markers overlap.
const RANK = { overdue: 2000, today: 1000, later: 0 };

/**
 * Builds the case map in `container`.
 * @param {{config: object|null, outline: object[]|null, cases: object[],
 *          popup: (kase: object) => HTMLElement}} options
 *   `cases` each carry {id, lon, lat, number (the list's order), due ('overdue'|'today'|'later'),
 *   title}; `popup(kase)` builds what a tapped marker shows.
 */
export function createCaseMap(container, { config, outline, cases, popup }) {
  const tiles = Boolean(config && config.tile_url);
  const map = L.map(container, { zoomControl: false, attributionControl: tiles, minZoom: 3, maxZoom: 20, zoomSnap: 0.5 });
  L.control.zoom({ position: 'bottomright' }).addTo(map);
  if (tiles) L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '', maxZoom: 20 }).addTo(map);

  const bounds = L.latLngBounds(cases.map((c) => [c.lat, c.lon]));
  if (outline && outline.length) {
    const layer = L.geoJSON(outline, {
      interactive: false,
      style: { color: GRID_COLOR, weight: 3, opacity: 0.9, fillColor: GRID_COLOR, fillOpacity: 0.1 },
    }).addTo(map);
    if (!bounds.isValid()) bounds.extend(layer.getBounds());
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [PIN, PIN], maxZoom: 18 });
  else {
    const [lon, lat] = (config && config.default_center) || [115.03, 35.76];
    map.setView([lat, lon], (config && config.default_zoom) || 15);
  }

  // Cases at one building share its point: fan them out around it.
  const spots = new Map();
  for (const kase of cases) {
    const key = `${kase.lat.toFixed(6)},${kase.lon.toFixed(6)}`;
    if (!spots.has(key)) spots.set(key, []);
    spots.get(key).push(kase);
  }
  let count = 0;
  for (const group of spots.values()) {
    const offsets = ring(group.length);
    group.forEach((kase, i) => {
      const [dx, dy] = offsets[i];
      const pin = document.createElement('span');
      pin.className = `casepin casepin--${kase.due}`;
      pin.textContent = String(kase.number);
      Object.assign(pin.dataset, { testid: 'case-marker', id: String(kase.id), due: kase.due });
      const icon = L.divIcon({
        className: 'casepin-box',
        html: pin.outerHTML,
        iconSize: [PIN, PIN],
        iconAnchor: [PIN / 2 - dx, PIN / 2 - dy],
        popupAnchor: [dx, dy - PIN / 2 + 4],
      });
      L.marker([kase.lat, kase.lon], {
        icon,
        title: kase.title,
        alt: kase.title,
        keyboard: true,
        riseOnHover: true,
        zIndexOffset: RANK[kase.due] - kase.number,
      })
        .bindPopup(() => popup(kase), { minWidth: 200, maxWidth: 260, autoPanPadding: [12, 12] })
        .addTo(map);
      count += 1;
    });
  }

  const resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => map.invalidateSize()) : null;
  if (resizeObserver) resizeObserver.observe(container);
  return {
    markerCount: count,
    closePopup() {
      map.closePopup();
    },
    destroy() {
      if (resizeObserver) resizeObserver.disconnect();
      map.remove();
    },
  };
}
