from __future__ import annotations

from alembic.script import ScriptDirectory

from server.db.migrate import alembic_config
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_GRID_WORKER,
    DENGYUE_PARTY_MEMBER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    Backend,
)


async def test_health_reports_app_and_database(client, backend: Backend) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["engine"] == (
        "sqlite" if backend.name == "spatialite" else "postgresql"
    )
    assert body["database"]["spatial"]  # SpatiaLite / PostGIS version
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert body["database"]["migration"] == head


async def test_openapi_document_is_served_with_local_ui(client) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert "/api/v1/locate" in doc["paths"]
    # Public routes say so; the OpenAPI document must not claim they need a token.
    assert doc["paths"]["/api/v1/locate"]["get"]["security"] == [{}]
    assert doc["paths"]["/api/v1/auth/login"]["post"]["security"] == [{}]
    ui = await client.get("/schema/swagger")
    if ui.status_code == 200:  # the UI needs the PWA build (its assets live there)
        assert "cdn." not in ui.text and "unpkg" not in ui.text
        assert "/vendor/swagger-ui/swagger-ui-bundle.js" in ui.text


async def test_client_config_is_public(client) -> None:
    r = await client.get("/api/v1/config")
    assert r.status_code == 200
    body = r.json()
    assert body["tile_url"] is None  # no external tile server unless configured
    lon, lat = body["default_center"]
    assert 114 < lon < 116 and 35 < lat < 37
    # The PWA reads where each action leads from the rule table, not from a copy of its own.
    wish = body["workflows"]["wish"]
    assert wish["transitions"]["claim"] == {"approved": "claimed"}
    assert wish["transitions"]["withdraw"] == {"submitted": "withdrawn", "approved": "withdrawn"}
    assert wish["actions"]["expire"] == "nobody"
    case = body["workflows"]["case"]
    assert case["transitions"]["escalate"] == {
        "accepted": "accepted",
        "dispatched": "accepted",
        "in_progress": "accepted",
    }
    assert "callback" in case["actions"] and "supervise" in case["actions"]


async def test_me_says_what_each_person_may_do(client, tokens) -> None:
    async def me(phone: str) -> dict:
        r = await client.get("/api/v1/me", headers=await tokens.get(client, phone))
        assert r.status_code == 200
        return dict(r.json())

    assert (await me(DENGYUE_RESIDENT))["can"] == ["case.report", "wish.post"]
    volunteer = await me(DENGYUE_VOLUNTEER)  # (other tests may give her more to do)
    assert {"wish.board", "wish.claim"} <= set(volunteer["can"])
    assert not {"wish.moderate", "people.manage"} & set(volunteer["can"])
    assert (await me(DENGYUE_PARTY_MEMBER))["party_member"] is True
    assert (await me(DENGYUE_GRID_WORKER))["can"] == [
        "case.board",
        "case.take_in",
        "visit.day",
        "visit.hours",
        "wish.board",
        "wish.post_for_resident",
    ]
    assert set((await me(DENGYUE_ADMIN))["can"]) == {
        "businesses.manage",
        "case.board",
        "case.office",
        "case.settings",
        "case.take_in",
        "disclosure.edit",
        "people.manage",
        "wish.board",
        "wish.moderate",
        "wish.post_for_resident",
        "wish.stats",
        "notify.quiet_hours",
        "visit.day",
        "visit.coverage",
        "visit.plan",
        "visit.review",
        "visit.settings",
        "window.serve",
        "window.settings",
    }
