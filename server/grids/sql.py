"""The SQL of "which grid is this point in", one statement per engine.

PostGIS plans ``ST_Intersects`` through the GiST index by itself. SpatiaLite
never uses its R*Tree unless the query names it, so its statement first narrows
to the grids whose bounding box holds the point (``idx_grids_boundary``) and
only then tests the polygons. A point on a shared edge lies in both grids; the
lower id wins, so the answer is stable.
"""

__all__ = ["LOCATE_POSTGIS", "LOCATE_SPATIALITE"]

LOCATE_SPATIALITE = """
    SELECT g.code AS g_code, g.name AS g_name, g.name_i18n AS g_i18n,
           c.code AS c_code, c.name AS c_name, c.name_i18n AS c_i18n,
           s.code AS s_code, s.name AS s_name, s.name_i18n AS s_i18n
    FROM grids AS g
    JOIN communities AS c ON c.id = g.community_id
    JOIN sub_districts AS s ON s.id = g.sub_district_id
    WHERE g.id IN (
        SELECT pkid FROM idx_grids_boundary
        WHERE xmin <= :lon AND xmax >= :lon AND ymin <= :lat AND ymax >= :lat
    )
    AND ST_Intersects(g.boundary, MakePoint(:lon, :lat, 4326)) = 1
    ORDER BY g.id
    LIMIT 1
    """

LOCATE_POSTGIS = """
    SELECT g.code AS g_code, g.name AS g_name, g.name_i18n AS g_i18n,
           c.code AS c_code, c.name AS c_name, c.name_i18n AS c_i18n,
           s.code AS s_code, s.name AS s_name, s.name_i18n AS s_i18n
    FROM grids AS g
    JOIN communities AS c ON c.id = g.community_id
    JOIN sub_districts AS s ON s.id = g.sub_district_id
    WHERE ST_Intersects(g.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    ORDER BY g.id
    LIMIT 1
    """
