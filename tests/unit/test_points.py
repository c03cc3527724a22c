"""A point's coordinates read straight from its WKB agree with shapely's."""

from __future__ import annotations

import pytest
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import from_shape
from shapely import wkb
from shapely.geometry import LineString, Point

from server.grids.points import lon_lat


@pytest.mark.parametrize(
    "element",
    [
        from_shape(Point(114.98, 35.7), srid=4326),  # WKB, little-endian
        WKBElement(wkb.dumps(Point(114.98, 35.7), srid=4326, hex=True), extended=True),
        WKBElement(wkb.dumps(Point(114.98, 35.7), big_endian=True)),
        WKBElement(wkb.dumps(Point(114.98, 35.7), srid=4326, big_endian=True), extended=True),
        WKBElement(memoryview(wkb.dumps(Point(114.98, 35.7), srid=4326)), extended=True),
    ],
    ids=["wkb", "ewkb-hex", "big-endian", "ewkb-big-endian", "memoryview"],
)
def test_a_points_coordinates_are_read_from_its_wkb(element: WKBElement) -> None:
    assert lon_lat(element) == (114.98, 35.7)


def test_anything_but_a_2d_point_goes_through_shapely() -> None:
    assert lon_lat(from_shape(Point(1.5, 2.5, 3.0), srid=4326)) == (1.5, 2.5)
    with pytest.raises(AttributeError):  # a line has no single x and y
        lon_lat(from_shape(LineString([(0, 0), (1, 1)]), srid=4326))
