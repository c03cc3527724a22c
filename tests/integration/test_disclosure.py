"""三公开 and 两评 (server/disclosure): the public page holds no personal data, its figures
are the hand-counted ones, the office edits commitments and the level above records its
evaluation, in the three languages.

Cases, wishes and visits made here are moved into years of their own (2031, 2032), so the
figures of those years are exactly the rows made in the test, whatever else the database
holds.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update

from server.audit.models import AuditEntry
from server.cases.models import Case
from server.people.models import Resident
from server.visits.models import Visit, VisitState, VisitWindow
from server.wishes.models import Wish
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    SUBDISTRICT_ADMIN,
    YULAN_ADMIN,
    Backend,
)
from tests.integration.security.test_security import DENGYUE, YULAN
from tests.integration.test_cases import act, as_, fresh_resident, report, user_id

PUBLIC = "/api/v1/public/communities/{code}/disclosure"
LANGS = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en"}


async def public(client, year: int, lang: str = "zh-CN", code: str = DENGYUE) -> Any:
    r = await client.get(
        PUBLIC.format(code=code), params={"year": year}, headers={"Accept-Language": lang}
    )
    assert r.status_code == 200, r.text
    return r


async def close(client, tokens, backend: Backend, case: dict[str, Any]) -> dict[str, Any]:
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    case = await act(client, tokens, DENGYUE_CLERK, case, "accept")
    case = await act(client, tokens, DENGYUE_CLERK, case, "dispatch", assignee_id=worker)
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "start")
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "resolve", note="已修好")
    return await act(client, tokens, DENGYUE_GRID_WORKER, case, "close")


async def move_cases(backend: Backend, ids: list[int], when: datetime) -> None:
    """Date the cases into another year (taken in, and done when they are)."""
    async with backend.sessionmaker()() as session, session.begin():
        await session.execute(update(Case).where(Case.id.in_(ids)).values(created_at=when))
        await session.execute(
            update(Case)
            .where(Case.id.in_(ids), Case.closed_at.is_not(None))
            .values(closed_at=when.replace(day=20), resolved_at=when.replace(day=19))
        )


async def test_public_page_holds_no_personal_data(client, tokens, backend: Backend) -> None:
    name, phone, address = "王秀英", "13912345678", "幸福路8号3单元502室"
    words = f"我是{name}，电话{phone}，住{address}，楼道灯坏了三天"
    open_case = await report(client, tokens, description=words)
    done_case = await report(client, tokens, description=words + "，又坏了")
    done_case = await close(client, tokens, backend, done_case)
    # Taken in at the window for a registered resident: her name and phone are on the case.
    resident = await fresh_resident(client, tokens, backend)
    window = await report(
        client,
        tokens,
        DENGYUE_CLERK,
        channel="window",
        resident_id=resident["id"],
        consent_note="本人到窗口口头同意",
        description=f"{resident['name']}反映：{words}",
    )
    await move_cases(
        backend,
        [open_case["id"], done_case["id"], window["id"]],
        datetime(2031, 3, 10, 2, 0, tzinfo=UTC),
    )
    secrets = [
        name,
        phone,
        phone[-4:],
        "幸福路",
        "3单元",
        "502",
        "孙桂兰",  # the reporter
        "13800000007",
        resident["name"],
        resident["phone"],
        "本人到窗口",
        "楼道灯坏了三天",
        "已修好",  # the worker's note
        open_case["number"],
        done_case["number"],
    ]
    for lang in LANGS.values():
        r = await public(client, 2031, lang)  # no token at all
        leaked = [s for s in secrets if s in r.text]
        assert not leaked, (lang, leaked)
        body = r.json()
        assert body["figures"]["cases_received"] == 3
        assert len(body["in_progress"]) == 2 and len(body["recently_done"]) == 1
        # Only the chosen fields: no description, reporter, place or number.
        assert set(body["in_progress"][0]) == {
            "item",
            "grid",
            "state",
            "state_label",
            "received_on",
            "done_on",
        }
        assert "description" not in r.text and "lon" not in json.dumps(body)
    # Cacheable by anyone, per language.
    assert "public" in r.headers["cache-control"] and "max-age=300" in r.headers["cache-control"]
    assert "accept-language" in r.headers["vary"].lower()


async def test_figures_are_the_hand_counted_ones(client, tokens, backend: Backend) -> None:
    when = datetime(2032, 5, 6, 3, 0, tzinfo=UTC)
    # Cases: two still open, one closed, one rejected; a dibao application (a personal
    # matter) counted but never listed.
    a = await report(client, tokens)
    b = await report(client, tokens, item="roof_leak", fields={"where": "roof", "floor": 6})
    c = await close(client, tokens, backend, await report(client, tokens))
    d = await act(
        client, tokens, DENGYUE_CLERK, await report(client, tokens), "reject", reason="重复"
    )
    resident = await fresh_resident(client, tokens, backend)
    dibao = await report(
        client,
        tokens,
        DENGYUE_CLERK,
        channel="window",
        resident_id=resident["id"],
        consent_note="本人同意",
        item="dibao",
        fields={"household_size": 3, "monthly_income": 800},
    )
    ids = [a["id"], b["id"], c["id"], d["id"], dibao["id"]]
    await move_cases(backend, ids, when)
    # A case of the last second of 2031 in Beijing (16:00 UTC on 31 Dec) is not 2032's.
    e = await report(client, tokens)
    await move_cases(backend, [e["id"]], datetime(2031, 12, 31, 15, 59, 59, tzinfo=UTC))
    # Wishes: one fulfilled and one confirmed in 2032, one fulfilled in 2031.
    fulfilled = [await fulfilled_wish(client, tokens) for _ in range(3)]
    r = await client.post(
        f"/api/v1/wishes/{fulfilled[1]}/confirm",
        json={"thanks": "谢谢"},
        headers=await as_(client, tokens, DENGYUE_RESIDENT),
    )
    assert r.status_code == 200, r.text
    # Visits: two made in 2032, one planned, one made in 2031.
    async with backend.sessionmaker()() as session, session.begin():
        for wid, at in zip(fulfilled, [when, when, datetime(2031, 6, 1, tzinfo=UTC)], strict=True):
            await session.execute(update(Wish).where(Wish.id == wid).values(fulfilled_at=at))
        home = await session.get(Resident, resident["id"])
        assert home is not None
        for n, (state, at) in enumerate(
            [
                (VisitState.done, when),
                (VisitState.done, when.replace(month=11)),
                (VisitState.planned, None),
                (VisitState.done, datetime(2031, 12, 1, tzinfo=UTC)),
            ]
        ):
            session.add(
                Visit(
                    resident_id=home.id,
                    source=f"disclosure-{n}",
                    due_by=date(2032, 1, 1),
                    state=state,
                    visited_at=at,
                    window=VisitWindow.noon,
                    **Visit.placed_in(home),
                )
            )
    body = (await public(client, 2032)).json()
    figures = body["figures"]
    assert figures["cases_received"] == 5  # the rejected one was received too
    assert figures["cases_open"] == 3  # two repairs and the dibao application
    assert figures["cases_done"] == 1
    assert figures["wishes_fulfilled"] == 2
    assert figures["visits_made"] == 2
    by = {x["category"]: x for x in figures["by_category"]}
    assert by == {
        "民政服务": {"category": "民政服务", "received": 1, "open": 1, "done": 0},
        "房屋维修": {"category": "房屋维修", "received": 4, "open": 2, "done": 1},
    }, by
    # The dibao application is counted, never listed: only the two repairs are.
    assert sorted(x["item"] for x in body["in_progress"]) == ["房屋漏水", "楼道灯损坏"]
    assert all(
        x["received_on"] == "2032-05-06" and x["done_on"] is None for x in body["in_progress"]
    )
    done = body["recently_done"]
    assert len(done) == 1 and done[0]["state"] == "closed" and done[0]["state_label"] == "已办结"
    assert done[0]["received_on"] == "2032-05-06" and done[0]["done_on"] == "2032-05-20"
    assert 2032 in body["years"]
    # In English the categories and states are translated.
    en = (await public(client, 2032, "en")).json()
    assert {x["category"] for x in en["figures"]["by_category"]} == {
        "Civil affairs",
        "Housing repair",
    }
    assert en["recently_done"][0]["state_label"] == "closed"
    # 2031: the case of its last second (in Beijing), one wish, one visit.
    before = (await public(client, 2031)).json()["figures"]
    assert before["wishes_fulfilled"] >= 1 and before["visits_made"] >= 1


async def fulfilled_wish(client, tokens) -> int:
    """A wish of 孙桂兰, approved, claimed and fulfilled by the volunteer."""
    r = await client.post(
        "/api/v1/wishes",
        json={"title": "三公开测试心愿", "category": "repair", "description": "修水龙头"},
        headers=await as_(client, tokens, DENGYUE_RESIDENT),
    )
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    for phone, action, body in [
        (DENGYUE_ADMIN, "approve", None),
        (DENGYUE_VOLUNTEER, "claim", {}),
        (DENGYUE_VOLUNTEER, "fulfil", {"note": "修好了"}),
    ]:
        r = await client.post(
            f"/api/v1/wishes/{wid}/{action}", json=body, headers=await as_(client, tokens, phone)
        )
        assert r.status_code == 200, (action, r.text)
    return int(wid)


async def _community_id(session: Any, code: str = DENGYUE) -> int:
    from server.grids.models import Community

    cid = await session.scalar(select(Community.id).where(Community.code == code))
    assert cid is not None
    return int(cid)


async def test_the_office_edits_commitments_the_public_reads_them(
    client, tokens, backend: Backend
) -> None:
    year = 2033
    admin = await as_(client, tokens, DENGYUE_ADMIN)
    r = await client.post(
        f"/api/v1/communities/{DENGYUE}/commitments",
        json={
            "year": year,
            "title": "加装电梯",
            "title_i18n": {"zh_Hant": "加裝電梯", "en": "Lifts for old blocks"},
            "target": "完成 3 部",
            "target_i18n": {"en": "3 lifts"},  # no zh_Hant: shown in zh_Hans
            "due_date": "2033-10-31",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["status"] == "not_started" and made["community"] == DENGYUE
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    r = await client.patch(
        f"/api/v1/commitments/{made['id']}",
        json={
            "status": "in_progress",
            "progress_note": "1 部正在施工",
            "progress_note_i18n": {"zh_Hant": "1 部正在施工", "en": "1 under construction"},
        },
        headers=clerk,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_progress"
    expected = {
        "zh-CN": ("加装电梯", "完成 3 部", "推进中", "1 部正在施工"),
        "zh-TW": ("加裝電梯", "完成 3 部", "推進中", "1 部正在施工"),
        "en": ("Lifts for old blocks", "3 lifts", "under way", "1 under construction"),
    }
    for lang, (title, target, status, note) in expected.items():
        body = (await public(client, year, lang)).json()
        [c] = body["commitments"]
        assert (c["title"], c["target"], c["status_label"], c["progress_note"]) == (
            title,
            target,
            status,
            note,
        ), lang
        assert c["due_date"] == "2033-10-31"
    # Another community's office neither sees nor changes it.
    yulan = await as_(client, tokens, YULAN_ADMIN)
    r = await client.patch(f"/api/v1/commitments/{made['id']}", json={"title": "x"}, headers=yulan)
    assert r.status_code == 404
    r = await client.get(f"/api/v1/communities/{DENGYUE}/disclosure", headers=yulan)
    assert r.status_code == 404
    # The editor's view: every language, and who may record what.
    r = await client.get(
        f"/api/v1/communities/{DENGYUE}/disclosure", params={"year": year}, headers=clerk
    )
    assert r.status_code == 200, r.text
    editor = r.json()
    assert editor["commitments"][0]["title_i18n"] == {
        "zh_Hant": "加裝電梯",
        "en": "Lifts for old blocks",
    }
    assert editor["may_edit"] and not editor["may_record_superior"]
    # Removing it takes it off the public page; every change is in the audit log.
    r = await client.delete(f"/api/v1/commitments/{made['id']}", headers=admin)
    assert r.status_code == 204, r.text
    assert (await public(client, year)).json()["commitments"] == []
    async with backend.sessionmaker()() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "commitment")
                .where(AuditEntry.object_id == str(made["id"]))
                .order_by(AuditEntry.id)
            )
        ).all()
    assert actions == ["commitment.create", "commitment.update", "commitment.delete"]


async def test_the_two_evaluations(client, tokens, backend: Backend) -> None:
    year = 2034
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    upper = await as_(client, tokens, SUBDISTRICT_ADMIN)
    url = f"/api/v1/communities/{DENGYUE}/evaluations"
    residents = {
        "year": year,
        "period": "h1",
        "kind": "residents",
        "grade": "fair",
        "score": 75,
        "respondents": 200,
        "note": "停车难",
        "note_i18n": {"en": "Parking is hard"},
    }
    r = await client.put(url, json=residents, headers=clerk)
    assert r.status_code == 200, r.text
    first = r.json()
    # Recorded again: replaced, not added.
    r = await client.put(
        url, json={**residents, "grade": "fairly_good", "score": 80}, headers=clerk
    )
    assert r.status_code == 200 and r.json()["id"] == first["id"]
    # The office does not grade itself from above; the sub-district does.
    superior = {"year": year, "period": "h1", "kind": "superior", "grade": "good"}
    r = await client.put(url, json=superior, headers=clerk)
    assert r.status_code == 403, r.text
    r = await client.put(url, json=superior, headers=upper)
    assert r.status_code == 200, r.text
    # Another community's administrator: as if 登月社区 were not there.
    r = await client.put(url, json=residents, headers=await as_(client, tokens, YULAN_ADMIN))
    assert r.status_code == 404
    labels = {
        "zh-CN": [("上半年", "群众评议", "较好"), ("上半年", "上级评议", "好")],
        "zh-TW": [("上半年", "群眾評議", "較好"), ("上半年", "上級評議", "好")],
        "en": [
            ("first half-year", "residents' evaluation", "fairly good"),
            ("first half-year", "evaluation by the level above", "good"),
        ],
    }
    for lang, want in labels.items():
        body = (await public(client, year, lang)).json()
        got = [(e["period_label"], e["kind_label"], e["grade_label"]) for e in body["evaluations"]]
        assert got == want, lang
    en = (await public(client, year, "en")).json()["evaluations"][0]
    assert (en["score"], en["respondents"], en["note"]) == (80, 200, "Parking is hard")
    r = await client.get(
        f"/api/v1/communities/{DENGYUE}/disclosure", params={"year": year}, headers=upper
    )
    assert r.json()["may_record_superior"]


async def test_bad_input_is_a_clear_refusal(client, tokens) -> None:
    r = await client.get(PUBLIC.format(code=DENGYUE), params={"year": 1999})
    assert r.status_code == 400
    r = await client.get(PUBLIC.format(code="999999999999"))
    assert r.status_code == 404 and r.json()["detail"]
    r = await client.get(PUBLIC.format(code=YULAN))  # a community with nothing yet: empty
    assert r.status_code == 200 and r.json()["commitments"] == []
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    url = f"/api/v1/communities/{DENGYUE}/commitments"
    for body in [
        {"year": 2026, "title": "", "target": "x"},
        {"year": 2026, "title": "x", "target": "y", "owner": "me"},
        {"year": 2026, "title": "x" * 121, "target": "y"},
        {"year": 2026, "title": "x", "target": "y", "due_date": "2026-13-01"},
    ]:
        r = await client.post(url, json=body, headers=clerk)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["detail"] == "请求数据有误"
    r = await client.post(
        url, json={"year": 2026, "title": "a\u0000b", "target": "y"}, headers=clerk
    )
    assert r.status_code == 400, r.text
    r = await client.post(url, json={"year": 2026, "title": "  ", "target": "y"}, headers=clerk)
    assert r.status_code == 400 and r.json()["detail"] == "请填写承诺事项的标题和目标"
    r = await client.put(
        f"/api/v1/communities/{DENGYUE}/evaluations",
        json={"year": 2026, "period": "h3", "kind": "residents", "grade": "good"},
        headers=clerk,
    )
    assert r.status_code == 400
    r = await client.patch("/api/v1/commitments/2147483647", json={}, headers=clerk)
    assert r.status_code == 404


async def test_the_demo_city_discloses(client) -> None:
    body = (await public(client, 2026)).json()
    assert len(body["commitments"]) >= 5
    kinds = {(e["period"], e["kind"]) for e in body["evaluations"]}
    assert {("h1", "residents"), ("h1", "superior")} <= kinds


async def test_the_picker_lists_communities_by_name(client) -> None:
    r = await client.get("/api/v1/public/communities", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200
    names = {c["code"]: c["name"] for c in r.json()}
    assert names[DENGYUE] == "登月社区" and YULAN in names
    assert set(r.json()[0]) == {"code", "name", "sub_district"}
