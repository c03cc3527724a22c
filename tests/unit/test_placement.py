"""Where a row sits in the grid is said in one place (server.grids.models)."""

from __future__ import annotations

import re
from pathlib import Path

from server.grids.models import Community, Grid, InCommunity, InGrid, SubDistrict, placed_in
from server.people.models import Resident, ServiceGroup, VolunteerHours
from server.wishes.models import Wish

SERVER = Path(__file__).resolve().parents[2] / "server"


def test_a_row_is_placed_where_its_source_sits() -> None:
    assert placed_in(SubDistrict(id=1)) == {
        "sub_district_id": 1,
        "community_id": None,
        "grid_id": None,
    }
    assert placed_in(Community(id=10, sub_district_id=1)) == {
        "sub_district_id": 1,
        "community_id": 10,
        "grid_id": None,
    }
    grid = Grid(id=100, sub_district_id=1, community_id=10)
    assert placed_in(grid) == {"sub_district_id": 1, "community_id": 10, "grid_id": 100}
    resident = Resident(**Resident.placed_in(grid))
    assert (resident.sub_district_id, resident.community_id, resident.grid_id) == (1, 10, 100)
    # A row placed from another row (a wish from its resident) takes its three columns;
    # a community-level table takes only the two it has.
    assert Wish.placed_in(resident) == placed_in(grid)
    assert ServiceGroup.placed_in(grid) == {"sub_district_id": 1, "community_id": 10}


def test_scoped_tables_use_the_placement_mixins() -> None:
    assert issubclass(Wish, InGrid) and issubclass(Resident, InGrid)
    assert issubclass(ServiceGroup, InCommunity) and issubclass(VolunteerHours, InCommunity)


def test_no_service_copies_the_three_columns_by_hand() -> None:
    copied = re.compile(r"\bsub_district_id=\w+\.sub_district_id\b")
    offenders = [
        f"{path.relative_to(SERVER)}:{n}"
        for path in SERVER.rglob("*.py")
        if path.parent.name != "grids" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if copied.search(line)
    ]
    assert not offenders, f"place rows with placed_in() instead: {offenders}"
