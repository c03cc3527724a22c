"""The visit rule table on the workflow core: who records, moves and cancels a visit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from server.accounts.models import Role
from server.lib.errors import AppError
from server.visits.models import VisitState
from server.visits.rules import VISIT
from server.workflow.rules import WORKFLOWS
from tests.unit.test_workflow_rules import GRID, HERE, OTHER_GRID, THERE, grant, person

PEOPLE = {
    "visitor": person(21, grant(Role.grid_worker, HERE, GRID)),
    "party_member": person(22, grant(Role.volunteer)),
    "grid_worker_elsewhere": person(23, grant(Role.grid_worker, HERE, OTHER_GRID)),
    "colleague_same_grid": person(24, grant(Role.grid_worker, HERE, GRID)),
    "office": person(25, grant(Role.community_staff)),
    "office_elsewhere": person(26, grant(Role.community_admin, THERE)),
    "resident": person(27, grant(Role.resident, None), resident_id=7),
}


def visit(state: VisitState, visitor: int = 21) -> Any:
    return SimpleNamespace(
        state=state, sub_district_id=1, community_id=HERE, grid_id=GRID, person_user_id=visitor
    )


def status_of(who: str, obj: Any, action: str) -> int:
    try:
        VISIT.check(PEOPLE[who], obj, action)
    except AppError as refusal:
        return refusal.status_code
    return 200


@pytest.mark.parametrize("state", list(VisitState))
@pytest.mark.parametrize("who", list(PEOPLE))
def test_check_and_allowed_agree(who: str, state: VisitState) -> None:
    obj = visit(state)
    allowed = set(VISIT.allowed(PEOPLE[who], obj))
    for action in VISIT.rules:
        status = status_of(who, obj, action)
        assert (status == 200) == (action in allowed), (who, state, action, status)
        assert status != 404 or not VISIT.sees(PEOPLE[who], obj)


@pytest.mark.parametrize(
    ("who", "state", "expected"),
    [
        ("visitor", VisitState.planned, {"record"}),
        ("visitor", VisitState.missed, {"record"}),  # synced late, after a shift offline
        ("colleague_same_grid", VisitState.planned, {"record"}),
        ("grid_worker_elsewhere", VisitState.planned, set()),
        ("office", VisitState.planned, {"record", "move", "cancel"}),
        ("office", VisitState.unplanned, {"move", "cancel"}),
        ("office_elsewhere", VisitState.planned, set()),
        ("resident", VisitState.planned, set()),
        ("visitor", VisitState.done, set()),
    ],
)
def test_who_may_do_what(who: str, state: VisitState, expected: set[str]) -> None:
    assert set(VISIT.allowed(PEOPLE[who], visit(state))) == expected


def test_a_paired_party_member_records_only_their_own_visits() -> None:
    mine, theirs = visit(VisitState.planned, visitor=22), visit(VisitState.planned)
    assert VISIT.allowed(PEOPLE["party_member"], mine) == ["record"]
    assert status_of("party_member", theirs, "record") == 404  # learns nothing of it
    assert status_of("grid_worker_elsewhere", theirs, "move") == 404
    assert status_of("visitor", theirs, "move") == 403
    assert status_of("office", visit(VisitState.done), "cancel") == 409
    assert WORKFLOWS["visit"] is VISIT and VISIT.describe()["actions"]["miss"] == "nobody"
