"""The visit records the office reviews (kept reports), on both engines: the community
office lists what phones sent that could not be applied, applies one (the visit is
recorded from it, as its reporter made it, with its history row and an audit entry) or
dismisses one with a note; a report is reviewed once, whoever is second gets 409; another
community's clerk and people who are not the office are refused and learn nothing.

The database is shared with other tests: every report here is made here (the visits are
the test's own, see ``test_visit_sync._visits``), and lists are searched for them."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEntry
from server.visits.models import Visit, VisitEvent, VisitReport, VisitState
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_VOLUNTEER,
    YULAN_CLERK,
    Backend,
)
from tests.integration.test_scope import user_id
from tests.integration.test_visit_sync import DENGYUE, _record, _sync, _visits
from tests.integration.test_wishes import as_

LIST = f"/api/v1/communities/{DENGYUE}/visit-reports"


async def kept_reassigned(client, tokens, backend: Backend, **sent: Any) -> dict[str, int]:
    """A record of the grid worker for a household the office gave to someone else
    meanwhile (the visit is still planned): kept, reason ``reassigned``."""
    [visit] = await _visits(backend, 1, DENGYUE_ADMIN, other_grid=True)
    r = await _sync(client, tokens, DENGYUE_GRID_WORKER, [_record(visit, **sent)])
    assert r.json()["results"][0]["outcome"] == "kept", r.text
    return {"visit": visit, "report": await _report_of(backend, visit)}


async def kept_twice(client, tokens, backend: Backend) -> dict[str, int]:
    """A second record of a visit already recorded: kept, reason ``already_recorded``."""
    [visit] = await _visits(backend, 1, DENGYUE_GRID_WORKER)
    first = await _sync(client, tokens, DENGYUE_GRID_WORKER, [_record(visit)])
    assert first.json()["results"][0]["outcome"] == "recorded", first.text
    again = await _sync(client, tokens, DENGYUE_GRID_WORKER, [_record(visit, notes="又记了一次")])
    assert again.json()["results"][0]["reason"] == "already_recorded", again.text
    return {"visit": visit, "report": await _report_of(backend, visit, kept=True)}


async def _report_of(backend: Backend, visit: int, kept: bool = False) -> int:
    async with backend.sessionmaker()() as session:
        query = select(VisitReport.id).where(VisitReport.visit_id == visit)
        if kept:
            query = query.where(VisitReport.outcome == "kept")
        return int(await session.scalar(query.order_by(VisitReport.id.desc())))


async def listed(client, tokens, phone: str, state: str = "open") -> dict[int, dict[str, Any]]:
    r = await client.get(
        LIST, params={"state": state, "limit": 200}, headers=await as_(client, tokens, phone)
    )
    assert r.status_code == 200, r.text
    return {item["id"]: item for item in r.json()["items"]}


async def review(client, tokens, phone: str, report: int, **body: Any) -> Any:
    return await client.post(
        f"/api/v1/visit-reports/{report}/review",
        json=body,
        headers=await as_(client, tokens, phone),
    )


async def test_the_office_lists_what_was_kept_and_why(client, tokens, backend: Backend) -> None:
    made = await kept_reassigned(client, tokens, backend, notes="门口见到老人", urgent=True)
    twice = await kept_twice(client, tokens, backend)
    items = await listed(client, tokens, DENGYUE_CLERK)
    item = items[made["report"]]
    assert item["visit_id"] == made["visit"] and item["state"] == "open"
    assert item["reason"] == "reassigned" and item["recordable"] is True
    assert item["visit_state"] == "planned" and item["visit_version"] == 1
    assert item["reporter"] == "陈志强" and item["visitor"] == "王秀英"  # the plan names her now
    assert item["resident"].endswith("*") and "*" in item["resident"]  # masked
    sent = item["sent"]
    assert sent["notes"] == "门口见到老人" and sent["urgent"] is True
    assert sent["condition"] == "fair" and sent["needs"] == ["买菜"] and sent["visited_at"]
    assert item["decision"] is None and item["reviewed_at"] is None
    other = items[twice["report"]]
    assert other["reason"] == "already_recorded" and other["recordable"] is False
    # The sub-district's leader reads the same list; reviewed ones are not in it.
    assert made["report"] in await listed(client, tokens, DENGYUE_ADMIN)
    assert made["report"] not in await listed(client, tokens, DENGYUE_CLERK, "reviewed")
    headers = await as_(client, tokens, DENGYUE_CLERK)
    for bad in ({"state": "closed"}, {"limit": 0}, {"offset": -1}):
        r = await client.get(LIST, params=bad, headers=headers)
        assert r.status_code == 400 and r.json()["detail"], (bad, r.text)


async def test_applying_records_the_visit_as_the_reporter_made_it(
    client, tokens, backend: Backend
) -> None:
    made = await kept_reassigned(client, tokens, backend, notes="血压偏高", condition="poor")
    r = await review(
        client, tokens, DENGYUE_CLERK, made["report"], decision="apply", expected_version=1
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "reviewed" and body["decision"] == "applied"
    assert body["reviewed_by"] == "刘芳" and body["visit_state"] == "done"
    assert body["recordable"] is False
    worker, clerk = (
        await user_id(backend, DENGYUE_GRID_WORKER),
        await user_id(backend, DENGYUE_CLERK),
    )
    async with backend.sessionmaker()() as session:
        visit = await session.get(Visit, made["visit"])
        assert visit is not None and visit.state is VisitState.done and visit.version == 2
        assert visit.recorded_by == worker and visit.person_user_id == worker
        assert visit.notes == "血压偏高" and visit.condition == "poor"
        event = await session.scalar(
            select(VisitEvent).where(VisitEvent.visit_id == made["visit"]).order_by(VisitEvent.id)
        )
        assert event is not None and event.action == "record" and event.actor_user_id == clerk
        assert event.from_state is VisitState.planned and event.to_state is VisitState.done
        assert event.detail == {"report": made["report"], "reporter": worker}
        audit = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "visit_report",
                    AuditEntry.object_id == str(made["report"]),
                )
            )
        ).all()
        assert [(a.action, a.actor_id) for a in audit] == [("visit_report.apply", clerk)]
    assert made["report"] in await listed(client, tokens, DENGYUE_CLERK, "reviewed")
    assert made["report"] not in await listed(client, tokens, DENGYUE_CLERK)


async def test_dismissing_needs_a_note_and_a_report_is_reviewed_once(
    client, tokens, backend: Backend
) -> None:
    twice = await kept_twice(client, tokens, backend)
    r = await review(client, tokens, DENGYUE_CLERK, twice["report"], decision="dismiss")
    assert r.status_code == 400 and "原因" in r.json()["detail"], r.text
    r = await review(client, tokens, DENGYUE_CLERK, twice["report"], decision="dismiss", note=" ")
    assert r.status_code == 400
    # The visit is done already: it cannot be recorded from this report (409, said why).
    r = await review(client, tokens, DENGYUE_CLERK, twice["report"], decision="apply")
    assert r.status_code == 409 and "已走访" in r.json()["detail"], r.text
    r = await review(
        client, tokens, DENGYUE_CLERK, twice["report"], decision="dismiss", note="与已有记录重复"
    )
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "dismissed" and r.json()["review_note"] == "与已有记录重复"
    again = await review(
        client, tokens, DENGYUE_ADMIN, twice["report"], decision="dismiss", note="再看一次"
    )
    assert again.status_code == 409 and "已有人核对" in again.json()["detail"], again.text
    r = await review(client, tokens, DENGYUE_ADMIN, twice["report"], decision="other")
    assert r.status_code == 400
    async with backend.sessionmaker()() as session:
        visit = await session.get(Visit, twice["visit"])
        assert visit is not None and visit.notes == "腿脚不便"  # the first record stands


async def test_a_stale_visit_version_and_two_clerks_at_once_are_409(
    client, tokens, backend: Backend
) -> None:
    made = await kept_reassigned(client, tokens, backend)
    r = await review(
        client, tokens, DENGYUE_CLERK, made["report"], decision="apply", expected_version=7
    )
    assert r.status_code == 409 and r.json()["code"] == "stale", r.text
    assert made["report"] in await listed(client, tokens, DENGYUE_CLERK)  # nothing changed

    # Two clerks decide at once: exactly one wins.
    other = await kept_reassigned(client, tokens, backend)
    answers = await asyncio.gather(
        review(client, tokens, DENGYUE_CLERK, other["report"], decision="apply"),
        review(client, tokens, DENGYUE_ADMIN, other["report"], decision="dismiss", note="重复"),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    async with backend.sessionmaker()() as session:
        report = await session.get(VisitReport, other["report"])
        visit = await session.get(Visit, other["visit"])
    assert report is not None and visit is not None
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert str(report.decision) == winner["decision"]
    assert (visit.state is VisitState.done) == (winner["decision"] == "applied")


async def test_others_are_refused_and_learn_nothing(client, tokens, backend: Backend) -> None:
    made = await kept_reassigned(client, tokens, backend, notes="楼道里很暗")
    for phone in (YULAN_CLERK, DENGYUE_VOLUNTEER, DENGYUE_GRID_WORKER):
        r = await client.get(LIST, headers=await as_(client, tokens, phone))
        assert r.status_code == 404, (phone, r.text)
    for phone, status in ((YULAN_CLERK, 404), (DENGYUE_VOLUNTEER, 404), (DENGYUE_GRID_WORKER, 403)):
        r = await review(client, tokens, phone, made["report"], decision="apply")
        assert r.status_code == status, (phone, r.text)
        assert "楼道" not in r.text and "陈志强" not in r.text
    # The same words as for a report that does not exist.
    missing = await review(client, tokens, YULAN_CLERK, 2**31 - 1, decision="apply")
    refused = await review(client, tokens, YULAN_CLERK, made["report"], decision="apply")
    assert missing.json()["detail"] == refused.json()["detail"]
    assert made["report"] in await listed(client, tokens, DENGYUE_CLERK)  # still open


async def test_me_says_who_may_review(client, tokens) -> None:
    async def can(phone: str) -> bool:
        r = await client.get("/api/v1/me", headers=await as_(client, tokens, phone))
        return "visit.review" in r.json()["can"]

    assert await can(DENGYUE_CLERK) and await can(DENGYUE_ADMIN)
    assert not await can(DENGYUE_GRID_WORKER) and not await can(DENGYUE_VOLUNTEER)
