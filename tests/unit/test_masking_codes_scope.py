from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.dialects import postgresql

from server.accounts.models import Role
from server.accounts.scope import Scope, ScopedRow
from server.grids.codes import check_code
from server.grids.models import Building, Community, Grid
from server.lib.masking import mask_free_text, mask_name, mask_phone

SEG = (6, 3, 3, 3)


def test_phone_and_name_masking() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone(" 13812341234 ") == "138****1234"
    assert mask_phone("1234") == "****"
    assert mask_name("王小明") == "王**"
    assert mask_name("李") == "李*"
    assert mask_name("") == ""


@pytest.mark.parametrize(
    ("level", "code", "parent", "ok"),
    [
        ("sub_district", "410902001", None, True),
        ("sub_district", "41090200", None, False),
        ("community", "410902001002", "410902001", True),
        ("community", "410902002002", "410902001", False),
        ("grid", "410902001002003", "410902001002", True),
        ("grid", "41090200100200A", "410902001002", False),
        ("building", "410902001002003B007", "410902001002003", True),
        ("building", "410902001002003S007", "410902001002003", False),
        ("storefront", "410902001002003S007", "410902001002003", True),
    ],
)
def test_codes_follow_the_national_segments(
    level: str, code: str, parent: str | None, ok: bool
) -> None:
    assert (check_code(level, code, parent, SEG) is None) is ok


def test_segment_widths_are_configurable() -> None:
    assert check_code("grid", "4109020101020304", "410902010102", (6, 2, 4, 4)) is None
    problem = check_code("grid", "410902001002003", "410902001002", (6, 2, 4, 4))
    assert problem is not None and problem[1] == {"length": 16}


def grant(
    role: Role, sd: int | None = None, cm: int | None = None, gr: int | None = None
) -> SimpleNamespace:
    return SimpleNamespace(role=role, sub_district_id=sd, community_id=cm, grid_id=gr)


def test_scope_is_the_union_of_staff_roles_only() -> None:
    scope = Scope.from_assignments(
        1,
        [
            grant(Role.grid_worker, 1, 10, 100),
            grant(Role.community_staff, 1, 11),
            grant(
                Role.volunteer, 2, 20
            ),  # volunteers serve a community; they do not see its people
        ],
    )
    assert scope.grid_ids == {100} and scope.community_ids == {11} and not scope.sub_district_ids
    assert scope.covers(ScopedRow(1, 10, 100))
    assert scope.covers(ScopedRow(1, 11, 105))
    assert not scope.covers(ScopedRow(1, 10, 101))
    assert not scope.covers(ScopedRow(2, 20, 200))
    assert Scope.from_assignments(1, [grant(Role.system_admin)]).covers(ScopedRow(9, 9, 9))
    assert Scope.from_assignments(1, [grant(Role.resident)]).is_empty


def test_scope_clause_maps_areas_onto_their_own_level() -> None:
    scope = Scope(user_id=1, community_ids=frozenset({11}), grid_ids=frozenset({100}))
    grid_sql = str(scope.clause(Grid).compile(dialect=postgresql.dialect()))
    assert "grids.community_id IN" in grid_sql and "grids.id IN" in grid_sql
    community_sql = str(scope.clause(Community).compile(dialect=postgresql.dialect()))
    assert "communities.id IN" in community_sql and "grid" not in community_sql
    building_sql = str(scope.clause(Building).compile(dialect=postgresql.dialect()))
    assert "buildings.grid_id IN" in building_sql
    assert str(Scope(user_id=1).clause(Building).compile()) in ("false", "0 = 1")


def test_free_text_masking() -> None:
    masked = mask_free_text(
        "请联系13800000007谢谢，身份证11010519491231002X号，tel: +86 138-0000-0007，"
        "邮件 wang.xm@example.com，3号楼1201室，见 2026-000123，2026年12月3日"
    )
    assert "13800000007" not in masked and "138****0007" in masked
    assert "11010519491231002X" not in masked and "1****************X" in masked
    assert "138-0000-0007" not in masked and "0007" in masked
    assert "wang.xm@" not in masked and "w***@example.com" in masked
    for kept in ("3号楼1201室", "2026-000123", "2026年12月3日"):  # short figures, case numbers
        assert kept in masked
