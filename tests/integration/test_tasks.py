"""What waits for me (GET /api/v1/me/tasks): counted in my scope only."""

from __future__ import annotations

from typing import Any

from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    YULAN_ADMIN,
    YULAN_GRID_WORKER,
)
from tests.integration.test_wishes import act, post_wish


async def tasks(client, tokens, phone: str) -> dict[str, Any]:
    r = await client.get("/api/v1/me/tasks", headers=await tokens.get(client, phone))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_counts_follow_a_wish_in_my_scope_and_no_other(client, tokens) -> None:
    people = (DENGYUE_ADMIN, DENGYUE_GRID_WORKER, YULAN_ADMIN, YULAN_GRID_WORKER)
    before = {phone: await tasks(client, tokens, phone) for phone in people}
    wid = (await post_wish(client, tokens))["id"]  # a resident of 登月社区's first grid

    after = {phone: await tasks(client, tokens, phone) for phone in people}
    assert after[DENGYUE_ADMIN]["to_moderate"] == before[DENGYUE_ADMIN]["to_moderate"] + 1
    grid = after[DENGYUE_GRID_WORKER]
    assert grid["open_in_my_grids"] == before[DENGYUE_GRID_WORKER]["open_in_my_grids"] + 1
    assert grid["to_moderate"] == 0  # a grid worker does not moderate
    # Another community's staff learn nothing of it.
    assert after[YULAN_ADMIN] == before[YULAN_ADMIN]
    assert after[YULAN_GRID_WORKER] == before[YULAN_GRID_WORKER]

    # Approved, claimed and fulfilled: no longer to moderate; waiting for a confirmation.
    assert (await act(client, tokens, DENGYUE_ADMIN, wid, "approve")).status_code == 200
    assert (await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")).status_code == 200
    done = await act(client, tokens, DENGYUE_VOLUNTEER, wid, "fulfil", {"note": "换好了"})
    assert done.status_code == 200, done.text
    admin = await tasks(client, tokens, DENGYUE_ADMIN)
    assert admin["to_moderate"] == before[DENGYUE_ADMIN]["to_moderate"]
    assert admin["to_confirm"] == before[DENGYUE_ADMIN]["to_confirm"] + 1
    assert await tasks(client, tokens, YULAN_ADMIN) == before[YULAN_ADMIN]


async def test_a_resident_has_nothing_to_do_and_strangers_are_refused(client, tokens) -> None:
    assert await tasks(client, tokens, DENGYUE_RESIDENT) == {
        "to_moderate": 0,
        "open_in_my_grids": 0,
        "to_confirm": 0,
    }
    assert (await client.get("/api/v1/me/tasks")).status_code == 401
