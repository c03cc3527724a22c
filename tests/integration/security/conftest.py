"""The security tests run on databases of their own.

They make people of every rank in 登月社区 (admins living in a grid, volunteers of two
communities, …); on the shared databases those would change what other tests count.
The same two engines, migrated and loaded with the demo city the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Backend, open_client, own_backend


@pytest.fixture(scope="session", params=["spatialite", "postgis"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    async with own_backend(request, tmp_path_factory, "security") as b:
        yield b


@pytest.fixture(scope="session")
async def app(backend: Backend) -> Litestar:
    from server.app import create_app

    return create_app(backend.settings)


@pytest.fixture
async def client(app: Litestar, backend: Backend) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with open_client(app, backend) as c:
        yield c
