"""The office's week of visits (``GET /communities/{code}/visit-plan``) on both engines:
what the plan wrote, per person, day and window, with the load against the capacity and
the unplanned visits explained in the reader's language; nobody else learns anything."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from server.people.models import Resident
from server.visits.models import Visit, VisitState
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    SUBDISTRICT_ADMIN,
    YULAN_ADMIN,
    Backend,
)
from tests.integration.test_scope import user_id
from tests.integration.test_visits import DENGYUE, plan, this_monday
from tests.integration.test_wishes import as_


async def week(client, tokens, phone: str = DENGYUE_ADMIN, **params: str) -> Any:
    return await client.get(
        f"/api/v1/communities/{DENGYUE}/visit-plan",
        params=params,
        headers=await as_(client, tokens, phone),
    )


def placed(body: dict[str, Any]) -> dict[int, tuple[int, str, str, dict[str, Any]]]:
    """Every visit in a window: id → (person, date, window, the visit)."""
    return {
        v["id"]: (p["user_id"], d["date"], w["window"], v)
        for p in body["people"]
        for d in p["days"]
        for w in d["windows"]
        for v in w["visits"]
    }


async def test_the_week_shows_what_the_plan_wrote(client, tokens, backend: Backend) -> None:
    report = await plan(client, tokens)
    assert report.status_code == 200, report.text
    r = await week(client, tokens, week_start=this_monday().isoformat())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == DENGYUE and body["week_start"] == this_monday().isoformat()
    assert body["capacity_per_window"] >= 1 and set(body["windows"]) == {"noon", "evening"}

    # The same visits as the database, each where the plan put it, in walking order.
    week_end = this_monday() + timedelta(days=6)
    async with backend.sessionmaker()() as session:
        rows = (
            await session.scalars(
                select(Visit).where(
                    Visit.state != VisitState.cancelled,
                    (Visit.due_by.between(this_monday(), week_end))
                    | (Visit.visit_date.between(this_monday(), week_end)),
                )
            )
        ).all()
        names = set((await session.scalars(select(Resident.name))).all())
    in_dengyue = [v for v in rows if v.community_id == rows[0].community_id]
    assert in_dengyue, "the plan wrote this week's visits"
    shown = placed(body)
    planned = [v for v in in_dengyue if v.person_user_id is not None and v.window is not None]
    assert planned
    for v in planned:
        person, day, window, view = shown[v.id]
        assert (person, day, window) == (v.person_user_id, v.visit_date.isoformat(), v.window)
        assert view["position"] == v.position and view["state"] == v.state
        assert view["arrive_at"] == v.arrive_at and view["walk_m"] == v.walk_m
        # What the VISIT rules let the office do in this state (a missed visit: record only).
        if v.state is VisitState.planned:
            assert {"move", "cancel", "record"} <= set(view["allowed_actions"])
        else:
            assert "move" not in view["allowed_actions"]
    totals = body["totals"]
    assert totals["due"] == len(in_dengyue)
    assert (
        totals["planned"] + totals["done"] + totals["missed"] + totals["unplanned"]
        == (totals["due"])
    )
    assert totals["unplanned"] == len(body["unplanned"])

    # Each window: visits in walking order, the load counted, over capacity marked.
    for p in body["people"]:
        assert [d["date"] for d in p["days"]] == [
            (this_monday() + timedelta(days=i)).isoformat() for i in range(7)
        ]
        for d in p["days"]:
            assert [w["window"] for w in d["windows"]] == ["noon", "evening"]
            for w in d["windows"]:
                positions = [v["position"] for v in w["visits"]]
                assert positions == sorted(positions)
                assert w["load"] == len(w["visits"])
                assert w["over_capacity"] == (w["load"] > body["capacity_per_window"])
    kinds = {p["user_id"]: p["kind"] for p in body["people"]}
    assert kinds[await user_id(backend, DENGYUE_GRID_WORKER)] == "grid_worker"
    assert kinds[await user_id(backend, DENGYUE_CLERK)] == "community_staff"

    # Residents are masked: no full name of anyone appears.
    assert not [n for n in names if len(n) > 1 and n in r.text]

    # Without a week, this week.
    assert (await week(client, tokens)).json()["week_start"] == this_monday().isoformat()


async def test_an_unplanned_visit_says_why_in_the_readers_language(
    client, tokens, backend: Backend
) -> None:
    assert (await plan(client, tokens)).status_code == 200
    async with backend.sessionmaker().begin() as session:
        resident = await session.scalar(
            select(Resident).where(Resident.community_id.is_not(None)).order_by(Resident.id)
        )
        assert resident is not None
        visit = Visit(
            resident_id=resident.id,
            source="care-week-test",
            due_by=this_monday() + timedelta(days=6),
            state=VisitState.unplanned,
            unplanned_reason="over_capacity",
            **Visit.placed_in(resident),
        )
        session.add(visit)
    headers = await as_(client, tokens, DENGYUE_ADMIN)
    zh = await client.get(f"/api/v1/communities/{DENGYUE}/visit-plan", headers=headers)
    assert zh.status_code == 200, zh.text
    (mine,) = [u for u in zh.json()["unplanned"] if u["id"] == visit.id]
    assert mine["reason"] == "over_capacity" and mine["grid"]
    assert mine["resident"].endswith("*") and resident.name not in zh.text
    assert mine["message"] and "fully booked" not in mine["message"]  # the admin reads Chinese
    assert "move" in mine["allowed_actions"]
    # In English for a reader who chose English.
    r = await client.patch("/api/v1/me", json={"locale": "en"}, headers=headers)
    assert r.status_code == 200, r.text
    try:
        en = await client.get(f"/api/v1/communities/{DENGYUE}/visit-plan", headers=headers)
        (mine,) = [u for u in en.json()["unplanned"] if u["id"] == visit.id]
        assert "fully booked" in mine["message"]
    finally:
        await client.patch("/api/v1/me", json={"locale": "zh_Hans"}, headers=headers)
        async with backend.sessionmaker().begin() as session:
            gone = await session.get(Visit, visit.id)
            await session.delete(gone)


async def test_a_visit_moved_by_hand_shows_fixed_where_it_was_put(
    client, tokens, backend: Backend
) -> None:
    # Next week: every visit in it is still to be made, whatever other tests recorded today.
    monday = (this_monday() + timedelta(weeks=1)).isoformat()
    assert (await plan(client, tokens, week=this_monday() + timedelta(weeks=1))).status_code == 200
    body = (await week(client, tokens, week_start=monday)).json()
    clerk = await user_id(backend, DENGYUE_CLERK)
    visit_id, (_, day, _, view) = next(
        (k, p) for k, p in placed(body).items() if p[3]["state"] == "planned"
    )
    r = await client.post(
        f"/api/v1/visits/{visit_id}/move",
        json={"person_user_id": clerk, "visit_date": day, "window": "evening"},
        headers=await as_(client, tokens, DENGYUE_ADMIN),
    )
    assert r.status_code == 200, r.text
    after = placed((await week(client, tokens, week_start=monday)).json())
    assert after[visit_id][:3] == (clerk, day, "evening") and after[visit_id][3]["fixed"]
    assert after[visit_id][3]["version"] > view["version"]
    # A re-plan keeps it there.
    assert (await plan(client, tokens, week=this_monday() + timedelta(weeks=1))).status_code == 200
    again = placed((await week(client, tokens, week_start=monday)).json())
    assert again[visit_id][:3] == (clerk, day, "evening") and again[visit_id][3]["fixed"]


async def test_only_the_office_in_scope_reads_the_week(client, tokens) -> None:
    assert (await plan(client, tokens)).status_code == 200
    ok = await week(client, tokens, SUBDISTRICT_ADMIN)
    assert ok.status_code == 200 and ok.json()["people"]
    for phone in (YULAN_ADMIN, DENGYUE_GRID_WORKER, DENGYUE_RESIDENT):
        r = await week(client, tokens, phone)
        assert r.status_code == 404, (phone, r.text)
        assert "people" not in r.text and "*" not in r.text
    r = await week(client, tokens, week_start=(this_monday() + timedelta(days=1)).isoformat())
    assert r.status_code == 400
    r = await week(client, tokens, week_start="not-a-date")
    assert r.status_code == 400
