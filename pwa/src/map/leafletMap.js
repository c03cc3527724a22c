// The Leaflet part of the map screen, loaded only when that screen opens so
// the first page stays small. Draws the server's GeoJSON on a plain
// background; a tile layer is added only when the server configures one.
import * as L from 'leaflet/dist/leaflet-src.esm.js';
import 'leaflet/dist/leaflet.css';
import { placeName, shortGridName, t } from '../i18n/index.js';

const FALLBACK_CENTER = [115.03, 35.76]; // lon, lat
const FALLBACK_ZOOM = 15;

export const COLORS = {
  subDistrict: '#4a4a4a',
  community: '#1d3557',
  grid: '#2a7f62',
  gridStorefront: '#c4521f',
  building: '#14365a',
  storefront: '#b3261e',
  highlight: '#000000',
  tap: '#d00000',
};

function gridStyle(feature) {
  const color = feature.properties.kind === 'storefront' ? COLORS.gridStorefront : COLORS.grid;
  return { color, weight: 2, opacity: 0.9, fillColor: color, fillOpacity: 0.22 };
}

const AREA_STYLES = {
  sub_district: { color: COLORS.subDistrict, weight: 3, dashArray: '8 6', fill: false },
  community: { color: COLORS.community, weight: 5, opacity: 0.95, fill: false },
  other: { color: '#666666', weight: 1, fill: false },
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function pointPopup(props) {
  const box = el('div', 'popup');
  box.append(el('strong', 'popup__name', placeName(props)));
  if (props.address) box.append(el('div', null, t('building.address', { address: props.address })));
  if (props.households != null) box.append(el('div', null, t('building.households', { n: props.households })));
  return box;
}

function isPoint(feature) {
  const type = feature.geometry && feature.geometry.type;
  return type === 'Point' || type === 'MultiPoint';
}

const POINT_LEVELS = ['building', 'storefront'];
const MAX_PERMANENT_LABELS = 400;
const MIN_POINT_RADIUS = 2;
const MAX_POINT_RADIUS = 8;
const POINT_RADIUS_METRES = 8;
// Past this many features SVG gets slow; canvas draws them in one element.
const CANVAS_ABOVE = 1500;


// Buildings are drawn as markers even when the server sends footprints.
function asPoint(feature) {
  if (isPoint(feature) || !feature.geometry) return feature;
  const bounds = L.geoJSON(feature).getBounds();
  if (!bounds.isValid()) return feature;
  const center = bounds.getCenter();
  return { ...feature, geometry: { type: 'Point', coordinates: [center.lng, center.lat] } };
}

function legendRow(swatchClass, style, label) {
  const row = el('li', 'legend__row');
  const swatch = el('span', `legend__swatch ${swatchClass}`);
  Object.assign(swatch.style, style);
  row.append(swatch, el('span', null, label));
  return row;
}

/**
 * Builds the map in `container`.
 * @param {{config: object|null, geojson: object, onTap?: (lon: number, lat: number) => void,
 *          onMarker?: (ids: number[]) => void}} options
 *   Without `onTap` a tap does nothing (the wish board). `onMarker` is called
 *   with the wishes of a tapped wish marker (see setMarkers).
 */
export function createMap(container, { config, geojson, onTap, onMarker }) {
  const total = ((geojson && geojson.features) || []).length;
  const map = L.map(container, {
    preferCanvas: total > CANVAS_ABOVE,
    zoomControl: true,
    attributionControl: Boolean(config && config.tile_url),
    minZoom: 3,
    maxZoom: 20,
  });
  if (config && config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '', maxZoom: 20 }).addTo(map);
  }

  const levelOf = (f) => (f.properties && f.properties.level) || 'other';
  const features = ((geojson && geojson.features) || [])
    .filter((f) => f && f.geometry)
    .map((f) => (POINT_LEVELS.includes(levelOf(f)) ? asPoint(f) : f));
  const areas = (level) => features.filter((f) => !isPoint(f) && levelOf(f) === level);
  const present = new Set(features.map((f) => (f.properties && f.properties.kind === 'storefront' && levelOf(f) === 'grid' ? 'grid_storefront' : levelOf(f))));

  // Grid labels drop the community's name they usually start with
  // ("登月社区第3网格" inside 登月社区 reads "第3网格").
  const communityNames = () => areas('community').map((f) => placeName(f.properties)).filter(Boolean);
  const gridLabel = (props) => shortGridName(placeName(props), communityNames());
  const gridCount = areas('grid').length;
  // Hundreds of permanent labels would swamp the DOM: beyond that, names show on hover/tap.
  const permanentLabels = gridCount <= MAX_PERMANENT_LABELS;

  const gridLayers = new Map();
  // Filled grids first; outlines above them are not interactive, so a tap
  // anywhere reaches the grid polygon and the map.
  const layers = [
    L.geoJSON(areas('grid'), {
      style: gridStyle,
      onEachFeature(feature, layer) {
        const { code } = feature.properties;
        if (code) gridLayers.set(code, layer);
        layer.bindTooltip(gridLabel(feature.properties), {
          permanent: permanentLabels,
          direction: 'center',
          className: 'grid-label',
        });
      },
    }),
    L.geoJSON(features.filter((f) => !isPoint(f) && !['grid', 'community', 'sub_district'].includes(levelOf(f))), {
      style: AREA_STYLES.other,
      interactive: false,
    }),
    L.geoJSON(areas('community'), { style: AREA_STYLES.community, interactive: false }),
    L.geoJSON(areas('sub_district'), { style: AREA_STYLES.sub_district, interactive: false }),
    L.geoJSON(features.filter(isPoint), {
      pointToLayer(feature, latlng) {
        const shop = levelOf(feature) === 'storefront';
        return L.circleMarker(latlng, {
          radius: MAX_POINT_RADIUS,
          color: '#ffffff',
          weight: 2,
          fillColor: shop ? COLORS.storefront : COLORS.building,
          fillOpacity: 1,
        });
      },
      onEachFeature(feature, layer) {
        layer.bindPopup(() => pointPopup(feature.properties || {}));
        // Opening a popup stops the map's click, so a building tap looks up its grid here.
        layer.on('click', (event) => handleTap(event.latlng));
      },
    }),
  ];
  layers.forEach((layer) => layer.addTo(map));

  const bounds = L.featureGroup(layers).getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 });
  } else {
    const [lon, lat] = (config && config.default_center) || FALLBACK_CENTER;
    map.setView([lat, lon], (config && config.default_zoom) || FALLBACK_ZOOM);
  }

  // A grid's name shows only where it fits inside the grid at this zoom.
  function fitLabels() {
    if (!permanentLabels) return;
    layers[0].eachLayer((layer) => {
      const tooltip = layer.getTooltip();
      const node = tooltip && tooltip.getElement();
      if (!node) return;
      if (!layer.labelSize) {
        node.style.display = '';
        layer.labelSize = [node.offsetWidth, node.offsetHeight];
      }
      const bounds = layer.getBounds();
      const nw = map.latLngToLayerPoint(bounds.getNorthWest());
      const se = map.latLngToLayerPoint(bounds.getSouthEast());
      const fits = se.x - nw.x >= layer.labelSize[0] + 4 && se.y - nw.y >= layer.labelSize[1] + 4;
      node.style.display = fits ? '' : 'none';
    });
  }
  map.on('zoomend', fitLabels);
  fitLabels();

  // Markers keep roughly their ground size when zoomed out, so buildings
  // never hide the grids they stand in.
  function sizePoints() {
    const center = map.getCenter();
    const metresPerPixel = (40075016.686 * Math.cos((center.lat * Math.PI) / 180)) / 2 ** (map.getZoom() + 8);
    const radius = Math.max(MIN_POINT_RADIUS, Math.min(MAX_POINT_RADIUS, POINT_RADIUS_METRES / metresPerPixel));
    const weight = radius >= 5 ? 2 : 1;
    layers[layers.length - 1].eachLayer((layer) => layer.setStyle({ radius, weight }));
  }
  map.on('zoomend', sizePoints);
  sizePoints();

  const legend = L.control({ position: 'topright' });
  let legendBox;
  legend.onAdd = () => {
    legendBox = el('details', 'legend');
    legendBox.open = window.matchMedia('(min-width: 700px)').matches;
    L.DomEvent.disableClickPropagation(legendBox);
    L.DomEvent.disableScrollPropagation(legendBox);
    renderLegend();
    return legendBox;
  };
  function renderLegend() {
    if (!legendBox) return;
    legendBox.replaceChildren();
    legendBox.append(el('summary', 'legend__title', t('legend.title')));
    const list = el('ul', 'legend__list');
    const rows = [
      ['sub_district', 'legend__swatch--line', { borderColor: COLORS.subDistrict, borderTopStyle: 'dashed' }],
      ['community', 'legend__swatch--line legend__swatch--thick', { borderColor: COLORS.community }],
      ['grid', 'legend__swatch--area', { borderColor: COLORS.grid, background: `${COLORS.grid}38` }],
      ['grid_storefront', 'legend__swatch--area', { borderColor: COLORS.gridStorefront, background: `${COLORS.gridStorefront}38` }],
      ['building', 'legend__swatch--dot', { background: COLORS.building }],
      ['storefront', 'legend__swatch--dot', { background: COLORS.storefront }],
    ];
    for (const [level, cls, style] of rows) {
      if (present.has(level) || level === 'grid' || level === 'community') {
        list.append(legendRow(cls, style, t(`legend.${level}`)));
      }
    }
    legendBox.append(list);
  }
  legend.addTo(map);

  let tapMarker = null;
  function handleTap(latlng) {
    if (!onTap) return;
    if (tapMarker) tapMarker.setLatLng(latlng);
    else {
      tapMarker = L.circleMarker(latlng, {
        radius: 10,
        color: COLORS.tap,
        weight: 3,
        fillColor: COLORS.tap,
        fillOpacity: 0.25,
        interactive: false,
      }).addTo(map);
    }
    onTap(L.Util.wrapNum(latlng.lng, [-180, 180], true), latlng.lat);
  }
  map.on('click', (event) => handleTap(event.latlng));

  // Wishes on the board are placed at their grid's point (never the home), so
  // several share one spot: one marker per spot, with a count.
  const wishLayer = L.layerGroup().addTo(map);
  function setMarkers(wishes) {
    wishLayer.clearLayers();
    const spots = new Map();
    for (const wish of wishes || []) {
      const key = `${wish.lat.toFixed(6)},${wish.lon.toFixed(6)}`;
      if (!spots.has(key)) spots.set(key, []);
      spots.get(key).push(wish);
    }
    for (const group of spots.values()) {
      const ids = group.map((wish) => Number(wish.id));
      const icon = L.divIcon({
        className: 'wish-marker',
        html: `<span class="wish-marker__pin" data-testid="wish-marker" data-ids="${ids.join(' ')}">${group.length}</span>`,
        iconSize: [40, 40],
        iconAnchor: [20, 20],
      });
      const title = group.map((wish) => wish.title).join(' · ');
      const marker = L.marker([group[0].lat, group[0].lon], { icon, title, alt: title, riseOnHover: true, zIndexOffset: 1000 });
      marker.on('click', () => onMarker && onMarker(ids));
      wishLayer.addLayer(marker);
    }
  }

  let highlighted = null;
  const resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => map.invalidateSize()) : null;
  if (resizeObserver) resizeObserver.observe(container);

  return {
    featureCount: features.length,
    setMarkers,
    /**
     * Re-renders the language-dependent parts (legend, grid names); with a
     * fresh FeatureCollection, first takes the names from it (matched by code).
     */
    relabel(fresh) {
      const byCode = new Map(((fresh && fresh.features) || []).map((f) => [f.properties && f.properties.code, f.properties]));
      if (byCode.size) {
        for (const feature of features) {
          const next = feature.properties && byCode.get(feature.properties.code);
          if (next) Object.assign(feature.properties, { name: next.name, name_i18n: next.name_i18n });
        }
      }
      renderLegend();
      layers[0].eachLayer((layer) => {
        layer.setTooltipContent(gridLabel(layer.feature.properties));
        layer.labelSize = null;
      });
      fitLabels();
    },
    /** Outlines the grid with this code (null clears). */
    highlight(code) {
      if (highlighted) layers[0].resetStyle(highlighted);
      highlighted = code ? gridLayers.get(code) || null : null;
      if (highlighted) highlighted.setStyle({ color: COLORS.highlight, weight: 4, fillOpacity: 0.35 });
    },
    clearTap() {
      if (tapMarker) tapMarker.remove();
      tapMarker = null;
      this.highlight(null);
    },
    destroy() {
      if (resizeObserver) resizeObserver.disconnect();
      map.remove();
    },
  };
}
