"""Open311 GeoReport v2: the city's service catalogue and cases as civic software speaks."""
