"""Service cases 民意快线 end to end through the API, on both engines."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    YULAN_CLERK,
    Backend,
)


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
