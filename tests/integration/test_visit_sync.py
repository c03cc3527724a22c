"""Visits recorded offline reach the server in batches, each record exactly once, on both
engines: a replayed batch stores nothing twice and tells nothing twice; a record for a
household reassigned meanwhile is kept for the office, not lost; another community's
people are refused and learn nothing."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from server.db.base import utcnow
from server.grids.models import Community, Grid
from server.notify.models import Notification
from server.people.models import Resident
from server.visits.models import Visit, VisitEvent, VisitReport, VisitState, VisitWindow
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
    YULAN_RESIDENT,
    YULAN_VOLUNTEER,
    Backend,
)
from tests.integration.test_scope import user_id
from tests.integration.test_wishes import as_

DENGYUE = "410902001001"


async def _visits(
    backend: Backend, n: int, person_phone: str | None, *, other_grid: bool = False
) -> list[int]:
    """``n`` planned visits of 登月社区 residents for the person (their own rows: a source of
    their own, so the plan of other tests never meets them)."""
    person = await user_id(backend, person_phone) if person_phone else None
    source = "t" + secrets.token_hex(8)
    async with backend.sessionmaker().begin() as session:
        community = await session.scalar(select(Community).where(Community.code == DENGYUE))
        assert community is not None
        grids = (
            await session.scalars(
                select(Grid.id).where(Grid.community_id == community.id).order_by(Grid.id)
            )
        ).all()
        grid = grids[1] if other_grid else grids[0]
        residents = (
            await session.scalars(select(Resident).where(Resident.grid_id == grid).limit(3))
        ).all()
        if not residents:  # a grid with nobody registered: anyone of the community
            residents = (
                await session.scalars(
                    select(Resident).where(Resident.community_id == community.id).limit(3)
                )
            ).all()
        rows = [
            Visit(
                resident_id=residents[i % len(residents)].id,
                source=source,
                due_by=date(2020, 1, 1) + timedelta(days=i),
                state=VisitState.planned,
                person_user_id=person,
                visit_date=None,  # in nobody's day: the day screens of other tests stay theirs
                window=VisitWindow.noon,
                position=i,
                **Visit.placed_in(residents[i % len(residents)]),
            )
            for i in range(n)
        ]
        if other_grid:
            for row in rows:
                row.grid_id = grid
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


def _record(visit_id: int, **kw: Any) -> dict[str, Any]:
    return {
        "ref": kw.pop("ref", secrets.token_hex(12)),
        "visit_id": visit_id,
        "condition": "fair",
        "visited_at": (utcnow() - timedelta(hours=2)).isoformat(),
        "needs": ["买菜"],
        "notes": "腿脚不便",
        **kw,
    }


async def _sync(client, tokens, phone: str, records: list[dict[str, Any]], **kw: Any) -> Any:
    return await client.post(
        "/api/v1/visits/records",
        json={"records": records},
        headers={**(await as_(client, tokens, phone)), **kw.get("headers", {})},
    )


async def _counts(backend: Backend, ids: list[int]) -> tuple[int, int, int]:
    async with backend.sessionmaker()() as session:
        events = await session.scalar(
            select(func.count()).select_from(VisitEvent).where(VisitEvent.visit_id.in_(ids))
        )
        reports = await session.scalar(
            select(func.count()).select_from(VisitReport).where(VisitReport.visit_id.in_(ids))
        )
        outbox = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(or_(*(Notification.dedupe_key.like(f"visit:{i}:urgent:%") for i in ids)))
        )
    return int(events or 0), int(reports or 0), int(outbox or 0)


async def test_a_batch_is_stored_once_and_a_replay_writes_nothing_again(
    client, tokens, backend: Backend
) -> None:
    ids = await _visits(backend, 3, DENGYUE_GRID_WORKER)
    records = [_record(ids[0]), _record(ids[1], urgent=True), _record(ids[2], condition="good")]
    r = await _sync(client, tokens, DENGYUE_GRID_WORKER, records)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["outcome"] for x in body["results"]] == ["recorded"] * 3
    assert body["recorded"] == 3 and body["duplicate"] == 0
    assert [x["ref"] for x in body["results"]] == [x["ref"] for x in records]
    async with backend.sessionmaker()() as session:
        visits = {
            v.id: v for v in (await session.scalars(select(Visit).where(Visit.id.in_(ids)))).all()
        }
    assert all(v.state is VisitState.done and v.version == 2 for v in visits.values())
    assert visits[ids[1]].urgent and visits[ids[2]].condition == "good"
    assert visits[ids[0]].needs == ["买菜"] and visits[ids[0]].notes == "腿脚不便"
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    assert all(v.recorded_by == worker for v in visits.values())
    first = await _counts(backend, ids)
    events, reports, urgent = first
    assert events == 3 and reports == 3
    assert urgent >= 2  # the office (admin and clerk) by push and SMS, at once

    # The phone did not hear the answer and sends the same records again, then again
    # within a bigger batch with a new one.
    again = await _sync(client, tokens, DENGYUE_GRID_WORKER, records)
    assert again.status_code == 200, again.text
    assert [(x["outcome"], x["first"]) for x in again.json()["results"]] == [
        ("duplicate", "recorded")
    ] * 3
    [extra] = await _visits(backend, 1, DENGYUE_GRID_WORKER)
    mixed = await _sync(client, tokens, DENGYUE_GRID_WORKER, [*records, _record(extra)])
    assert [x["outcome"] for x in mixed.json()["results"]] == ["duplicate"] * 3 + ["recorded"]
    assert await _counts(backend, ids) == first  # nothing written twice, nobody told twice


async def test_the_same_batch_under_its_idempotency_key_gets_the_first_answer(
    client, tokens, backend: Backend
) -> None:
    ids = await _visits(backend, 2, DENGYUE_GRID_WORKER)
    records = [_record(i) for i in ids]
    key = {"Idempotency-Key": secrets.token_hex(16)}
    first = await _sync(client, tokens, DENGYUE_GRID_WORKER, records, headers=key)
    second = await _sync(client, tokens, DENGYUE_GRID_WORKER, records, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert [x["outcome"] for x in second.json()["results"]] == ["recorded", "recorded"]


async def test_a_record_for_a_household_reassigned_meanwhile_is_kept_for_the_office(
    client, tokens, backend: Backend
) -> None:
    # The office moved the household to another grid's worker while the phone was offline:
    # the visit happened all the same, and the office must see what was found.
    [moved] = await _visits(backend, 1, DENGYUE_ADMIN, other_grid=True)
    [done] = await _visits(backend, 1, DENGYUE_GRID_WORKER)
    first = await _sync(client, tokens, DENGYUE_GRID_WORKER, [_record(done)])
    assert first.json()["results"][0]["outcome"] == "recorded"
    records = [_record(moved, notes="门口见到老人"), _record(done, notes="第二次记录")]
    r = await _sync(client, tokens, DENGYUE_GRID_WORKER, records)
    assert r.status_code == 200, r.text
    got = [(x["outcome"], x["reason"]) for x in r.json()["results"]]
    assert got == [("kept", "reassigned"), ("kept", "already_recorded")]
    async with backend.sessionmaker()() as session:
        visit = await session.get(Visit, moved)
        assert visit is not None and visit.state is VisitState.planned  # not applied
        kept = (
            await session.scalars(select(VisitReport).where(VisitReport.visit_id == moved))
        ).all()
        assert [(k.outcome, k.record["notes"]) for k in kept] == [("kept", "门口见到老人")]
        told = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.dedupe_key.like(f"visit-reports:{kept[0].id}:kept:%"))
        )
    assert told and told >= 1  # the office hears there is something to review, once
    replay = await _sync(client, tokens, DENGYUE_GRID_WORKER, records)
    assert [(x["outcome"], x["first"]) for x in replay.json()["results"]] == [
        ("duplicate", "kept"),
        ("duplicate", "kept"),
    ]


async def test_other_communities_and_people_who_do_not_serve_are_refused_and_learn_nothing(
    client, tokens, backend: Backend
) -> None:
    [visit] = await _visits(backend, 1, DENGYUE_GRID_WORKER)
    answers = {}
    for phone in (YULAN_GRID_WORKER, YULAN_ADMIN, DENGYUE_VOLUNTEER):
        r = await _sync(client, tokens, phone, [_record(visit)])
        assert r.status_code == 200, r.text
        [item] = r.json()["results"]
        assert item["outcome"] == "refused" and item["version"] is None
        answers[phone] = item["reason"]
    # The same words as for a visit that does not exist.
    r = await _sync(client, tokens, YULAN_GRID_WORKER, [_record(2**31 - 1)])
    assert {r.json()["results"][0]["reason"]} == set(answers.values())
    async with backend.sessionmaker()() as session:
        v = await session.get(Visit, visit)
        assert v is not None and v.state is VisitState.planned and v.version == 1
        stored = await session.scalar(
            select(func.count()).select_from(VisitReport).where(VisitReport.visit_id == visit)
        )
    assert stored == 0


# Every demo account (the access matrix's thirteen) sends a record of a visit planned for
# 登月社区's grid worker: the visitor and staff above the grid record it; everyone else is
# refused with the words a visit that does not exist gets, and nothing is stored.
SYNC_ACCESS = {
    SYSTEM_ADMIN: "recorded",
    SUBDISTRICT_ADMIN: "recorded",
    DENGYUE_ADMIN: "recorded",
    DENGYUE_CLERK: "recorded",
    DENGYUE_GRID_WORKER: "recorded",
    DENGYUE_VOLUNTEER: "refused",
    DENGYUE_PARTY_MEMBER: "refused",
    DENGYUE_RESIDENT: "refused",
    YULAN_ADMIN: "refused",
    YULAN_CLERK: "refused",
    YULAN_GRID_WORKER: "refused",
    YULAN_VOLUNTEER: "refused",
    YULAN_RESIDENT: "refused",
}


async def test_every_account_syncing_a_record_gets_what_the_rule_table_says(
    client, tokens, backend: Backend
) -> None:
    ids = await _visits(backend, len(SYNC_ACCESS), DENGYUE_GRID_WORKER)
    r = await _sync(client, tokens, YULAN_GRID_WORKER, [_record(2**31 - 1)])
    no_such_visit = r.json()["results"][0]["reason"]
    for (phone, expected), visit in zip(SYNC_ACCESS.items(), ids, strict=True):
        r = await _sync(client, tokens, phone, [_record(visit)])
        assert r.status_code == 200, (phone, r.text)
        [item] = r.json()["results"]
        assert item["outcome"] == expected, (phone, item)
        async with backend.sessionmaker()() as session:
            v = await session.get(Visit, visit)
            stored = await session.scalar(
                select(func.count()).select_from(VisitReport).where(VisitReport.visit_id == visit)
            )
        assert v is not None
        if expected == "refused":
            assert item == {
                "ref": item["ref"],
                "visit_id": visit,
                "outcome": "refused",
                "reason": no_such_visit,
                "first": None,
                "version": None,
            }, phone
            assert (v.state, v.version, stored) == (VisitState.planned, 1, 0), phone
        else:
            assert (v.state, v.version, stored) == (VisitState.done, 2, 1), phone
            assert v.recorded_by == await user_id(backend, phone)
            # The visit stays the visitor's: the plan named them, whoever typed it in.
            assert v.person_user_id == await user_id(backend, DENGYUE_GRID_WORKER)


async def test_a_record_keeps_its_photo_and_the_place_only_when_sent(
    client, tokens, backend: Backend
) -> None:
    from tests.integration.test_claims_and_photos import upload

    ids = await _visits(backend, 3, DENGYUE_GRID_WORKER)
    mine = await upload(client, tokens, DENGYUE_GRID_WORKER)
    theirs = await upload(client, tokens, DENGYUE_RESIDENT)
    r = await _sync(
        client,
        tokens,
        DENGYUE_GRID_WORKER,
        [
            _record(ids[0], photo=mine, lon=115.03456, lat=35.76123),
            _record(ids[1]),
            _record(ids[2], photo=theirs),
        ],
    )
    assert r.status_code == 200, r.text
    outcomes = [(x["outcome"], bool(x["reason"])) for x in r.json()["results"]]
    assert outcomes == [("recorded", False), ("recorded", False), ("refused", True)]
    async with backend.sessionmaker()() as session:
        first, second, third = [await session.get(Visit, i) for i in ids]
    assert first is not None and second is not None and third is not None
    assert (first.photo, first.lon, first.lat) == (mine, 115.03456, 35.76123)
    assert (second.photo, second.lon, second.lat) == (None, None, None)
    assert third.state is VisitState.planned and third.photo is None


async def test_a_wrong_record_is_refused_with_its_reason_and_the_rest_of_the_batch_goes_in(
    client, tokens, backend: Backend
) -> None:
    ids = await _visits(backend, 2, DENGYUE_GRID_WORKER)
    future = (utcnow() + timedelta(days=1)).isoformat()
    r = await _sync(
        client, tokens, DENGYUE_GRID_WORKER, [_record(ids[0], visited_at=future), _record(ids[1])]
    )
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["outcome"] == "refused" and first["reason"], first
    assert second["outcome"] == "recorded"


async def test_a_malformed_batch_is_a_400_with_its_reason(client, tokens, backend: Backend) -> None:
    [visit] = await _visits(backend, 1, DENGYUE_GRID_WORKER)
    same = _record(visit)
    r = await _sync(client, tokens, DENGYUE_GRID_WORKER, [same, dict(same)])
    assert r.status_code == 400 and "编号" in r.json()["detail"]
    r = await _sync(client, tokens, DENGYUE_GRID_WORKER, [_record(visit) for _ in range(51)])
    assert r.status_code == 400
    r = await _sync(client, tokens, DENGYUE_GRID_WORKER, [])
    assert r.status_code == 400
    r = await _sync(client, tokens, DENGYUE_GRID_WORKER, [_record(visit, ref="短")])
    assert r.status_code == 400
