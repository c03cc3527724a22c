"""Case boards 案件统计 on both engines, against figures worked out by hand.

The cases live in a sub-district, two communities and three grids of this module's own
(far from the demo city), in a database of its own (a new sub-district would change what
the map and scope tests count), inserted directly with fixed past dates, so no other test's
cases count and no clock is needed. Also the article's counts (2,421 received, 2,312
closed → 95.50%), the exports read back, and their audit entries.
"""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from geoalchemy2 import WKTElement
from litestar import Litestar
from sqlalchemy import insert, select

from server.audit.models import AuditEntry
from server.boards.figures import Tally, percentile
from server.boards.services import BoardService
from server.cases.models import Case, CaseState, Channel
from server.cases.services import closing_figures
from server.cases.worktime import DEFAULT_PERIODS
from server.grids.models import Community, Grid, SubDistrict
from server.notify.outbox import LOCAL_TZ
from tests.conftest import (
    DENGYUE_ADMIN,
    SUBDISTRICT_ADMIN,
    SYSTEM_ADMIN,
    YULAN_CLERK,
    Backend,
    own_backend,
)

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
MAY = {"from": "2026-05-01", "to": "2026-05-31"}
SQUARE = "MULTIPOLYGON(((100 10, 100.01 10, 100.01 10.01, 100 10.01, 100 10)))"


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    """This module's own database (the demo city), in place of the shared one."""
    async with own_backend(request, tmp_path_factory, "boards") as b:
        yield b


@pytest.fixture(scope="module")
async def app(backend: Backend) -> Litestar:
    from server.app import create_app

    return create_app(backend.settings)


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture(scope="module")
async def units(backend: Backend) -> dict[str, Any]:
    """A sub-district S with community A (grids A1, A2) and community B (grid B1).

    March in A (hand-computed in ``test_community_figures``):
    c1 A1 closed on time, 4 h, 满意, 1 rework; c2 A1 closed late, 10 h, 不满意,
    2 escalations; c3 A1 closed on 2 April (after the period); c4 A1 in progress;
    c5 A1 rejected (1 rework, not counted); c6 A1 merged; c7 A1 created 28 Feb 23:00
    local (before); c8 A2 created 1 March 00:30 local, closed on time, 2 h, 基本满意;
    c9 A2 closed on time, 8 h, not rated.
    May in B: 2,421 received, 2,312 of them closed (the article's counts).
    """
    tag = secrets.token_hex(3)
    async with backend.sessionmaker().begin() as s:
        area = WKTElement(SQUARE, srid=4326)
        sd = SubDistrict(code=f"bs{tag}", name="统计街道", boundary=area)
        s.add(sd)
        await s.flush()
        a = Community(code=f"bca{tag}", name="统计甲社区", sub_district_id=sd.id, boundary=area)
        b = Community(code=f"bcb{tag}", name="统计乙社区", sub_district_id=sd.id, boundary=area)
        s.add_all([a, b])
        await s.flush()
        grids = {
            name: Grid(
                code=f"bg{name.lower()}{tag}",
                name=f"统计{name}网格",
                sub_district_id=sd.id,
                community_id=c.id,
                boundary=area,
            )
            for name, c in (("A1", a), ("A2", a), ("B1", b))
        }
        s.add_all(grids.values())
        await s.flush()
        seq = iter(range(1, 10**6))

        def row(grid: str, created: datetime, state: CaseState, **kw: Any) -> dict[str, Any]:
            g = grids[grid]
            return {
                "number": f"T{tag}-{next(seq):06d}",
                "channel": Channel.window,
                "state": state,
                "sub_district_id": sd.id,
                "community_id": g.community_id,
                "grid_id": g.id,
                "created_at": created,
                "updated_at": created,
                **kw,
            }

        def closed(
            grid: str, created: datetime, at: datetime, hours: float, on_time: bool, **kw: Any
        ) -> dict[str, Any]:
            return row(
                grid,
                created,
                CaseState.closed,
                closed_at=at,
                resolved_at=at,
                handling_hours=hours,
                on_time=on_time,
                **kw,
            )

        rows = [
            closed(
                "A1", local(2026, 3, 2), local(2026, 3, 3), 4.0, True, satisfaction=1, reworks=1
            ),
            closed(
                "A1",
                local(2026, 3, 5),
                local(2026, 3, 9),
                10.0,
                False,
                satisfaction=3,
                escalations=2,
            ),
            closed("A1", local(2026, 3, 30), local(2026, 4, 2), 6.0, True),
            row("A1", local(2026, 3, 10), CaseState.in_progress),
            row("A1", local(2026, 3, 11), CaseState.rejected, reworks=1),
            row("A1", local(2026, 3, 12), CaseState.merged),
            closed("A1", local(2026, 2, 28, 23), local(2026, 3, 2), 3.0, True),
            closed("A2", local(2026, 3, 1, 0, 30), local(2026, 3, 2), 2.0, True, satisfaction=2),
            closed("A2", local(2026, 3, 20), local(2026, 3, 23), 8.0, True),
        ]
        # The article: 2,421 received in May, 2,312 of them closed.
        for i in range(2421):
            day = 1 + i % 28
            if i < 2312:
                rows.append(closed("B1", local(2026, 5, day), local(2026, 5, day, 16), 5.0, True))
            else:
                rows.append(row("B1", local(2026, 5, day), CaseState.in_progress))
        await s.execute(insert(Case), rows)
    return {"sd": sd.code, "a": a.code, "b": b.code, **{k: g.code for k, g in grids.items()}}


async def _get(client: Any, tokens: Any, phone: str, path: str, **params: str) -> Any:
    return await client.get(path, params=params, headers=await tokens.get(client, phone))


def _fig(unit: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in unit["figures"] if f["key"] == key)


def test_percentile_matches_percentile_cont() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([10.0, 2.0, 8.0, 4.0], 0.9) == pytest.approx(9.4)


async def test_community_figures(client, tokens, units) -> None:
    r = await _get(
        client,
        tokens,
        SYSTEM_ADMIN,
        "/api/v1/boards/cases",
        level="community",
        code=units["a"],
        **MARCH,
    )
    assert r.status_code == 200, r.text
    unit = r.json()["unit"]
    want = {
        "received": (6, "6"),
        "closed": (4, "4"),
        "closure_rate": (4 / 6, "66.67%"),
        "on_time_rate": (3 / 4, "75.00%"),
        "avg_hours": (6.0, "6.0 小时"),
        "p90_hours": (9.4, "9.4 小时"),
        "satisfied_share": (2 / 3, "66.67%"),
        "avg_score": (2.0, "2.00"),
        "reworks": (1, "1"),
        "escalations": (2, "2"),
    }
    for key, (value, display) in want.items():
        f = _fig(unit, key)
        assert f["value"] == pytest.approx(value), key
        assert f["display"] == display, key
        assert f["formula"] and f["counts"] and f["excludes"], key
    closure = _fig(unit, "closure_rate")
    assert (closure["numerator"], closure["denominator"]) == (4, 6)
    assert "4" in closure["formula"] and "6" in closure["formula"]
    assert "1" in _fig(unit, "received")["excludes"]  # one merged, one rejected, named
    # The grids side by side, each with its own percentile.
    grids = {c["code"]: c for c in r.json()["children"]}
    a1, a2 = grids[units["A1"]], grids[units["A2"]]
    assert _fig(a1, "received")["value"] == 4 and _fig(a1, "closed")["value"] == 2
    assert _fig(a1, "closure_rate")["display"] == "50.00%"
    assert _fig(a1, "p90_hours")["value"] == pytest.approx(9.4)
    assert _fig(a2, "closure_rate")["display"] == "100.00%"
    assert _fig(a2, "p90_hours")["value"] == pytest.approx(7.4)


async def test_the_articles_counts(client, tokens, units) -> None:
    """2,421 received and 2,312 closed make 95.50%, not the article's 95.12%."""
    r = await _get(
        client,
        tokens,
        SYSTEM_ADMIN,
        "/api/v1/boards/cases",
        level="community",
        code=units["b"],
        **MAY,
    )
    assert r.status_code == 200, r.text
    closure = _fig(r.json()["unit"], "closure_rate")
    assert closure["display"] == "95.50%"
    assert closure["formula"] == "办结 2312 ÷ 受理 2421 = 95.50%"
    # The same counts in the other languages (the caller's own language wins over
    # Accept-Language, so the service is asked directly).
    for lang, formula in (
        ("en", "closed 2312 ÷ received 2421 = 95.50%"),
        ("zh_Hant", "辦結 2312 ÷ 受理 2421 = 95.50%"),
    ):
        shown = BoardService(None, lang).figure("closure_rate", Tally(received=2421, closed=2312))  # type: ignore[arg-type]
        assert (shown.display, shown.formula) == ("95.50%", formula)
    # No whole numerator over 2,421, nor whole denominator under 2,312, gives 95.12%.
    assert not any(round(n / 2421 * 100, 2) == 95.12 for n in range(2421))
    assert not any(round(2312 / d * 100, 2) == 95.12 for d in range(2312, 2500))


async def test_a_sub_district_compares_its_communities(client, tokens, units) -> None:
    r = await _get(
        client,
        tokens,
        SYSTEM_ADMIN,
        "/api/v1/boards/cases",
        level="sub_district",
        code=units["sd"],
        **{"from": "2026-03-01", "to": "2026-05-31"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert _fig(body["unit"], "received")["value"] == 6 + 2421  # c7 (February) out
    by = {c["code"]: c for c in body["children"]}
    assert _fig(by[units["a"]], "closed")["value"] == 5  # c3 closed 2 April: in by May
    assert _fig(by[units["b"]], "closed")["value"] == 2312


async def test_scope_and_bad_input(client, tokens, units) -> None:
    # The demo sub-district's leader and a community's clerk see nothing of another unit.
    for phone in (SUBDISTRICT_ADMIN, DENGYUE_ADMIN, YULAN_CLERK):
        r = await _get(
            client,
            tokens,
            phone,
            "/api/v1/boards/cases",
            level="community",
            code=units["a"],
            **MARCH,
        )
        assert r.status_code == 404, r.text
        assert "统计甲社区" not in r.text
    r = await _get(
        client,
        tokens,
        SYSTEM_ADMIN,
        "/api/v1/boards/cases",
        level="community",
        code=units["a"],
        **{"from": "2026-04-01", "to": "2026-03-01"},
    )
    assert r.status_code == 400
    assert "统计期" in r.text
    r = await _get(
        client, tokens, SYSTEM_ADMIN, "/api/v1/boards/cases", level="town", code=units["a"]
    )
    assert r.status_code == 400


async def test_exports_read_back_and_audited(client, tokens, units, backend: Backend) -> None:
    params = {"level": "community", "code": units["b"], **MAY}
    r = await _get(client, tokens, SYSTEM_ADMIN, "/api/v1/boards/cases.csv", **params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    closure = next(row for row in rows if row[1] == units["b"] and row[4] == "95.50%")
    assert closure[5:7] == ["2312.0", "2421.0"] and "2421" in closure[7]

    r = await _get(client, tokens, SYSTEM_ADMIN, "/api/v1/boards/cases.xlsx", **params)
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert any(row[4] == "95.50%" and row[6] == 2421 for row in values)

    r = await _get(
        client, tokens, SYSTEM_ADMIN, f"/api/v1/communities/{units['a']}/cases.csv", **MARCH
    )
    assert r.status_code == 200, r.text
    listed = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(listed) == 1 + 8  # c1 … c9 but c7 (February)
    r = await _get(
        client,
        tokens,
        SYSTEM_ADMIN,
        f"/api/v1/communities/{units['a']}/cases.xlsx",
        **MARCH,
        state="closed",
    )
    sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 1 + 5

    async with backend.sessionmaker()() as s:
        entries = (
            await s.scalars(
                select(AuditEntry).where(
                    AuditEntry.action.in_(["export_case_board", "export_cases"]),
                    AuditEntry.object_id.in_([units["a"], units["b"]]),
                )
            )
        ).all()
    got = sorted((e.action, e.detail["format"], e.detail["filters"]["from"]) for e in entries)
    assert got == [
        ("export_case_board", "csv", "2026-05-01"),
        ("export_case_board", "xlsx", "2026-05-01"),
        ("export_cases", "csv", "2026-03-01"),
        ("export_cases", "xlsx", "2026-03-01"),
    ]
    assert all(e.actor_id is not None for e in entries)


async def test_case_list_export_masks_the_reporter(client, tokens) -> None:
    """The demo community's list: no phone, family names only."""
    today = date.today().isoformat()
    r = await _get(
        client,
        tokens,
        DENGYUE_ADMIN,
        "/api/v1/communities/410902001001/cases.csv",
        **{"from": "2025-01-01", "to": today},
    )
    assert r.status_code == 200, r.text
    text = r.content.decode("utf-8-sig")
    assert "138000" not in text and "孙桂兰" not in text
    r = await _get(client, tokens, YULAN_CLERK, "/api/v1/communities/410902001001/cases.csv")
    assert r.status_code == 404


def test_closing_figures_count_working_hours_and_missed_deadlines() -> None:
    """Monday 2 March 2026 09:00 to Tuesday 10:00: 3 + 3.5 + 1.5 = 8 working hours."""
    case = SimpleNamespace(
        created_at=local(2026, 3, 2, 9),
        resolved_at=local(2026, 3, 3, 9, 30),
        due_at=local(2026, 3, 3, 12),
        deadline_missed=False,
    )
    closed_at = local(2026, 3, 3, 10)
    assert closing_figures(case, closed_at, DEFAULT_PERIODS) == {  # type: ignore[arg-type]
        "handling_hours": 8.0,
        "on_time": True,
    }
    case.deadline_missed = True  # escalated by the deadline watch, fresh time since
    assert closing_figures(case, closed_at, DEFAULT_PERIODS)["on_time"] is False  # type: ignore[arg-type]
    case.deadline_missed, case.resolved_at = False, local(2026, 3, 3, 14)  # after 12:00
    assert closing_figures(case, closed_at, DEFAULT_PERIODS)["on_time"] is False  # type: ignore[arg-type]


async def test_migration_backfills_the_closed_cases(tmp_path) -> None:
    """0013 on a database that already has closed cases (the demo city's, on SQLite):
    the figures it computes are the ones closing writes."""
    from alembic import command

    from server.db.engine import make_engine, make_sessionmaker
    from server.db.migrate import alembic_config, upgrade
    from server.demo import load_demo
    from tests.conftest import make_settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'backfill.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as s:
            await load_demo(s, make_settings(url, tmp_path))
        async with make_sessionmaker(engine)() as s:
            query = select(Case.id, Case.handling_hours, Case.on_time).where(
                Case.state == CaseState.closed
            )
            written = sorted((await s.execute(query)).all())
        assert written and all(h is not None for _, h, _ in written)
        await engine.dispose()
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0012")
        await asyncio.to_thread(upgrade, url)
        async with make_sessionmaker(engine)() as s:
            backfilled = sorted((await s.execute(query)).all())
            assert backfilled == written
    finally:
        await engine.dispose()


async def test_the_tally_counts_what_the_cases_count(backend: Backend, units) -> None:
    """The sub-district's figures from ``case_tallies`` (kept by the database's triggers)
    equal those counted from the cases, on random cases of 2027 written every way a case
    is written: inserted, changed one by one (closed, reopened, rated, moved to the other
    community, hours past the fine bins), changed in bulk, and deleted."""
    import random

    from sqlalchemy import delete, update

    from server.accounts.scope import Scope
    from server.boards import figures
    from server.boards.figures import Period, side_by_side
    from server.boards.tally import COUNTS

    rng = random.Random(2027)
    async with backend.sessionmaker()() as s:
        sd = await s.scalar(select(SubDistrict).where(SubDistrict.code == units["sd"]))
        grids = (await s.scalars(select(Grid).where(Grid.sub_district_id == sd.id))).all()
    assert sd is not None and len(grids) == 3

    def random_case(i: int) -> dict[str, Any]:
        g = rng.choice(grids)
        created = local(2027, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
        state = rng.choice(list(CaseState))
        kw: dict[str, Any] = {}
        if state in (CaseState.closed, CaseState.resolved) or rng.random() < 0.1:
            done = created + timedelta(hours=rng.choice([1, 5, 30, 200, 900, 4000]))
            kw = {
                "closed_at": done if state is CaseState.closed else None,
                "handling_hours": rng.choice([None, rng.uniform(0, 400), 63.999, 64.0, 304.0]),
                "on_time": rng.choice([None, True, False]),
                "satisfaction": rng.choice([None, 1, 2, 3]),
            }
        return {
            "number": f"R{units['sd']}-{i:06d}",
            "channel": Channel.window,
            "state": state,
            "sub_district_id": sd.id,
            "community_id": g.community_id,
            "grid_id": g.id,
            "created_at": created,
            "updated_at": created,
            "reworks": rng.randint(0, 2),
            "escalations": rng.randint(0, 2),
            **kw,
        }

    whole = Scope(user_id=0, is_system=True)
    # A scope of the two communities only: the board is then counted from the cases.
    async with backend.sessionmaker()() as s:
        communities = frozenset(
            (await s.scalars(select(Community.id).where(Community.sub_district_id == sd.id))).all()
        )
    parts = Scope(user_id=0, community_ids=communities)
    periods = [
        Period(date(2027, 1, 1), date(2027, 12, 31)),
        Period(date(2027, 3, 1), date(2027, 3, 31)),
        Period(date(2027, 6, 10), date(2027, 9, 3)),
    ]

    async def compare(label: str) -> None:
        used: list[bool] = []
        real = figures._from_tally

        async def spy(*a: Any, **k: Any) -> Any:
            got = await real(*a, **k)
            used.append(got is not None)
            return got

        figures._from_tally = spy  # type: ignore[assignment]
        try:
            async with backend.sessionmaker()() as s:
                for period in periods:
                    fast = await side_by_side(
                        s, whole, period, level="sub_district", unit_id=sd.id, by="community"
                    )
                    slow = await side_by_side(
                        s, parts, period, level="sub_district", unit_id=sd.id, by="community"
                    )
                    for a, b in ((fast[0], slow[0]), *((fast[1][c], slow[1][c]) for c in slow[1])):
                        for name in (*COUNTS, "p90_hours"):
                            want, got = getattr(b, name), getattr(a, name)
                            assert got == pytest.approx(want), (label, period, name, got, want)
                    assert set(fast[1]) == set(slow[1]), (label, period)
                    alone = await figures.case_figures(
                        s, whole, period, level="sub_district", unit_id=sd.id
                    )
                    for name in (*COUNTS, "p90_hours"):
                        want, got = getattr(slow[0], name), getattr(alone[sd.id], name)
                        assert got == pytest.approx(want), (label, period, "alone", name)
        finally:
            figures._from_tally = real  # type: ignore[assignment]
        assert used and all(used), (label, used)  # the tally was read, and agreed

    async with backend.sessionmaker().begin() as s:
        await s.execute(insert(Case), [random_case(i) for i in range(400)])
    await compare("inserted")

    async with backend.sessionmaker().begin() as s:
        cases = (
            await s.scalars(
                select(Case).where(Case.number.like(f"R{units['sd']}-%")).order_by(Case.id)
            )
        ).all()
        for c in rng.sample(list(cases), 120):
            move = rng.random()
            if move < 0.3:
                c.state = CaseState.closed
                c.closed_at = c.created_at + timedelta(days=rng.randint(0, 60))
                c.handling_hours = rng.uniform(0, 120)
                c.satisfaction = rng.choice([None, 1, 3])
            elif move < 0.5:
                c.state = CaseState.in_progress  # reopened
            elif move < 0.7:
                other = rng.choice(grids)
                c.grid_id, c.community_id = other.id, other.community_id
            elif move < 0.85:
                c.escalations += 1
                c.reworks += 1
            else:
                c.description = "只改了描述"  # not counted: the tally is left alone
    await compare("changed one by one")

    async with backend.sessionmaker().begin() as s:
        await s.execute(
            update(Case)
            .where(Case.number.like(f"R{units['sd']}-%"), Case.state == CaseState.in_progress)
            .values(escalations=Case.escalations + 1)
        )
        await s.execute(
            delete(Case).where(
                Case.number.like(f"R{units['sd']}-%"), Case.state == CaseState.merged
            )
        )
    await compare("changed in bulk and deleted")


async def test_the_tally_trigger_runs_without_jit_or_nested_loops(backend: Backend) -> None:
    """PostgreSQL: the trigger function carries its own settings (migration 0017 for
    databases made before), so a bulk change of thousands of cases is neither compiled
    by JIT nor paired row by row over the transition tables (tally.FUNCTION_SETTINGS).
    SQLite's three triggers run per row, with no planner settings to carry."""
    from sqlalchemy import text

    async with backend.sessionmaker()() as s:
        if backend.name == "postgis":
            settings = await s.scalar(
                text("SELECT proconfig FROM pg_proc WHERE proname = 'case_tallies_apply'")
            )
            assert sorted(settings) == ["enable_nestloop=off", "jit=off"]
        else:
            triggers = (
                await s.scalars(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name = 'cases' AND name LIKE 'case_tallies_%' ORDER BY name"
                    )
                )
            ).all()
            assert triggers == [
                "case_tallies_delete",
                "case_tallies_insert",
                "case_tallies_update",
            ]
