"""A resident's timeline on both engines: the office and the grid worker of her grid see
her visits and the wishes posted for her, newest first, without her phone or ID number;
every opening is in the audit log; everyone else is answered 404 and learns nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from server.accounts.models import User
from server.audit.models import AuditEntry
from server.grids.models import Building, Community, Grid
from server.lib.crypto import seal
from server.people.models import Resident
from server.visits.models import Condition, Visit, VisitState, VisitWindow
from server.wishes.models import Wish, WishCategory, WishEvent
from server.wishes.states import State
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_PARTY_MEMBER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    SYSTEM_ADMIN,
    YULAN_ADMIN,
    YULAN_CLERK,
    YULAN_GRID_WORKER,
    Backend,
)

DENGYUE = "410902001001"
_seq = itertools.count(1)
PHONE, ID_NUMBER = "13912340000", "11010519491231002X"


async def make_resident(backend: Backend, grid_index: int = 0) -> dict[str, Any]:
    """A resident of 登月社区 (in its first or second grid) with a history:

    visits: recorded 10 days ago (poor, by the grid worker), missed 3 days ago, due in 4
    days (could not be planned); a wish posted for her 6 days ago, approved 5 days ago, claimed 2 days ago.
    """
    n = next(_seq)
    now = datetime.now(UTC)
    today = now.date()
    async with backend.sessionmaker().begin() as s:
        community = await s.scalar(select(Community).where(Community.code == DENGYUE))
        assert community is not None
        grid = (
            await s.scalars(
                select(Grid).where(Grid.community_id == community.id).order_by(Grid.code)
            )
        ).all()[grid_index]
        home = await s.scalar(
            select(Building).where(Building.grid_id == grid.id).order_by(Building.code).limit(1)
        )
        assert home is not None
        worker = await s.scalar(select(User).where(User.phone == DENGYUE_GRID_WORKER))
        volunteer = await s.scalar(select(User).where(User.phone == DENGYUE_VOLUNTEER))
        assert worker is not None and volunteer is not None
        r = Resident(
            name=f"时间线居民{n}",
            phone=PHONE,
            id_number_sealed=seal(ID_NUMBER),
            building_id=home.id,
            unit="3单元502",
            care_tags=["elderly_alone"],
            **Resident.placed_in(home),
        )
        s.add(r)
        await s.flush()

        def visit(days: int, state: VisitState, **kw: Any) -> Visit:
            # Placed as the plan would; the coming one could not be planned, so that no
            # row of this test lands in the grid worker's coming days (test_visits.py's).
            placed = state is not VisitState.unplanned
            v = Visit(
                resident_id=r.id,
                due_by=today + timedelta(days=days),
                state=state,
                person_user_id=worker.id if placed else None,
                visit_date=today + timedelta(days=days) if placed else None,
                window=VisitWindow.noon if placed else None,
                position=1 if placed else None,
                unplanned_reason=None if placed else "over_capacity",
                **Visit.placed_in(r),
                **kw,
            )
            s.add(v)
            return v

        done = visit(
            -10,
            VisitState.done,
            visited_at=now - timedelta(days=10),
            recorded_by=worker.id,
            condition=Condition.poor,
            needs=["送医"],
            notes="腿脚不便",
            urgent=True,
        )
        missed = visit(-3, VisitState.missed)
        planned = visit(4, VisitState.unplanned)
        wish = Wish(
            title=f"时间线心愿{n}",
            category=WishCategory.repair,
            state=State.claimed,
            beneficiary_id=r.id,
            building_id=home.id,
            location=home.location,
            expires_at=now + timedelta(days=30),
            claimant_user_id=volunteer.id,
            **Wish.placed_in(r),
        )
        s.add(wish)
        await s.flush()
        for days, action, before, after, actor in (
            (6, "post", None, State.submitted, None),
            (5, "approve", State.submitted, State.approved, None),
            (2, "claim", State.approved, State.claimed, volunteer.id),
        ):
            s.add(
                WishEvent(
                    wish_id=wish.id,
                    at=now - timedelta(days=days),
                    action=action,
                    from_state=before,
                    to_state=after,
                    actor_user_id=actor,
                )
            )
    return {
        "id": r.id,
        "name": r.name,
        "visits": (planned.id, missed.id, done.id),
        "wish": wish.id,
        "worker": worker.name,
        "volunteer": volunteer.name,
    }


async def openings(backend: Backend, resident_id: int) -> int:
    async with backend.sessionmaker()() as s:
        return int(
            await s.scalar(
                select(func.count()).where(
                    AuditEntry.action == "resident.timeline",
                    AuditEntry.object_id == str(resident_id),
                )
            )
            or 0
        )


async def timeline(client: Any, tokens: Any, phone: str, resident_id: int, **params: Any) -> Any:
    return await client.get(
        f"/api/v1/residents/{resident_id}/timeline",
        params=params,
        headers=await tokens.get(client, phone),
    )


async def test_the_office_reads_a_residents_history_newest_first(
    client, tokens, backend: Backend
) -> None:
    r = await make_resident(backend)
    got = await timeline(client, tokens, DENGYUE_ADMIN, r["id"])
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["name"] == r["name"] and body["care_tags"] == ["elderly_alone"]
    kinds = [(i["kind"], i.get("visit_id") or i.get("action")) for i in body["items"]]
    planned, missed, done = r["visits"]
    assert kinds == [
        ("visit", planned),  # in 4 days
        ("wish", "claim"),  # 2 days ago
        ("visit", missed),  # 3 days ago
        ("wish", "approve"),
        ("wish", "post"),
        ("visit", done),  # 10 days ago
    ]
    recorded = body["items"][-1]
    assert recorded["condition"] == "poor" and recorded["needs"] == ["送医"]
    assert recorded["notes"] == "腿脚不便" and recorded["urgent"] is True
    assert recorded["who"] == r["worker"] and recorded["visit_state"] == "done"
    claim = body["items"][1]
    assert claim["title"].startswith("时间线心愿") and claim["wish_state"] == "claimed"
    assert claim["who"] != r["volunteer"] and claim["who"].startswith(r["volunteer"][0])
    # PIPL: nothing to reach or identify her by beyond her name.
    for secret in (PHONE, PHONE[-4:], ID_NUMBER, "3单元502"):
        assert secret not in got.text
    assert body["more"] is False

    page = (await timeline(client, tokens, DENGYUE_ADMIN, r["id"], limit=2)).json()
    assert [i.get("visit_id") or i["action"] for i in page["items"]] == [planned, "claim"]
    assert page["more"] is True


async def test_every_opening_is_audited_and_refusals_learn_nothing(
    client, tokens, backend: Backend
) -> None:
    r = await make_resident(backend)
    allowed = (SYSTEM_ADMIN, SUBDISTRICT_ADMIN, DENGYUE_ADMIN, DENGYUE_CLERK, DENGYUE_GRID_WORKER)
    for i, phone in enumerate(allowed, start=1):
        got = await timeline(client, tokens, phone, r["id"])
        assert got.status_code == 200, (phone, got.text)
        assert await openings(backend, r["id"]) == i, phone
    async with backend.sessionmaker()() as s:
        entry = await s.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "resident.timeline", AuditEntry.object_id == str(r["id"]))
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        worker = await s.scalar(select(User.id).where(User.phone == DENGYUE_GRID_WORKER))
    assert entry is not None and entry.actor_id == worker and entry.community_id is not None

    refused = (
        YULAN_ADMIN,
        YULAN_CLERK,
        YULAN_GRID_WORKER,
        DENGYUE_VOLUNTEER,
        DENGYUE_PARTY_MEMBER,
        DENGYUE_RESIDENT,
    )
    for phone in refused:
        got = await timeline(client, tokens, phone, r["id"])
        assert got.status_code == 404, (phone, got.status_code)
        assert r["name"] not in got.text and "时间线心愿" not in got.text
    missing = await timeline(client, tokens, DENGYUE_ADMIN, 2**31 - 1)
    assert missing.status_code == 404
    assert await openings(backend, r["id"]) == len(allowed)


async def test_a_grid_worker_sees_only_residents_of_their_grid(
    client, tokens, backend: Backend
) -> None:
    other = await make_resident(backend, grid_index=1)
    got = await timeline(client, tokens, DENGYUE_GRID_WORKER, other["id"])
    assert got.status_code == 404 and other["name"] not in got.text
    assert (await timeline(client, tokens, DENGYUE_CLERK, other["id"])).status_code == 200
    assert await openings(backend, other["id"]) == 1
