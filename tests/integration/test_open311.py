"""Open311 GeoReport v2: every endpoint in JSON and XML, the JSON checked against the
published schemas (/work/shared/open311, copied from open311/schema-validation), the
specification's errors, and a request posted as a client written to the spec would."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from geoalchemy2.shape import to_shape
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.cases.models import Case
from server.open311.models import Open311Key
from tests.conftest import (
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    SYSTEM_ADMIN,
    Backend,
)
from tests.integration.security.test_security import DENGYUE, first_building
from tests.integration.test_cases import act, as_, outbox, report, user_id

# The published schemas, copied unchanged (their README says from where).
SCHEMAS = Path(__file__).resolve().parents[1] / "support" / "open311"
BASE = "/open311/v2"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _registry() -> Registry:
    resources = [
        (p.name, Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT7))
        for p in SCHEMAS.glob("*.json")
        if p.name != "swagger.json"
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def valid(document: Any, schema: str) -> None:
    """``document`` validates against the published schema ``schema`` (e.g. requests.json)."""
    root = json.loads((SCHEMAS / schema).read_text())
    errors = list(Draft7Validator(root, registry=REGISTRY).iter_errors(document))
    assert not errors, [e.message for e in errors]


def xml(r: Any) -> ET.Element:
    assert r.headers["content-type"].startswith("text/xml"), r.headers["content-type"]
    return ET.fromstring(r.content)  # noqa: S314 (our own server's answer)


async def issue_key(client, tokens, name: str = "测试客户端") -> dict[str, Any]:
    r = await client.post(
        "/api/v1/open311-keys",
        json={"name": name},
        headers=await as_(client, tokens, SYSTEM_ADMIN),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def place(backend: Backend) -> tuple[float, float, str]:
    """A point in the first grid of 登月社区 (its first building's) and that building's address."""
    building = await first_building(backend, DENGYUE)
    point = to_shape(building.location)
    return point.y, point.x, building.address or building.name


def names(zh: str, en: str) -> dict[str, str]:
    return {"zh_Hans": zh, "zh_Hant": zh, "en": en}


async def new_item(client, tokens) -> str:
    """An item of our own with one field of each kind."""
    code = f"o311_{random.randrange(10**8)}"
    body = {
        "code": code,
        "category": "sanitation",
        "names": names("开放测试事项", "Open test item"),
        "close_level": "grid",
        "deadline_hours": 8,
        "mode": "on_the_spot",
        "fields": [
            {"key": "spot", "kind": "text", "label": names("具体位置", "Spot"), "required": True},
            {"key": "count", "kind": "number", "label": names("数量", "How many")},
            {"key": "since", "kind": "date", "label": names("开始时间", "Since")},
            {
                "key": "size",
                "kind": "choice",
                "label": names("大小", "Size"),
                "required": True,
                "choices": [
                    {"value": "small", "label": names("小", "Small")},
                    {"value": "large", "label": names("大", "Large")},
                ],
            },
        ],
    }
    r = await client.post(
        "/api/v1/service-items", json=body, headers=await as_(client, tokens, SYSTEM_ADMIN)
    )
    assert r.status_code == 201, r.text
    return code


async def test_discovery_services_and_definitions(client, tokens) -> None:
    r = await client.get(f"{BASE}/discovery.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    [endpoint] = r.json()["endpoints"]
    assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]
    doc = xml(await client.get(f"{BASE}/discovery.xml"))
    assert doc.tag == "discovery"
    assert doc.findtext("endpoints/endpoint/specification") == endpoint["specification"]
    assert [f.text for f in doc.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]

    code = await new_item(client, tokens)
    r = await client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    services = r.json()
    valid(services, "services.json")
    ours = next(s for s in services if s["service_code"] == code)
    assert ours["metadata"] is True and ours["type"] == "realtime"
    assert ours["service_name"] == "开放测试事项" and ours["group"]
    garbage = next(s for s in services if s["service_code"] == "garbage")
    assert garbage["metadata"] is False
    english = (await client.get(f"{BASE}/services.json", params={"locale": "en"})).json()
    assert next(s for s in english if s["service_code"] == code)["service_name"] == "Open test item"
    doc = xml(await client.get(f"{BASE}/services.xml"))
    assert doc.tag == "services"
    found = [s for s in doc.findall("service") if s.findtext("service_code") == code]
    assert found and found[0].findtext("metadata") == "true"
    assert found[0].findtext("type") == "realtime"

    r = await client.get(f"{BASE}/services/{code}.json", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    definition = r.json()
    valid(definition, "service-definition.json")
    attrs = {a["code"]: a for a in definition["attributes"]}
    assert [a["order"] for a in definition["attributes"]] == [1, 2, 3, 4]
    assert attrs["spot"]["datatype"] == "string" and attrs["spot"]["required"] is True
    assert attrs["count"]["datatype"] == "number" and attrs["count"]["required"] is False
    assert attrs["since"]["datatype"] == "datetime"
    assert attrs["size"]["datatype"] == "singlevaluelist"
    assert attrs["size"]["values"] == [
        {"key": "small", "name": "Small"},
        {"key": "large", "name": "Large"},
    ]
    assert attrs["size"]["description"] == "Size"
    doc = xml(await client.get(f"{BASE}/services/{code}.xml"))
    assert doc.tag == "service_definition" and doc.findtext("service_code") == code
    keys = [v.text for v in doc.findall("attributes/attribute/values/value/key")]
    assert keys == ["small", "large"]

    # An unknown service: 404 in the specification's error format, in both formats.
    r = await client.get(f"{BASE}/services/no_such_thing.json")
    assert r.status_code == 404
    [error] = r.json()
    assert error["code"] == 404 and "no_such_thing" in error["description"]
    r = await client.get(f"{BASE}/services/no_such_thing.xml")
    assert r.status_code == 404
    assert xml(r).tag == "errors" and xml(r).findtext("error/code") == "404"
    assert (await client.get(f"{BASE}/services/{code}.html")).status_code == 404


async def test_a_posted_request_is_a_case_the_office_works_and_the_public_sees(
    client, tokens, backend: Backend
) -> None:
    key = (await issue_key(client, tokens))["api_key"]
    lat, lon, _ = await place(backend)
    text = f"垃圾桶满了 {random.randrange(10**6)}，联系我 13912345678"
    email = f"reporter{random.randrange(10**6)}@example.com"
    r = await client.post(
        f"{BASE}/requests.json",
        data={
            "api_key": key,
            "service_code": "stair_light",
            "lat": str(lat),
            "long": str(lon),
            "attribute[floor]": "2",
            "email": email,
            "phone": "13912345678",
            "first_name": "小明",
            "last_name": "王",
            "description": text,
            "media_url": "https://example.com/photo.jpg",
        },
    )
    assert r.status_code == 200, r.text
    [created] = r.json()
    number = created["service_request_id"]
    assert created["account_id"] is None and number in created["service_notice"]

    async with backend.sessionmaker()() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
    assert case is not None and case.channel == "open311" and case.fields == {"floor": 2}
    assert case.description == text and case.contact_email_sealed and case.contact_phone_sealed
    assert await outbox(backend, f"case:{case.id}:new")  # the office hears of it

    # The public: one request, and in lists; no contact, no name, the phone masked.
    r = await client.get(f"{BASE}/requests/{number}.json")
    assert r.status_code == 200
    requests = r.json()
    valid(requests, "requests.json")
    [seen] = requests
    valid(seen, "request.json")
    assert seen["status"] == "open" and seen["service_code"] == "stair_light"
    assert seen["media_url"] == "https://example.com/photo.jpg"
    assert seen["lat"] == round(lat, 3) and seen["long"] == round(lon, 3)
    assert seen["expected_datetime"] and seen["requested_datetime"] and seen["agency_responsible"]
    assert "13912345678" not in r.text and "139****5678" in seen["description"]
    for secret in ("小明", email, "reporter"):
        assert secret not in r.text
    doc = xml(await client.get(f"{BASE}/requests/{number}.xml"))
    assert doc.tag == "service_requests"
    assert doc.findtext("request/service_request_id") == number
    assert doc.findtext("request/status") == "open"

    r = await client.get(f"{BASE}/requests.json", params={"service_request_id": f"{number},x"})
    valid(r.json(), "requests.json")
    assert [s["service_request_id"] for s in r.json()] == [number]
    listed = (
        await client.get(
            f"{BASE}/requests.json", params={"service_code": "stair_light", "status": "open"}
        )
    ).json()
    valid(listed, "requests.json")
    assert number in {s["service_request_id"] for s in listed}
    closed = (await client.get(f"{BASE}/requests.json", params={"status": "closed"})).json()
    assert number not in {s["service_request_id"] for s in closed}
    old = (
        await client.get(
            f"{BASE}/requests.json",
            params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"},
        )
    ).json()
    assert old == []
    doc = xml(await client.get(f"{BASE}/requests.xml", params={"service_request_id": number}))
    assert [e.text for e in doc.findall("request/service_request_id")] == [number]

    # Token (requests are taken in at once: the token is the id).
    r = await client.get(f"{BASE}/tokens/{number}.json")
    assert r.status_code == 200 and r.json() == [{"service_request_id": number, "token": number}]
    assert xml(await client.get(f"{BASE}/tokens/{number}.xml")).findtext("request/token") == number
    assert (await client.get(f"{BASE}/tokens/2020-999999.json")).status_code == 404
    assert (await client.get(f"{BASE}/requests/2020-999999.json")).status_code == 404

    # The community office sees it as a case, and works it; the reporter hears back.
    clerk = await as_(client, tokens, DENGYUE_CLERK)
    page = (await client.get(f"/api/v1/communities/{DENGYUE}/cases", headers=clerk)).json()
    [view] = [c for c in page["items"] if c["number"] == number]
    assert view["channel"] == "open311"
    view = (await client.get(f"/api/v1/cases/{view['id']}", headers=clerk)).json()
    [first] = view["history"]  # staff see the photo link it came with
    assert (
        first["note"].startswith("open311:o311_")
        and "https://example.com/photo.jpg" in first["note"]
    )
    await act(client, tokens, DENGYUE_CLERK, view, "accept")
    accepted = await outbox(backend, f"case:{case.id}:accepted")
    assert {n.channel for n in accepted} == {"sms", "email"}
    assert all(n.address_sealed for n in accepted)
    [seen] = (await client.get(f"{BASE}/requests/{number}.json")).json()
    assert seen["status"] == "open" and "已受理" in seen["status_notes"]
    # Its steps are public, never the words staff wrote (a name in them).
    view = (await client.get(f"/api/v1/cases/{view['id']}", headers=clerk)).json()
    worker = await user_id(backend, DENGYUE_GRID_WORKER)
    view = await act(client, tokens, DENGYUE_CLERK, view, "dispatch", assignee_id=worker)
    view = await act(client, tokens, DENGYUE_GRID_WORKER, view, "start")
    view = await act(client, tokens, DENGYUE_GRID_WORKER, view, "resolve", note="已为王小明换灯")
    await act(client, tokens, DENGYUE_GRID_WORKER, view, "close")
    r = await client.get(f"{BASE}/requests/{number}.json", params={"locale": "en"})
    [seen] = r.json()
    valid(seen, "request.json")
    assert seen["status"] == "closed" and "王小明" not in r.text
    assert "closed" in seen["status_notes"] and "accepted" in seen["status_notes"]
    closed = (await client.get(f"{BASE}/requests.json", params={"status": "closed"})).json()
    assert number in {s["service_request_id"] for s in closed}


async def test_what_the_public_sees_of_a_residents_case(client, tokens, backend: Backend) -> None:
    """A case of the resident app: no words of hers, the grid's centre, not her building."""
    words = f"孙桂兰家里漏水 {random.randrange(10**6)}"
    case = await report(client, tokens, DENGYUE_RESIDENT, description=words)
    r = await client.get(f"{BASE}/requests/{case['number']}.json")
    [seen] = r.json()
    valid(seen, "request.json")
    assert seen["description"] is None and "孙桂兰" not in r.text
    lat, lon, _ = await place(backend)
    assert (seen["lat"], seen["long"]) != (round(lat, 3), round(lon, 3))
    assert seen["lat"] is not None and seen["address"]


async def test_the_specifications_errors(client, tokens, backend: Backend) -> None:
    issued = await issue_key(client, tokens)
    key = issued["api_key"]
    lat, lon, address = await place(backend)
    good = {"api_key": key, "service_code": "garbage", "lat": str(lat), "long": str(lon)}

    async def post(fmt: str = "json", **change: str | None) -> Any:
        body = {k: v for k, v in {**good, **change}.items() if v is not None}
        return await client.post(f"{BASE}/requests.{fmt}", data=body)

    def error(r: Any, status: int) -> str:
        assert r.status_code == status, r.text
        [e] = r.json()
        assert e["code"] == status and e["description"]
        return str(e["description"])

    error(await post(api_key=None), 403)
    error(await post(api_key="o311_not-a-key"), 403)
    r = await post("xml", api_key="wrong")
    assert r.status_code == 403 and xml(r).findtext("error/code") == "403"
    assert "no_such_service" in error(await post(service_code="no_such_service"), 400)
    error(await post(service_code=None), 400)
    error(await post(lat=None, long=None), 400)
    r = await post("xml", lat=None, long=None)
    assert r.status_code == 400 and xml(r).tag == "errors"
    error(await post(long=None), 400)  # lat alone
    error(await post(lat="north"), 400)
    error(await post(lat="0", long="0"), 400)  # outside the city's grids
    error(await post(lat=None, long=None, address_string="火星路1号"), 400)
    # The item's fields, checked as intake checks them.
    code = await new_item(client, tokens)
    fine = {"attribute[spot]": "东门", "attribute[size]": "small"}
    assert "具体位置" in error(await post(service_code=code), 400)  # required
    error(await post(service_code=code, **{**fine, "attribute[size]": "huge"}), 400)
    error(await post(service_code=code, **{**fine, "attribute[count]": "many"}), 400)
    error(await post(service_code=code, **{**fine, "attribute[since]": "soon"}), 400)
    r = await post(
        service_code=code,
        **{**fine, "attribute[count]": "3", "attribute[since]": "2026-12-01T08:00:00+08:00"},
    )
    assert r.status_code == 200, r.text
    async with backend.sessionmaker()() as session:
        case = await session.scalar(
            select(Case).where(Case.number == r.json()[0]["service_request_id"])
        )
    assert case is not None and case.contact_hash is None  # nobody to hear back
    assert case.fields == {"spot": "东门", "size": "small", "count": 3, "since": "2026-12-01"}
    error(await post(**{"attribute[nope]": "1"}), 400)
    error(await post(email="not-an-address"), 400)
    error(await post(media_url="file:///etc/passwd"), 400)
    error(await post(description="x" * 4001), 400)
    # In the reader's language.
    r = await client.post(
        f"{BASE}/requests.json", data={**good, "lat": "0", "long": "0", "locale": "en"}
    )
    assert "outside" in error(r, 400)
    # ``lon`` for ``long``; an address that is a building's; a JSON body too.
    assert (await post(long=None, lon=str(lon))).status_code == 200
    r = await post(lat=None, long=None, address_string=address)
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{BASE}/requests.json",
        json={**good, "service_code": "stair_light", "attribute": {"floor": 4}},
    )
    assert r.status_code == 200, r.text

    # A revoked key is refused at once.
    admin = await as_(client, tokens, SYSTEM_ADMIN)
    r = await client.post(f"/api/v1/open311-keys/{issued['id']}/revoke", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"]
    error(await post(), 403)
    assert (
        await client.get(f"{BASE}/requests.json", params={"status": "maybe"})
    ).status_code == 400
    r = await client.get(f"{BASE}/requests.xml", params={"start_date": "yesterday"})
    assert r.status_code == 400 and xml(r).findtext("error/code") == "400"


async def test_keys_are_kept_as_hashes_and_audited(client, tokens, backend: Backend) -> None:
    issued = await issue_key(client, tokens, "区政务服务平台")
    assert issued["api_key"].startswith(issued["prefix"]) and len(issued["api_key"]) > 30
    admin = await as_(client, tokens, SYSTEM_ADMIN)
    r = await client.get("/api/v1/open311-keys", headers=admin)
    assert r.status_code == 200 and issued["api_key"] not in r.text
    assert any(k["id"] == issued["id"] and k["prefix"] == issued["prefix"] for k in r.json())
    async with backend.sessionmaker()() as session:
        row = await session.get(Open311Key, issued["id"])
        assert row is not None and issued["api_key"] not in row.key_hash
        audited = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(issued["id"]))
        )
        assert "open311_key.issue" in set(audited.all())
    r = await client.post("/api/v1/open311-keys/999999/revoke", headers=admin)
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/open311-keys", json={"name": ""}, headers=admin
    )  # a name is needed
    assert r.status_code == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_client_written_to_the_spec(client, tokens, backend: Backend, fmt: str) -> None:
    """As a GeoReport v2 client does it: discovery, the service list, a definition, a plain
    url-encoded form POST, then the request read back by its id."""
    key = (await issue_key(client, tokens))["api_key"]
    lat, lon, _ = await place(backend)
    r = await client.get(f"{BASE}/discovery.{fmt}")
    assert r.status_code == 200
    r = await client.get(f"{BASE}/services.{fmt}")
    codes = (
        [s["service_code"] for s in r.json()]
        if fmt == "json"
        else [e.text for e in xml(r).findall("service/service_code")]
    )
    assert "stair_light" in codes
    r = await client.get(f"{BASE}/services/stair_light.{fmt}")
    attribute = (
        r.json()["attributes"][0]["code"]
        if fmt == "json"
        else xml(r).findtext("attributes/attribute/code")
    )
    body = urlencode(
        {
            "api_key": key,
            "service_code": "stair_light",
            "lat": lat,
            "long": lon,
            f"attribute[{attribute}]": "5",
            "phone": "13912340000",
            "description": "楼道灯坏了",
        }
    )
    r = await client.post(f"{BASE}/requests.{fmt}", content=body.encode(), headers=FORM)
    assert r.status_code == 200, r.text
    number = (
        r.json()[0]["service_request_id"]
        if fmt == "json"
        else xml(r).findtext("request/service_request_id")
    )
    assert number
    r = await client.get(f"{BASE}/requests/{number}.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        valid(r.json(), "requests.json")
        assert r.json()[0]["description"] == "楼道灯坏了"
    else:
        assert xml(r).findtext("request/description") == "楼道灯坏了"
