// "Which grid is this?" answered on the phone from the saved map (GeoJSON in
// WGS 84), for when the server cannot be reached. Ray casting on each ring:
// a point is inside a polygon when it is inside the outer ring and in no hole.
// Points exactly on a boundary may fall either way; the server decides those
// when it is reachable (it also names the building, which this does not).

function inRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const inPolygon = (lon, lat, rings) => inRing(lon, lat, rings[0]) && !rings.slice(1).some((hole) => inRing(lon, lat, hole));

/** Is (lon, lat) inside this GeoJSON Polygon or MultiPolygon geometry? */
export function contains(geometry, lon, lat) {
  if (!geometry) return false;
  if (geometry.type === 'Polygon') return inPolygon(lon, lat, geometry.coordinates);
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.some((rings) => inPolygon(lon, lat, rings));
  return false;
}

const LEVELS = ['sub_district', 'community', 'grid'];

/**
 * The areas of the saved map that contain the point, shaped like the
 * server's /api/v1/locate answer ({sub_district, community, grid}, each the
 * feature's properties), or null when no grid of the map contains it.
 */
export function locateOnMap(geojson, lon, lat) {
  const answer = {};
  for (const feature of (geojson && geojson.features) || []) {
    const props = feature.properties || {};
    if (LEVELS.includes(props.level) && !answer[props.level] && contains(feature.geometry, lon, lat)) answer[props.level] = props;
  }
  return answer.grid ? answer : null;
}
