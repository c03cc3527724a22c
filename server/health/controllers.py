"""``GET /health`` for load balancers and operators; ``GET /api/v1/config`` for the PWA."""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text

from server import __version__
from server.auth.security import PUBLIC
from server.lib.deps import NO_AUTH
from server.lib.errors import error_responses
from server.workflow.rules import WORKFLOWS

__all__ = ["ClientConfig", "Health", "HealthController"]


class DatabaseHealth(msgspec.Struct, frozen=True):
    ok: bool
    engine: str
    spatial: str | None = None
    latency_ms: float | None = None
    migration: str | None = None
    error: str | None = None


class Health(msgspec.Struct, frozen=True):
    status: str
    version: str
    database: DatabaseHealth


class ClientConfig(msgspec.Struct, frozen=True):
    tile_url: str | None
    tile_attribution: str | None
    # [longitude, latitude]
    default_center: Annotated[list[float], msgspec.Meta(min_length=2, max_length=2)]
    default_zoom: int
    # Each domain's rule table: {"wish": {"transitions": {action: {from: to}},
    # "actions": {action: who may take it}}}. The PWA reads the states an action
    # leads to from here, and what a person may do from each object's allowed_actions.
    workflows: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)


class HealthController(Controller):
    tags = ["health"]

    @get(
        "/health",
        opt=PUBLIC,
        security=NO_AUTH,
        cache=False,
        summary="App and database state",
        responses=error_responses(503),
    )
    async def health(self, state: State) -> Response[Health]:
        engine = state.engine
        name = engine.dialect.name
        started = time.perf_counter()
        try:
            async with engine.connect() as conn:
                spatial_sql = (
                    "SELECT spatialite_version()"
                    if name == "sqlite"
                    else "SELECT PostGIS_Lib_Version()"
                )
                spatial = await conn.scalar(text(spatial_sql))
                try:
                    migration = await conn.scalar(text("SELECT version_num FROM alembic_version"))
                except Exception:
                    migration = None
            db = DatabaseHealth(
                ok=True,
                engine=name,
                spatial=str(spatial),
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                migration=migration,
            )
        except Exception as exc:
            db = DatabaseHealth(ok=False, engine=name, error=type(exc).__name__)
        ok = db.ok and db.migration is not None
        return Response(
            Health(status="ok" if ok else "degraded", version=__version__, database=db),
            status_code=200 if ok else 503,
        )

    @get("/api/v1/config", opt=PUBLIC, security=NO_AUTH, summary="Client configuration for the PWA")
    async def config(self, state: State) -> ClientConfig:
        s = state.settings
        return ClientConfig(
            tile_url=s.tile_url,
            tile_attribution=s.tile_attribution,
            default_center=list(s.default_center),
            default_zoom=s.default_zoom,
            workflows={name: w.describe() for name, w in sorted(WORKFLOWS.items())},
        )
