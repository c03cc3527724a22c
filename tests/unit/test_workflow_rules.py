"""The wish rule table: enforcement and ``allowed_actions`` agree by construction.

For people of every relation to a wish (beneficiary, poster, claimer, a volunteer
of its community and of another, the grid worker, the office, the office of
another community) and wishes in every state, :meth:`Workflow.check` lets an
action through exactly when :meth:`Workflow.allowed` lists it, refuses with 404
exactly when the person may not see the wish (and it was never public), and
otherwise with 403 (role) or 409 (state) as the table says.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from server.accounts.models import Role
from server.accounts.scope import Scope, ScopedRow
from server.accounts.services import CurrentUser, Grant
from server.lib.errors import AppError
from server.wishes.models import ClaimantKind
from server.wishes.rules import NOTHING, WISH, Claimable
from server.wishes.states import TRANSITIONS, Action, State
from server.workflow.rules import WORKFLOWS, Actor, Rule, Workflow, nobody, relation

SUB, HERE, THERE, GRID, OTHER_GRID = 1, 10, 20, 100, 200
RESIDENT_ID = 7


def person(uid: int, *grants: Grant, resident_id: int | None = None, claims: bool = False) -> Actor:
    user = CurrentUser(
        id=uid,
        name=f"p{uid}",
        locale="zh_Hans",
        grants=grants,
        home=ScopedRow(SUB, HERE, GRID),
        scope=Scope.from_assignments(uid, grants),
    )
    here = Claimable([ClaimantKind.volunteer], [], []) if claims else NOTHING
    return Actor(user, {"resident_id": resident_id, "claim": {HERE: here, THERE: NOTHING}})


def grant(role: Role, community: int | None = HERE, grid: int | None = None) -> Grant:
    return Grant(role, SUB, community, grid, "x", None)


PEOPLE = {
    "beneficiary": person(1, grant(Role.resident, None), resident_id=RESIDENT_ID),
    "poster": person(2, grant(Role.grid_worker, HERE, OTHER_GRID)),
    "claimer": person(3, grant(Role.volunteer), claims=True),
    "volunteer": person(4, grant(Role.volunteer), claims=True),
    "volunteer_elsewhere": person(5, grant(Role.volunteer, THERE)),
    "grid_worker": person(6, grant(Role.grid_worker, HERE, GRID)),
    "office": person(8, grant(Role.community_admin)),
    "office_elsewhere": person(9, grant(Role.community_admin, THERE)),
}


def wish(state: State, thanks: str | None = "谢谢") -> Any:
    return SimpleNamespace(
        state=state,
        sub_district_id=SUB,
        community_id=HERE,
        grid_id=GRID,
        beneficiary_id=RESIDENT_ID,
        posted_by_user_id=2,
        claimant_user_id=3 if state in (State.claimed, State.fulfilled, State.confirmed) else None,
        thanks=thanks,
    )


def status_of(actor: Actor, obj: Any, action: str) -> int:
    try:
        WISH.check(actor, obj, action)
    except AppError as refusal:
        return refusal.status_code
    return 200


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("who", list(PEOPLE))
def test_check_lets_through_exactly_what_allowed_lists(who: str, state: State) -> None:
    actor, obj = PEOPLE[who], wish(state)
    allowed = set(WISH.allowed(actor, obj))
    for action in WISH.rules:
        status = status_of(actor, obj, action)
        assert (status == 200) == (action in allowed), (who, state, action, status)
        if status == 404:
            assert not WISH.sees(actor, obj)
        if status != 200 and WISH.sees(actor, obj):
            assert status in (403, 409)


@pytest.mark.parametrize(
    ("who", "state", "expected"),
    [
        ("office", State.submitted, {"edit", "approve", "reject", "withdraw"}),
        ("office_elsewhere", State.submitted, set()),
        ("beneficiary", State.submitted, {"withdraw"}),
        ("poster", State.submitted, {"withdraw"}),
        ("volunteer", State.approved, {"claim"}),
        ("volunteer_elsewhere", State.approved, set()),
        ("beneficiary", State.approved, {"withdraw"}),  # never "claim" one's own wish
        ("claimer", State.claimed, {"address", "fulfil", "release"}),
        ("office", State.claimed, {"release"}),  # staff never see the door through this
        ("grid_worker", State.fulfilled, {"confirm"}),
        ("beneficiary", State.fulfilled, {"confirm"}),
        ("claimer", State.fulfilled, set()),
        ("office", State.confirmed, {"edit_thanks"}),
    ],
)
def test_who_may_do_what(who: str, state: State, expected: set[str]) -> None:
    assert set(WISH.allowed(PEOPLE[who], wish(state))) == expected


def test_refusals_say_why() -> None:
    claimed = wish(State.claimed)
    assert status_of(PEOPLE["volunteer_elsewhere"], claimed, "fulfil") == 404  # learns nothing
    assert status_of(PEOPLE["volunteer"], wish(State.submitted), "claim") == 404  # not public yet
    # A wish that was on the board may be named by anyone: taken meanwhile is a 409 ...
    assert status_of(PEOPLE["volunteer"], claimed, "claim") == 409
    # ... and one's own, or another community's, a 403 with the reason.
    helping_herself = person(11, grant(Role.volunteer), resident_id=RESIDENT_ID, claims=True)
    for actor, reason in (
        (helping_herself, "You cannot claim your own wish"),
        (PEOPLE["volunteer_elsewhere"], "Only volunteers of this community can claim its wishes"),
    ):
        with pytest.raises(AppError) as refused:
            WISH.check(actor, wish(State.approved), "claim")
        assert refused.value.status_code == 403 and refused.value.message == reason
    with pytest.raises(AppError) as refused:
        WISH.check(PEOPLE["grid_worker"], claimed, "fulfil")
    assert refused.value.message == "Only the claimant can mark a wish fulfilled"
    assert not WISH.allowed(PEOPLE["office"], wish(State.confirmed, thanks=None))


def test_every_transition_has_a_rule_and_the_table_describes_itself() -> None:
    described = WISH.describe()
    assert {
        (before, action, after)
        for action, moves in described["transitions"].items()
        for before, after in moves.items()
    } == {(str(s), str(a), str(t)) for (s, a), t in TRANSITIONS.items()}
    assert WORKFLOWS["wish"] is WISH
    assert described["actions"][Action.expire] == "nobody"
    assert "the claimer" in described["actions"][Action.fulfil]
    with pytest.raises(AssertionError, match="no rule"):
        Workflow(
            name="broken",
            transitions={(State.submitted, Action.approve): State.approved},
            rules={"edit": Rule(nobody)},
            visible=relation("anyone", lambda a, o: True),
            not_found="No such thing",
        )
