"""Service cases 民意快线 end to end through the API, on both engines."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from server.accounts.models import User
from server.audit.models import AuditEntry
from server.cases.hours import periods_of
from server.cases.models import Case
from server.cases.worktime import working_hours_between
from server.grids.models import Building, Community, Grid
from server.housekeeping import CHORES
from server.notify.models import Notification
from server.notify.outbox import LOCAL_TZ
from server.people.models import Resident
from server.visits.models import Visit, VisitState, VisitWindow
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    SYSTEM_ADMIN,
    YULAN_CLERK,
    Backend,
)
from tests.support.images import png


async def as_(client, tokens, phone: str) -> dict[str, str]:
    return dict(await tokens.get(client, phone))


def names(zh: str) -> dict[str, str]:
    return {"zh_Hans": zh, "zh_Hant": zh, "en": f"{zh} (en)"}


def new_code() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def item_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "housing_repair",
        "names": names("测试事项"),
        "close_level": "community",
        "deadline_hours": 16,
        "mode": "by_proxy",
        "fields": [
            {"key": "floor", "kind": "number", "label": names("楼层"), "required": True},
            {
                "key": "where",
                "kind": "choice",
                "label": names("位置"),
                "choices": [{"value": "roof", "label": names("屋顶")}],
            },
        ],
    }
    body.update(over)
    return body


# --- 1. the service catalogue -------------------------------------------------------------


async def test_catalogue_is_public_and_translated(client) -> None:
    r = await client.get("/api/v1/service-catalogue", headers={"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    categories = r.json()["categories"]
    codes = {c["code"] for c in categories}
    assert {"civil_affairs", "social_security", "medical_insurance", "elderly_care"} <= codes
    assert {"housing_repair", "sanitation", "disputes", "public_safety"} <= codes
    assert len(categories) >= 8
    items = [i for c in categories for i in c["items"]]
    assert len(items) >= 40
    dibao = next(i for i in items if i["code"] == "dibao")
    assert dibao["name"] == "Minimum living allowance (dibao) application"
    assert dibao["names"]["zh_Hant"] == "最低生活保障申請"
    assert dibao["close_level"] == "department"
    assert dibao["department"] == "Hualong District Civil Affairs Bureau"
    assert dibao["liaison"] is None and dibao["liaison_phone"] is None  # staff only
    assert {f["key"] for f in dibao["fields"]} == {"household_size", "monthly_income"}
    r = await client.get("/api/v1/service-catalogue", headers={"Accept-Language": "zh-TW"})
    hant = {c["code"]: c["name"] for c in r.json()["categories"]}
    assert hant["sanitation"] == "環境衛生"


async def test_item_liaison_for_staff_only(client, tokens) -> None:
    r = await client.get(
        "/api/v1/service-items/dibao", headers=await as_(client, tokens, DENGYUE_GRID_WORKER)
    )
    assert r.status_code == 200, r.text
    assert r.json()["liaison"] == "郭晓燕" and r.json()["liaison_phone"]
    r = await client.get(
        "/api/v1/service-items/dibao", headers=await as_(client, tokens, DENGYUE_RESIDENT)
    )
    assert r.status_code == 200 and r.json()["liaison"] is None
    r = await client.get(
        "/api/v1/service-items/no_such_item", headers=await as_(client, tokens, DENGYUE_RESIDENT)
    )
    assert r.status_code == 404


async def test_administrators_write_the_catalogue(client, tokens, backend: Backend) -> None:
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    code = new_code()
    r = await client.post(
        "/api/v1/service-items", json={**item_body(), "code": code}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["fields"][1]["choices"] == [{"value": "roof", "label": "屋顶"}]
    r = await client.post(
        "/api/v1/service-items", json={**item_body(), "code": code}, headers=admin
    )
    assert r.status_code == 409
    r = await client.put(
        f"/api/v1/service-items/{code}",
        json=item_body(
            close_level="department",
            department=names("区住建局"),
            liaison="韩磊",
            liaison_phone="0393-8991504",
            deadline_hours=40,
        ),
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["department"] == "区住建局" and r.json()["deadline_hours"] == 40
    r = await client.post(
        "/api/v1/service-items",
        json={**item_body(), "code": new_code()},
        headers=await as_(client, tokens, DENGYUE_CLERK),
    )
    assert r.status_code == 403
    async with backend.sessionmaker()() as session:
        actions = set(
            (
                await session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == code))
            ).all()
        )
    assert actions == {"service_item.create", "service_item.update"}
    category = new_code()
    r = await client.put(
        f"/api/v1/service-categories/{category}", json={"names": names("测试类别")}, headers=admin
    )
    assert r.status_code == 200 and r.json()["items"] == []


async def test_item_definitions_are_checked(client, tokens) -> None:
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    bad = [
        (item_body(close_level="department"), "职能部门"),
        (item_body(department=names("区住建局")), "才填写部门"),
        (item_body(category="no_such_category"), "服务类别"),
        (
            item_body(fields=[{"key": "x", "kind": "choice", "label": names("选")}]),
            "选项",
        ),
        (
            item_body(
                fields=[
                    {"key": "x", "kind": "text", "label": names("甲")},
                    {"key": "x", "kind": "text", "label": names("乙")},
                ]
            ),
            "键都是 x",
        ),
    ]
    for body, said in bad:
        r = await client.post(
            "/api/v1/service-items", json={**body, "code": new_code()}, headers=admin
        )
        assert r.status_code == 400, (body, r.text)
        assert said in r.json()["detail"], r.text


# --- 2. working time ----------------------------------------------------------------------


async def test_working_hours_per_community(client, tokens, backend: Backend) -> None:
    """登月社区's administrators change its hours; the clerk reads them; another
    community's staff do not see them. Put back as they were (other tests read them)."""
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    url = "/api/v1/communities/410902001001/working-hours"
    r = await client.get(url, headers=await as_(client, tokens, DENGYUE_CLERK))
    assert r.status_code == 200, r.text
    before = r.json()
    r = await client.put(
        url, json={"periods": [["14:30", "18:00"], ["09:00", "12:00"]]}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "community": "410902001001",
        "periods": [["09:00", "12:00"], ["14:30", "18:00"]],
        "default": False,
    }
    r = await client.put(
        url, json={"periods": [["09:00", "12:00"], ["11:00", "13:00"]]}, headers=admin
    )
    assert r.status_code == 400
    r = await client.put(
        url,
        json={"periods": [["09:00", "12:00"]]},
        headers=await as_(client, tokens, DENGYUE_CLERK),
    )
    assert r.status_code == 403
    r = await client.get(url, headers=await as_(client, tokens, YULAN_CLERK))
    assert r.status_code == 404
    r = await client.put(url, json={"periods": before["periods"]}, headers=admin)
    assert r.status_code == 200


# --- 3. cases and their life --------------------------------------------------------------

DENGYUE = "410902001001"
YULAN = "410902002001"


async def user_id(backend: Backend, phone: str) -> int:
    async with backend.sessionmaker()() as session:
        uid = await session.scalar(select(User.id).where(User.phone == phone))
    assert uid is not None
    return int(uid)


async def grids_of(backend: Backend, community: str = DENGYUE) -> list[str]:
    async with backend.sessionmaker()() as session:
        codes = await session.scalars(
            select(Grid.code)
            .join(Community, Community.id == Grid.community_id)
            .where(Community.code == community)
            .order_by(Grid.code)
        )
        return list(codes.all())


async def report(
    client, tokens, phone: str = DENGYUE_RESIDENT, status: int = 201, **body: Any
) -> dict[str, Any]:
    body = {"item": "stair_light", "description": "三楼楼道灯不亮", "fields": {"floor": 3}, **body}
    r = await client.post("/api/v1/cases", json=body, headers=await as_(client, tokens, phone))
    assert r.status_code == status, r.text
    return dict(r.json())


async def act(
    client, tokens, phone: str, case: dict[str, Any], action: str, status: int = 200, **body: Any
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/cases/{case['id']}/{action}",
        json={"expected_version": case["version"], **body},
        headers=await as_(client, tokens, phone),
    )
    assert r.status_code == status, (action, phone, r.text)
    return dict(r.json())


async def test_a_case_from_report_to_callback(client, tokens, backend: Backend) -> None:
    case = await report(client, tokens, item="roof_leak", fields={"where": "roof", "floor": 6})
    assert re.fullmatch(r"\d{4}-\d{6}", case["number"])
    assert case["state"] == "received" and case["state_name"] == "待受理"
    assert case["channel"] == "resident_app" and case["level"] == "grid"
    assert case["item"]["code"] == "roof_leak" and case["due_at"]
    assert case["reporter"] == "孙桂兰" and case["reporter_phone"] is None
    assert case["allowed_actions"] == []
    assert [e["action"] for e in case["history"]] == ["report"]
    worker = await user_id(backend, DENGYUE_GRID_WORKER)

    # Out of sight for another community's staff; the grid worker sees it, masked phone.
    r = await client.get(
        f"/api/v1/cases/{case['id']}", headers=await as_(client, tokens, YULAN_CLERK)
    )
    assert r.status_code == 404
    seen = (
        await client.get(
            f"/api/v1/cases/{case['id']}", headers=await as_(client, tokens, DENGYUE_GRID_WORKER)
        )
    ).json()
    assert seen["reporter"] == "孙桂兰" and seen["reporter_phone"] == "138****0007"
    assert "accept" not in seen["allowed_actions"] and "escalate" not in seen["allowed_actions"]

    await act(client, tokens, DENGYUE_GRID_WORKER, case, "accept", 403)
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    assert case["state"] == "accepted"
    await act(
        client, tokens, DENGYUE_CLERK, {**case, "version": 1}, "dispatch", 409, assignee_id=worker
    )
    await act(
        client,
        tokens,
        DENGYUE_CLERK,
        case,
        "dispatch",
        400,
        assignee_id=await user_id(backend, YULAN_CLERK),
    )
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    assert case["state"] == "dispatched" and case["assignee_id"] == worker
    await act(client, tokens, DENGYUE_RESIDENT, case, "start", 403)
    await act(client, tokens, DENGYUE_CLERK, case, "start", 403)
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "start")
    await act(client, tokens, DENGYUE_GRID_WORKER, case, "resolve", 400)
    case = await act(
        client, tokens, DENGYUE_GRID_WORKER, case, "resolve", note="已联系物业修补屋面"
    )
    assert case["state"] == "resolved" and case["resolution"] == "已联系物业修补屋面"
    # A roof leak is closed by the community: not the grid worker.
    assert "close" not in case["allowed_actions"]
    await act(client, tokens, DENGYUE_GRID_WORKER, case, "close", 403)
    case = await act(client, tokens, DENGYUE_CLERK, case, "rework", reason="仍在漏水")
    assert case["state"] == "in_progress" and case["reworks"] == 1
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "resolve", note="更换防水层")
    case = await act(client, tokens, DENGYUE_CLERK, case, "close")
    assert case["state"] == "closed"
    # The boards' figures are written as it closes (server/boards/), cleared on reopening.
    async with backend.sessionmaker()() as session:
        row = await session.get(Case, case["id"])
        assert row is not None and row.handling_hours is not None and row.handling_hours >= 0
        assert row.on_time is True and row.deadline_missed is False
    # The resident rates it herself: not satisfied; the office reopens it.
    await act(client, tokens, DENGYUE_CLERK, case, "reopen", 409, reason="x")
    case = await act(client, tokens, DENGYUE_RESIDENT, case, "callback", satisfaction=3)
    assert case["satisfaction"] == 3
    await act(client, tokens, DENGYUE_RESIDENT, case, "callback", 409, satisfaction=1)
    await act(client, tokens, DENGYUE_RESIDENT, case, "reopen", 403, reason="x")
    case = await act(client, tokens, DENGYUE_CLERK, case, "reopen", reason="居民不满意，重新处理")
    assert case["state"] == "in_progress" and case["reworks"] == 2 and case["satisfaction"] is None
    async with backend.sessionmaker()() as session:
        row = await session.get(Case, case["id"])
        assert row is not None and row.handling_hours is None and row.on_time is None
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "resolve", note="整体翻修")
    case = await act(client, tokens, DENGYUE_ADMIN, case, "close")
    case = await act(
        client, tokens, DENGYUE_CLERK, case, "callback", satisfaction=1, note="电话回访"
    )
    detail = (
        await client.get(
            f"/api/v1/cases/{case['id']}", headers=await as_(client, tokens, DENGYUE_RESIDENT)
        )
    ).json()
    actions = [e["action"] for e in detail["history"]]
    assert actions == [
        "report",
        "accept",
        "dispatch",
        "start",
        "resolve",
        "rework",
        "resolve",
        "close",
        "callback",
        "reopen",
        "resolve",
        "close",
        "callback",
    ]
    assert all(e["actor"] is None for e in detail["history"])  # staff names: staff only
    # A received case may be refused, with the reason the reporter sees.
    other = await report(client, tokens)
    await act(client, tokens, DENGYUE_CLERK, other, "reject", 400)
    other = await act(client, tokens, DENGYUE_CLERK, other, "reject", reason="属物业维修范围")
    assert other["state"] == "rejected" and other["reject_reason"] == "属物业维修范围"


async def test_escalation_path_and_supervision(client, tokens, backend: Backend) -> None:
    case = await report(client, tokens, item="manhole", fields={"urgency": "now"})
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    # 督办 from above the grid: the office; not the grid worker.
    await act(client, tokens, DENGYUE_GRID_WORKER, case, "supervise", 403, note="抓紧")
    case = await act(client, tokens, DENGYUE_ADMIN, case, "supervise", note="今天下班前处理")
    assert case["state"] == "dispatched"
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "escalate", reason="需社区协调")
    assert (case["level"], case["state"], case["assignee_id"]) == ("community", "accepted", None)
    await act(client, tokens, DENGYUE_GRID_WORKER, case, "escalate", 403, reason="x")
    assert await user_id(backend, SUBDISTRICT_ADMIN) not in {
        n.user_id for n in await outbox(backend, f"case:{case['id']}:escalated")
    }
    case = await act(client, tokens, DENGYUE_CLERK, case, "escalate", reason="需街道协调")
    assert case["level"] == "sub_district"
    # Held by the sub-district now: its administrators hear of it, with the office.
    heard = {n.user_id for n in await outbox(backend, f"case:{case['id']}:escalated")}
    assert {
        await user_id(backend, SUBDISTRICT_ADMIN),
        await user_id(backend, DENGYUE_CLERK),
    } <= heard
    # ... and find it in the community's list by the level that holds it.
    r = await client.get(
        f"/api/v1/communities/{DENGYUE}/cases",
        params={"level": "sub_district", "limit": 200},
        headers=await as_(client, tokens, SUBDISTRICT_ADMIN),
    )
    assert r.status_code == 200, r.text
    held = r.json()["items"]
    assert case["id"] in {c["id"] for c in held}
    assert {c["level"] for c in held} == {"sub_district"}
    await act(client, tokens, DENGYUE_CLERK, case, "escalate", 403, reason="x")
    await act(client, tokens, DENGYUE_ADMIN, case, "supervise", 403, note="x")
    case = await act(client, tokens, SUBDISTRICT_ADMIN, case, "escalate", reason="交城管局")
    assert case["level"] == "department" and case["escalations"] == 3
    assert "escalate" not in case["allowed_actions"]
    await act(client, tokens, SUBDISTRICT_ADMIN, case, "escalate", 409, reason="x")
    case = await act(client, tokens, SYSTEM_ADMIN, case, "supervise", note="请城管局三日内回复")
    # A department's case is followed by the sub-district, who dispatches and closes it.
    sub = await user_id(backend, SUBDISTRICT_ADMIN)
    await act(client, tokens, DENGYUE_CLERK, case, "dispatch", 403, assignee_id=sub)
    case = await act(client, tokens, SUBDISTRICT_ADMIN, case, "dispatch", assignee_id=sub)
    # An item no department handles stays with the sub-district.
    plain = await report(client, tokens)
    plain = await act(client, tokens, DENGYUE_CLERK, plain, "accept")
    plain = await act(client, tokens, DENGYUE_CLERK, plain, "escalate", reason="x")
    plain = await act(client, tokens, SUBDISTRICT_ADMIN, plain, "escalate", reason="x")
    await act(client, tokens, SUBDISTRICT_ADMIN, plain, "escalate", 400, reason="x")


async def test_returns_and_transfers_flag_a_case(client, tokens, backend: Backend) -> None:
    first, second = (await grids_of(backend))[:2]
    case = await report(client, tokens)
    await act(client, tokens, DENGYUE_CLERK, case, "transfer", 400, reason="x", grid_code=first)
    await act(
        client, tokens, DENGYUE_GRID_WORKER, case, "transfer", 403, reason="x", grid_code=second
    )
    case = await act(
        client, tokens, DENGYUE_CLERK, case, "transfer", reason="不在本网格", grid_code=second
    )
    assert case["grid"] != "" and case["state"] == "received" and case["returns"] == 1
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    # The grid worker of the first grid works elsewhere now.
    await act(client, tokens, DENGYUE_CLERK, case, "dispatch", 400, assignee_id=worker)
    clerk = await user_id(backend, DENGYUE_CLERK)
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=clerk)
    case = await act(client, tokens, DENGYUE_CLERK, case, "return", reason="非本人职责")
    assert case["state"] == "accepted" and case["returns"] == 2 and not case["flagged"]
    case = await act(
        client, tokens, DENGYUE_CLERK, case, "transfer", reason="回原网格", grid_code=first
    )
    assert case["returns"] == 3 and case["flagged"]


async def test_extension_asked_and_approved_above(client, tokens, backend: Backend) -> None:
    case = await report(client, tokens)
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    await act(client, tokens, DENGYUE_CLERK, case, "request-extension", 403, hours=8, reason="x")
    await act(client, tokens, DENGYUE_CLERK, case, "approve-extension", 409)  # none asked
    case = await act(
        client, tokens, DENGYUE_GRID_WORKER, case, "request-extension", hours=7, reason="等配件"
    )
    assert case["extension_hours"] == 7 and case["extension_reason"] == "等配件"
    await act(
        client, tokens, DENGYUE_GRID_WORKER, case, "request-extension", 409, hours=7, reason="x"
    )
    await act(client, tokens, DENGYUE_GRID_WORKER, case, "approve-extension", 403)
    before = datetime.fromisoformat(case["due_at"])
    case = await act(client, tokens, DENGYUE_CLERK, case, "approve-extension")
    after = datetime.fromisoformat(case["due_at"])
    assert case["extension_hours"] is None
    assert working_hours_between(before, after) == pytest.approx(7)


# --- 4. intake per channel, duplicates, merge, lists ---------------------------------------


async def fresh_resident(client, tokens, backend: Backend) -> dict[str, Any]:
    """A resident the office registers in the first grid of 登月社区."""
    async with backend.sessionmaker()() as session:
        building = await session.scalar(
            select(Building)
            .join(Community, Community.id == Building.community_id)
            .where(Community.code == DENGYUE)
            .order_by(Building.grid_id, Building.code)
            .limit(1)
        )
    assert building is not None
    phone = f"1370000{uuid.uuid4().int % 10000:04d}"
    r = await client.post(
        "/api/v1/residents",
        json={"name": "诉求居民", "phone": phone, "building_code": building.code},
        headers=await as_(client, tokens, DENGYUE_ADMIN),
    )
    assert r.status_code == 201, r.text
    return {**r.json(), "phone": phone}


async def test_intake_per_channel(client, tokens, backend: Backend) -> None:
    own = await report(client, tokens)
    lon, lat = own["lon"], own["lat"]
    # Patrol: the grid worker reports what they found, where they stand.
    patrol = await report(
        client, tokens, DENGYUE_GRID_WORKER, lon=lon, lat=lat, item="garbage", fields={}
    )
    assert patrol["channel"] == "patrol" and patrol["reporter"] == "陈志强"
    assert patrol["grid"] == own["grid"] and patrol["lon"] == pytest.approx(lon)
    # Nothing outside one's scope: another community's grid, by code or by point.
    yulan = (await grids_of(backend, YULAN))[0]
    await report(
        client, tokens, DENGYUE_GRID_WORKER, 404, grid_code=yulan, item="garbage", fields={}
    )
    await report(client, tokens, YULAN_CLERK, 404, lon=lon, lat=lat, item="garbage", fields={})
    await report(client, tokens, DENGYUE_GRID_WORKER, 400, item="garbage", fields={})  # where?
    # Window: the clerk for a resident, with her consent.
    resident = await fresh_resident(client, tokens, backend)
    await report(client, tokens, DENGYUE_CLERK, 400, channel="window", resident_id=resident["id"])
    window = await report(
        client,
        tokens,
        DENGYUE_CLERK,
        channel="window",
        resident_id=resident["id"],
        consent_note="本人到窗口口头同意",
    )
    assert window["channel"] == "window" and window["on_behalf"]
    assert window["reporter"] == "诉求居民" and window["consent_note"] == "本人到窗口口头同意"
    assert window["reporter_phone"] == resident["phone"][:3] + "****" + resident["phone"][-4:]
    await report(
        client,
        tokens,
        YULAN_CLERK,
        404,
        channel="window",
        resident_id=resident["id"],
        consent_note="x",
    )
    # Visit: a need found on a visit; the visit's resident reports.
    async with backend.sessionmaker()() as session, session.begin():
        row = await session.get(Resident, resident["id"])
        assert row is not None
        # A visit of its own (a past due date, a source of its own): the week screens of
        # the visit tests never meet it.
        visit = Visit(
            resident_id=row.id,
            source="case-test",
            due_by=date(2020, 1, 1),
            state=VisitState.planned,
            person_user_id=await user_id(backend, DENGYUE_GRID_WORKER),
            window=VisitWindow.noon,
            **Visit.placed_in(row),
        )
        session.add(visit)
    from_visit = await report(
        client,
        tokens,
        DENGYUE_GRID_WORKER,
        channel="visit",
        visit_id=visit.id,
        item="home_care",
        fields={"service": "meals"},
    )
    assert from_visit["channel"] == "visit" and from_visit["visit_id"] == visit.id
    assert from_visit["reporter"] == "诉求居民"
    await report(client, tokens, YULAN_CLERK, 404, channel="visit", visit_id=visit.id)
    # Hotline: a caller known only by a number, kept sealed.
    hotline = await report(
        client,
        tokens,
        DENGYUE_CLERK,
        channel="hotline",
        contact_phone="13912345678",
        grid_code=(await grids_of(backend))[0],
    )
    assert hotline["channel"] == "hotline" and hotline["reporter"] is None
    assert hotline["reporter_phone"] == "139****5678"
    async with backend.sessionmaker()() as session:
        row = await session.get(Case, hotline["id"])
        assert row is not None and row.contact_hash and row.contact_phone_sealed
        assert b"12345678" not in row.contact_phone_sealed
    await report(client, tokens, DENGYUE_CLERK, 400, channel="hotline", grid_code=yulan)
    # Extra fields and items are checked; only registered residents report for themselves.
    r = await client.post(
        "/api/v1/cases",
        json={"item": "stair_light", "description": "x", "fields": {"floor": "三楼"}},
        headers=await as_(client, tokens, DENGYUE_RESIDENT),
    )
    assert r.status_code == 400 and r.json()["detail"] == "楼层须为数字"
    await report(client, tokens, DENGYUE_RESIDENT, 400, item="no_such_item")
    await report(client, tokens, DENGYUE_VOLUNTEER, 403)


async def test_duplicates_and_merge(client, tokens, backend: Backend) -> None:
    first = await report(client, tokens)
    lon, lat = first["lon"], first["lat"]
    near = await report(
        client, tokens, DENGYUE_GRID_WORKER, lon=lon + 0.0005, lat=lat, fields={"floor": 3}
    )  # ~45 m east
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    url = "/api/v1/case-duplicates"
    r = await client.get(url, params={"item": "stair_light", "lon": lon, "lat": lat}, headers=clerk)
    assert r.status_code == 200, r.text
    found = {c["id"] for c in r.json()}
    assert {first["id"], near["id"]} <= found
    assert all(c["reporter"] in (None, "孙**", "陈**") or "*" in c["reporter"] for c in r.json())
    r = await client.get(
        url, params={"item": "stair_light", "lon": lon + 0.01, "lat": lat}, headers=clerk
    )
    assert not {first["id"], near["id"]} & {c["id"] for c in r.json()}
    r = await client.get(url, params={"item": "garbage", "lon": lon, "lat": lat}, headers=clerk)
    assert not {first["id"], near["id"]} & {c["id"] for c in r.json()}
    r = await client.get(
        url,
        params={"item": "stair_light", "lon": lon, "lat": lat},
        headers=await as_(client, tokens, YULAN_CLERK),
    )
    assert r.status_code == 200 and not {first["id"], near["id"]} & {c["id"] for c in r.json()}
    r = await client.get(
        url,
        params={"item": "stair_light", "lon": lon, "lat": lat},
        headers=await as_(client, tokens, DENGYUE_RESIDENT),
    )
    assert r.status_code == 403
    await act(client, tokens, DENGYUE_CLERK, near, "merge", 400, into_case_id=near["id"])
    await act(client, tokens, DENGYUE_GRID_WORKER, near, "merge", 403, into_case_id=first["id"])
    merged = await act(client, tokens, DENGYUE_CLERK, near, "merge", into_case_id=first["id"])
    assert merged["state"] == "merged" and merged["merged_into"] == first["number"]
    detail = (await client.get(f"/api/v1/cases/{first['id']}", headers=clerk)).json()
    assert detail["history"][-1]["action"] == "merged_in"
    assert detail["history"][-1]["note"] == near["number"]


async def test_a_rejected_case_tells_the_duplicates_merged_into_it(
    client, tokens, backend: Backend
) -> None:
    """Everyone who reported hears the outcome: a hotline caller whose duplicate was
    merged into a case the office then refuses hears the reason too."""
    first = await report(client, tokens)
    hotline = await report(
        client,
        tokens,
        DENGYUE_CLERK,
        channel="hotline",
        contact_phone="13987650002",
        grid_code=(await grids_of(backend))[0],
    )
    await act(client, tokens, DENGYUE_CLERK, hotline, "merge", into_case_id=first["id"])
    await act(client, tokens, DENGYUE_CLERK, first, "reject", reason="物业负责维修")
    rejected = await outbox(backend, f"case:{first['id']}:rejected")
    me = await resident_row(backend, DENGYUE_RESIDENT)
    assert ("resident", me) in {(n.recipient_kind, n.recipient_ref) for n in rejected}
    by_sms = [n for n in rejected if n.address_sealed]
    assert len(by_sms) == 1 and by_sms[0].params["reason"] == "物业负责维修"


async def community_periods(backend: Backend, code: str = DENGYUE) -> Any:
    async with backend.sessionmaker()() as session:
        community = await session.scalar(select(Community.id).where(Community.code == code))
        return (await periods_of(session, [community]))[community]


async def test_reclassify_changes_the_item_its_deadline_and_fields(
    client, tokens, backend: Backend
) -> None:
    """改派事项: the office gives a case the item the resident meant; the deadline is the
    new item's working hours from when it was raised, its closing level the new item's,
    the new item's required fields are asked for, and the reporter hears the new date."""
    case = await report(client, tokens)  # stair_light: 8 working hours, closed by the grid
    cid, created = case["id"], datetime.fromisoformat(case["created_at"])
    periods = await community_periods(backend)
    assert working_hours_between(created, datetime.fromisoformat(case["due_at"]), periods) == (
        pytest.approx(8, abs=0.01)
    )
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    seen = (await client.get(f"/api/v1/cases/{cid}", headers=clerk)).json()
    assert "reclassify" in seen["allowed_actions"]
    # Who may: the office in scope; not the grid worker, the reporter or another community.
    body = {"item": "roof_leak", "reason": "居民选错了事项", "fields": {"where": "roof"}}
    await act(client, tokens, DENGYUE_GRID_WORKER, case, "reclassify", 403, **body)
    await act(client, tokens, DENGYUE_RESIDENT, case, "reclassify", 403, **body)
    await act(client, tokens, YULAN_CLERK, case, "reclassify", 404, **body)
    # What it needs: a reason, an item that exists and differs, its required fields.
    await act(client, tokens, DENGYUE_CLERK, case, "reclassify", 400, item="roof_leak")
    r = await client.post(
        f"/api/v1/cases/{cid}/reclassify",
        json={"item": "roof_leak", "reason": "选错了"},
        headers=clerk,
    )
    assert r.status_code == 400 and "位置" in r.json()["detail"], r.text  # where is required
    await act(client, tokens, DENGYUE_CLERK, case, "reclassify", 400, item="nope", reason="x")
    await act(
        client, tokens, DENGYUE_CLERK, case, "reclassify", 400, item="stair_light", reason="x"
    )
    # Done: the floor both items ask for is kept, the new item's choice given.
    case = await act(client, tokens, DENGYUE_CLERK, case, "reclassify", **body)
    assert case["state"] == "received" and case["version"] == 2
    assert case["item"]["code"] == "roof_leak" and case["item"]["close_level"] == "community"
    assert case["fields"] == {"where": "roof", "floor": 3}
    due = datetime.fromisoformat(case["due_at"])
    assert working_hours_between(created, due, periods) == pytest.approx(24, abs=0.01)
    last = case["history"][-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "reclassify",
        "received",
        "received",
    )
    assert last["note"] == "楼道灯损坏 → 房屋漏水: 居民选错了事项" and last["actor"]
    # The reporter hears the new item and date, and reads why on her case.
    heard = await outbox(backend, f"case:{cid}:reclassified")
    me = await resident_row(backend, DENGYUE_RESIDENT)
    assert {(n.recipient_kind, n.recipient_ref) for n in heard} == {("resident", me)}
    assert heard[0].template == "case.reclassified"
    assert heard[0].params["item"] == "房屋漏水" and heard[0].params["due"]
    mine = (
        await client.get(
            f"/api/v1/cases/{cid}", headers=await as_(client, tokens, DENGYUE_RESIDENT)
        )
    ).json()
    assert mine["history"][-1]["note"] == last["note"]
    # Verified done now by the community office, not by the grid worker.
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    # Once accepted it may still change; back to the light, the choice dropped.
    case = await act(
        client, tokens, DENGYUE_CLERK, case, "reclassify", item="stair_light", reason="还是灯"
    )
    assert case["fields"] == {"floor": 3} and case["state"] == "accepted"
    assert case["item"]["close_level"] == "grid"
    assert len(await outbox(backend, f"case:{cid}:reclassified")) == 2 * len(heard)
    # With a person: no longer (the office returns it first).
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    assert "reclassify" not in case["allowed_actions"]
    await act(client, tokens, DENGYUE_CLERK, case, "reclassify", 409, **body)
    # A stale version is refused.
    stale = {**case, "version": case["version"] - 1}
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "return", reason="不归我")
    await act(client, tokens, DENGYUE_CLERK, stale, "reclassify", 409, **body)


async def test_reclassify_brings_a_department_case_back_to_the_sub_district(
    client, tokens, backend: Backend
) -> None:
    """A case escalated to a department, given an item no department handles, is held
    by the sub-district again."""
    case = await report(client, tokens, item="manhole", fields={"urgency": "now"})
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    case = await act(client, tokens, DENGYUE_CLERK, case, "escalate", reason="社区协调")
    case = await act(client, tokens, DENGYUE_CLERK, case, "escalate", reason="街道协调")
    case = await act(client, tokens, SUBDISTRICT_ADMIN, case, "escalate", reason="交部门")
    assert case["level"] == "department"
    case = await act(
        client, tokens, DENGYUE_CLERK, case, "reclassify", item="garbage", reason="是垃圾问题"
    )
    assert case["level"] == "sub_district" and case["fields"] == {}
    assert case["item"]["code"] == "garbage"


async def test_lists(client, tokens, backend: Backend) -> None:
    mine = await report(client, tokens)
    other = await report(client, tokens, item="roof_leak", fields={"where": "kitchen"})
    other = await act(client, tokens, DENGYUE_CLERK, other, "accept")
    async with backend.sessionmaker()() as session, session.begin():
        row = await session.get(Case, other["id"])
        assert row is not None
        row.due_at = datetime(2020, 1, 1, tzinfo=UTC)
    resident = await as_(client, tokens, DENGYUE_RESIDENT)
    r = await client.get("/api/v1/me/cases", params={"limit": 200}, headers=resident)
    assert r.status_code == 200, r.text
    page = r.json()
    assert {mine["id"], other["id"]} <= {c["id"] for c in page["items"]}
    assert page["items"][0]["id"] > page["items"][-1]["id"] or len(page["items"]) == 1
    assert all(c["reporter"] == "孙桂兰" for c in page["items"] if c["id"] == mine["id"])
    # The grid worker's inbox: open cases of the grid, the nearest deadline first.
    r = await client.get(
        "/api/v1/me/case-inbox",
        params={"limit": 200},
        headers=await as_(client, tokens, DENGYUE_GRID_WORKER),
    )
    inbox = r.json()["items"]
    ids = [c["id"] for c in inbox]
    assert other["id"] in ids and mine["id"] in ids
    assert ids.index(other["id"]) < ids.index(mine["id"])  # overdue first
    assert all(c["state"] not in ("closed", "rejected", "merged") for c in inbox)
    dues = [c["due_at"] for c in inbox if c["due_at"]]
    assert dues == sorted(dues, key=datetime.fromisoformat)
    # The office's list: filters; names masked in lists.
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    url = f"/api/v1/communities/{DENGYUE}/cases"
    r = await client.get(url, params={"state": "received", "limit": 200}, headers=clerk)
    got = r.json()
    assert r.status_code == 200 and got["total"] >= 1
    assert all(c["state"] == "received" for c in got["items"])
    row = next(c for c in got["items"] if c["id"] == mine["id"])
    assert row["reporter"] == "孙**" and row["reporter_phone"] == "138****0007"
    assert row["history"] is None
    r = await client.get(url, params={"overdue": "true", "limit": 200}, headers=clerk)
    overdue = [c["id"] for c in r.json()["items"]]
    assert other["id"] in overdue and mine["id"] not in overdue
    assert all(c["overdue"] for c in r.json()["items"])
    r = await client.get(url, params={"item": "roof_leak", "limit": 200}, headers=clerk)
    assert {c["item"]["code"] for c in r.json()["items"]} == {"roof_leak"}
    r = await client.get(url, headers=await as_(client, tokens, YULAN_CLERK))
    assert r.status_code == 404
    r = await client.get(url, headers=await as_(client, tokens, DENGYUE_GRID_WORKER))
    assert r.status_code == 404


# --- 5. notifications and the deadline chore ----------------------------------------------


async def outbox(backend: Backend, prefix: str) -> list[Notification]:
    async with backend.sessionmaker()() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.dedupe_key.startswith(prefix))
            .order_by(Notification.id)
        )
        return list(rows.all())


async def test_who_hears_what(client, tokens, backend: Backend) -> None:
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    clerk = await user_id(backend, DENGYUE_CLERK)
    me = await resident_row(backend, DENGYUE_RESIDENT)
    case = await report(client, tokens)
    cid = case["id"]
    new = await outbox(backend, f"case:{cid}:new")
    assert new and {n.template for n in new} == {"case.new"}
    assert clerk in {n.user_id for n in new}  # the office hears of a new case
    assert new[0].params["number"] == case["number"]
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    accepted = await outbox(backend, f"case:{cid}:accepted")
    assert {(n.recipient_kind, n.recipient_ref) for n in accepted} == {("resident", me)}
    assert accepted[0].params["due"] and accepted[0].params["item"] == "楼道灯损坏"
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    assert {n.user_id for n in await outbox(backend, f"case:{cid}:dispatched")} == {worker}
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "return", reason="不归我管")
    returned = await outbox(backend, f"case:{cid}:returned")
    assert clerk in {n.user_id for n in returned}
    assert returned[0].params["reason"] == "不归我管"
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    case = await act(client, tokens, DENGYUE_ADMIN, case, "supervise", note="尽快")
    assert worker in {n.user_id for n in await outbox(backend, f"case:{cid}:supervised")}
    # A duplicate from a hotline caller is merged in: the caller hears now, and at the end.
    hotline = await report(
        client,
        tokens,
        DENGYUE_CLERK,
        channel="hotline",
        contact_phone="13987650001",
        grid_code=(await grids_of(backend))[0],
    )
    await act(client, tokens, DENGYUE_CLERK, hotline, "merge", into_case_id=cid)
    merged = await outbox(backend, f"case:{hotline['id']}:merged")
    assert len(merged) == 1 and merged[0].channel == "sms" and merged[0].address_sealed
    assert merged[0].params == {"number": hotline["number"], "into": case["number"]}
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "start")
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "resolve", note="换了灯泡")
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "close")
    finished = await outbox(backend, f"case:{cid}:finished")
    assert ("resident", me) in {(n.recipient_kind, n.recipient_ref) for n in finished}
    assert any(n.address_sealed for n in finished)  # the merged caller, by SMS
    assert finished[0].params["resolution"] == "换了灯泡"
    case = await act(client, tokens, DENGYUE_RESIDENT, case, "callback", satisfaction=1)
    assert await outbox(backend, f"case:{cid}:rated")
    # A refused case: the reporter hears why.
    other = await report(client, tokens)
    await act(client, tokens, DENGYUE_CLERK, other, "reject", reason="重复反映")
    rejected = await outbox(backend, f"case:{other['id']}:rejected")
    assert rejected and rejected[0].params["reason"] == "重复反映"


async def resident_row(backend: Backend, phone: str) -> int:
    async with backend.sessionmaker()() as session:
        rid = await session.scalar(select(Resident.id).where(Resident.phone == phone))
    assert rid is not None
    return int(rid)


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


async def test_the_deadline_chore_reminds_then_escalates(client, tokens, backend: Backend) -> None:
    """With a controlled clock: a dispatched case due at 10:00 on Wednesday 4 March 2026."""
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    case = await report(client, tokens)
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    cid = case["id"]
    due = beijing("2026-03-04 10:00")
    async with backend.sessionmaker()() as session, session.begin():
        row = await session.get(Case, cid)
        assert row is not None
        row.due_at = due
    chore = CHORES["case_deadlines"]

    async def run(at: str) -> Case:
        async with backend.sessionmaker()() as session, session.begin():
            await chore(session, beijing(at))
        async with backend.sessionmaker()() as session:
            row = await session.get(Case, cid)
            assert row is not None
            return row

    # Three working hours before (Tuesday 17:00 → Wednesday 10:00 is 1.5 h): reminded once.
    row = await run("2026-03-03 15:30")  # 3.5 working hours left: nothing yet
    assert row.reminded_at is None
    row = await run("2026-03-03 17:00")
    assert row.reminded_at is not None
    reminders = await outbox(backend, f"case:{cid}:due_soon")
    assert {n.user_id for n in reminders} == {worker}
    await run("2026-03-04 08:45")
    assert len(await outbox(backend, f"case:{cid}:due_soon")) == len(reminders)
    # Past the deadline: the office hears, and the case goes up one level with fresh time.
    row = await run("2026-03-04 10:30")
    assert row.level == "community" and row.state == "accepted" and row.escalations == 1
    assert row.assignee_user_id is None and row.reminded_at is None
    assert row.due_at is not None and row.due_at > due
    assert row.deadline_missed  # late for the boards, whatever its fresh deadline
    assert await outbox(backend, f"case:{cid}:overdue")
    assert await outbox(backend, f"case:{cid}:escalated")
    detail = (
        await client.get(f"/api/v1/cases/{cid}", headers=await as_(client, tokens, DENGYUE_CLERK))
    ).json()
    assert detail["history"][-1]["action"] == "escalate" and detail["history"][-1]["actor"] is None
    # Run again at the same instant: nothing more (its new deadline is a day away).
    again = await run("2026-03-04 10:30")
    assert again.level == "community" and again.version == row.version


async def test_case_photos_are_seen_by_who_sees_the_case(client, tokens, backend: Backend) -> None:
    resident = await as_(client, tokens, DENGYUE_RESIDENT)
    r = await client.post(
        "/api/v1/media",
        content=png(b"\x10\x20\x30"),
        headers={**resident, "Content-Type": "image/png"},
    )
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    await report(
        client,
        tokens,
        DENGYUE_GRID_WORKER,
        400,
        photos=[key],
        grid_code=(await grids_of(backend))[0],
    )
    case = await report(client, tokens, photos=[key])
    assert case["photos"] == [key]
    worker = await as_(client, tokens, DENGYUE_GRID_WORKER)
    assert (await client.get(f"/api/v1/media/{key}", headers=worker)).status_code == 200
    yulan = await as_(client, tokens, YULAN_CLERK)
    assert (await client.get(f"/api/v1/media/{key}", headers=yulan)).status_code == 404


async def test_staff_reading_a_reporters_name_in_full_is_on_record(
    client, tokens, backend: Backend
) -> None:
    from server.audit.models import AuditEntry

    case = await report(client, tokens, description="楼道灯坏了，审计")
    path = f"/api/v1/cases/{case['id']}"

    async def read_by(phone: str) -> int:
        r = await client.get(path, headers=await as_(client, tokens, phone))
        assert r.status_code == 200, r.text
        async with backend.sessionmaker()() as session:
            return len(
                (
                    await session.scalars(
                        select(AuditEntry).where(
                            AuditEntry.action == "case.view",
                            AuditEntry.object_id == str(case["id"]),
                            AuditEntry.actor_id == await user_id(backend, phone),
                        )
                    )
                ).all()
            )

    assert await read_by(DENGYUE_RESIDENT) == 0  # the reporter reading her own case
    assert await read_by(DENGYUE_GRID_WORKER) == 1
    assert await read_by(DENGYUE_GRID_WORKER) == 2  # every opening
    r = await client.get(path, headers=await as_(client, tokens, YULAN_CLERK))
    assert r.status_code == 404


async def test_a_list_pages_with_the_right_total_whether_or_not_it_counts(
    client, tokens, backend: Backend
) -> None:
    """A page shorter than the limit is the last, so its total is known without counting
    (a grid worker's inbox, mostly); a full page, an empty one after the end and one past
    it count. Each total equals the cases in the database."""
    from sqlalchemy import func

    await report(client, tokens)
    await report(client, tokens)
    async with backend.sessionmaker()() as session:
        community = await session.scalar(select(Community.id).where(Community.code == DENGYUE))
        received = int(
            await session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.community_id == community, Case.state == "received")
            )
            or 0
        )
    assert received >= 2
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    url = f"/api/v1/communities/{DENGYUE}/cases"
    seen: list[int] = []
    for limit, offset in ((1, 0), (1, 1), (received, 0), (received + 5, 0), (1, received - 1)):
        params = {"state": "received", "limit": limit, "offset": offset}
        r = await client.get(url, params=params, headers=clerk)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == received, (limit, offset, page["total"])
        assert len(page["items"]) == min(limit, received - offset)
        seen += [c["id"] for c in page["items"]] if limit == 1 else []
    assert len(set(seen)) == len({0, 1, received - 1})  # no two offsets gave one case
    for offset in (received, received + 10):
        r = await client.get(
            url, params={"state": "received", "limit": 5, "offset": offset}, headers=clerk
        )
        assert r.status_code == 200 and r.json() == {
            "items": [],
            "total": received,
            "limit": 5,
            "offset": offset,
        }
