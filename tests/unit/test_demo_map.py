"""The committed demo city is what its generator makes, and it is a valid grid map."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from server.grids.importer import validate_grid_map

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "grid_maps" / "hualong.geojson"


def test_generator_reproduces_the_committed_demo_city(tmp_path: Path) -> None:
    out = tmp_path / "demo.geojson"
    subprocess.run(
        [
            sys.executable,
            "grid_maps/generate.py",
            "--preset",
            "demo",
            "--seed",
            "3334",
            "--out",
            str(out),
            "-q",
        ],
        cwd=ROOT,
        check=True,
    )
    assert out.read_bytes() == DEMO.read_bytes()


def test_demo_city_has_the_promised_shape_and_passes_import_validation() -> None:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    assert doc["linli"]["synthetic"] is True
    levels = Counter(f["properties"]["level"] for f in doc["features"])
    assert levels["sub_district"] >= 2 and levels["community"] >= 6
    assert levels["grid"] >= 60 and levels["building"] >= 600
    names = {f["properties"]["name"] for f in doc["features"]}
    assert {"登月社区", "玉兰花园社区"} <= names
    for f in doc["features"]:
        lon, lat = (
            f["geometry"]["coordinates"][0][0]
            if f["geometry"]["type"] == "Polygon"
            else f["geometry"]["coordinates"]
        )
        assert 114.9 < lon < 115.2 and 35.6 < lat < 35.9
    assert validate_grid_map(doc, segments=(6, 3, 3, 3), tolerance_m=2.0) == []
