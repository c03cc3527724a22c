"""Fixtures shared by the whole suite.

Integration tests run once per database engine: ``backend`` is parametrised
over SpatiaLite (a temporary file) and PostGIS (a throwaway cluster started for
the session on a free port). Both are migrated with the real Alembic
migrations and loaded with the demo city. A backend that cannot start FAILS
the run unless ``LINLI_ALLOW_SKIP=1`` is set: CI must never pass by skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

os.environ.setdefault(
    "LINLI_SECRET_KEY", "test-secret-key-that-is-long-enough-for-hs256-0123456789"
)

from server.config import Settings, load_settings
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.demo import load_demo
from server.domains import register_domains
from tests.support.postgis import PostgisUnavailable, fresh_database, throwaway_postgis

# What create_app() registers at start, for tests that queue or send without an app.
register_domains()

ALLOW_SKIP = os.environ.get("LINLI_ALLOW_SKIP") == "1"
DEMO_PASSWORD = "linli-demo-2026"


def unavailable(what: str) -> None:
    """Skip locally when allowed; otherwise fail loudly (CI)."""
    if ALLOW_SKIP:
        pytest.skip(f"{what} (LINLI_ALLOW_SKIP=1)")
    pytest.fail(
        f"{what}: this part of the suite cannot run, and skipping is not allowed", pytrace=False
    )


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    try:
        with throwaway_postgis() as url:
            yield url
    except PostgisUnavailable as exc:
        unavailable(f"PostGIS unavailable: {exc}")


def make_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    base = load_settings()
    return dataclasses.replace(
        base,
        database_url=database_url,
        var_dir=var_dir,
        rate_limit_per_minute=0,
        dispatcher="off",  # tests drive the dispatcher themselves
        calendar_refresh_seconds=0,  # read once, at start: counted statements stay counted
        demo_password=DEMO_PASSWORD,
        **overrides,
    )


@dataclasses.dataclass
class Backend:
    name: str
    url: str
    settings: Settings
    engine: AsyncEngine

    def sessionmaker(self) -> Any:
        return make_sessionmaker(self.engine)


async def _prepare(name: str, url: str, var_dir: Path) -> Backend:
    settings = make_settings(url, var_dir)
    await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        await load_demo(session, settings)
    return Backend(name, url, settings, engine)


@contextlib.asynccontextmanager
async def open_backend(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    prefix: str = "var",
    postgis_database: Callable[[str], Awaitable[str]] | None = None,
) -> AsyncIterator[Backend]:
    """The engine named by ``request.param``, migrated and loaded with the demo city.

    ``postgis_database`` turns the session cluster's URL into another database's.
    """
    var_dir = tmp_path_factory.mktemp(f"{prefix}-{request.param}")
    if request.param == "spatialite":
        url = f"sqlite+aiosqlite:///{var_dir / 'linli.sqlite3'}"
    else:
        url = request.getfixturevalue("postgis_url")
        if postgis_database is not None:
            url = await postgis_database(url)
    b = await _prepare(request.param, url, var_dir)
    try:
        yield b
    finally:
        await b.engine.dispose()


@contextlib.asynccontextmanager
async def own_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str
) -> AsyncIterator[Backend]:
    """A database of a test module's own (``request.param``: the engine): a SpatiaLite
    file, or database ``linli_<name>`` in the session's PostGIS cluster; migrated and
    loaded with the demo city. For tests whose rows would change what others see."""

    async def fresh(url: str) -> str:
        return await fresh_database(url, f"linli_{name}")

    async with open_backend(request, tmp_path_factory, f"var-{name}", fresh) as b:
        yield b


@contextlib.asynccontextmanager
async def open_client(app: Litestar, backend: Backend) -> AsyncIterator[AsyncTestClient[Litestar]]:
    from server.auth.models import LoginThrottle

    # Failed log-ins of one test must not lock the next one out.
    async with backend.sessionmaker().begin() as session:
        await session.execute(delete(LoginThrottle))
    async with AsyncTestClient(app) as c:
        yield c


@pytest.fixture(scope="session", params=["spatialite", "postgis"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    async with open_backend(request, tmp_path_factory) as b:
        yield b


@pytest.fixture(scope="session")
async def app(backend: Backend) -> Litestar:
    from server.app import create_app

    return create_app(backend.settings)


@pytest.fixture
async def client(app: Litestar, backend: Backend) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with open_client(app, backend) as c:
        yield c


class Tokens:
    """Log in the demo accounts once per app and remember their tokens."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, str], str] = {}

    async def get(self, client: AsyncTestClient[Litestar], phone: str) -> dict[str, str]:
        key = (id(client.app), phone)
        if key not in self.cache:
            r = await client.post(
                "/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.cache[key] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.cache[key]}"}


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


# Demo accounts (server/demo.py).
SYSTEM_ADMIN = "13800000001"
SUBDISTRICT_ADMIN = "13800000002"  # 中原路街道 (the first sub-district)
DENGYUE_ADMIN = "13800000003"  # 登月社区
DENGYUE_CLERK = "13800000004"  # 登月社区 window clerk
DENGYUE_GRID_WORKER = "13800000005"  # 登月社区, first grid
DENGYUE_VOLUNTEER = "13800000006"
DENGYUE_RESIDENT = "13800000007"  # lives in the first grid of 登月社区
YULAN_GRID_WORKER = "13800000008"  # 玉兰花园社区, first grid
YULAN_ADMIN = "13800000009"
DENGYUE_PARTY_MEMBER = "13800000010"  # in-service party member, volunteer in 登月社区
YULAN_RESIDENT = "13800000011"
YULAN_VOLUNTEER = "13800000012"
YULAN_CLERK = "13800000013"


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
