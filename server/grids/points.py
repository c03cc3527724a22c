"""A point column's longitude and latitude, read straight from its (E)WKB.

Every list of wishes, cases and visits shows each row's point; going through shapely
(``to_shape``) built a geometry object per row to read two numbers. A point's WKB is
fixed: byte order, type (with PostGIS's SRID/Z/M flags), an optional SRID, then x and
y. Anything that is not a 2-D point goes to shapely.
"""

from __future__ import annotations

import struct
from typing import Any

from geoalchemy2.shape import to_shape

__all__ = ["lon_lat"]

_POINT = 1
_HAS_SRID = 0x20000000
_FLAGS = 0xE0000000  # EWKB's Z, M and SRID bits
_LE, _BE = struct.Struct("<Idd"), struct.Struct(">Idd")
_LE_SRID, _BE_SRID = struct.Struct("<IIdd"), struct.Struct(">IIdd")


def lon_lat(element: Any) -> tuple[float, float]:
    """(x, y) of a point geometry as the database returned it (a WKBElement)."""
    data = element.data
    raw = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
    little = raw[:1] == b"\x01"
    kind = int.from_bytes(raw[1:5], "little" if little else "big")
    if kind & ~_FLAGS == _POINT and not kind & 0xC0000000:
        if kind & _HAS_SRID:
            _, _, x, y = (_LE_SRID if little else _BE_SRID).unpack_from(raw, 1)
        else:
            _, x, y = (_LE if little else _BE).unpack_from(raw, 1)
        return x, y
    point = to_shape(element)
    return point.x, point.y
