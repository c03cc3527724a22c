"""Case photos: the photo sent with a case and its after-photo are seen by whoever may
see the case (the office, the worker, the reporter), and by nobody else."""

from __future__ import annotations

from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    YULAN_CLERK,
    Backend,
)
from tests.integration.test_cases import act, as_, report, user_id
from tests.support.images import png


async def upload(client, headers: dict[str, str]) -> str:
    r = await client.post("/api/v1/media", content=png(), headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def test_case_photos_are_seen_by_those_who_see_the_case(
    client, tokens, backend: Backend
) -> None:
    resident = await as_(client, tokens, DENGYUE_RESIDENT)
    office = await as_(client, tokens, DENGYUE_ADMIN)
    worker = await as_(client, tokens, DENGYUE_GRID_WORKER)
    stranger = await as_(client, tokens, YULAN_CLERK)
    sent = await upload(client, resident)
    case = await report(client, tokens, photos=[sent])
    case = await act(client, tokens, DENGYUE_ADMIN, case, "accept")
    case = await act(
        client,
        tokens,
        DENGYUE_ADMIN,
        case,
        "dispatch",
        assignee_id=await user_id(backend, DENGYUE_GRID_WORKER),
    )
    case = await act(client, tokens, DENGYUE_GRID_WORKER, case, "start")
    after = await upload(client, worker)
    case = await act(
        client, tokens, DENGYUE_GRID_WORKER, case, "resolve", note="修好了", photo=after
    )
    for key in (sent, after):
        for headers in (resident, office, worker):
            r = await client.get(f"/api/v1/media/{key}", headers=headers)
            assert r.status_code == 200, (key, r.text)
        r = await client.get(f"/api/v1/media/{key}", headers=stranger)
        assert r.status_code == 404, r.text
