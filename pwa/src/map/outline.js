// Which grid outlines of the saved map are the worker's own (no Leaflet here: the
// screens pick the features, the lazily loaded map draws them).

/** The grid features of the worker's grids, from the saved map (none when it is not on the phone). */
export function myGrids(user, geojson) {
  const codes = new Set(
    ((user && user.roles) || []).filter((r) => r.scope_level === 'grid' && r.scope_code).map((r) => r.scope_code),
  );
  if (!codes.size) return [];
  return ((geojson && geojson.features) || []).filter(
    (f) => f && f.geometry && f.properties && f.properties.level === 'grid' && codes.has(f.properties.code),
  );
}
