"""The life of a wish, as an explicit table of transitions.

    submitted ──approve──▶ approved ──claim──▶ claimed ──fulfil──▶ fulfilled ──confirm──▶ confirmed
        │                    │  ▲                 │
        ├──reject──▶ rejected│  └────release──────┘
        └──withdraw──┐       ├──withdraw──▶ withdrawn
                     ▼       └──expire────▶ expired
                 withdrawn

Anything not in :data:`TRANSITIONS` is refused with 409.
"""

from __future__ import annotations

import enum

from server.lib.i18n import N_, Msg

__all__ = ["STATE_NAMES", "TRANSITIONS", "Action", "State", "next_state", "state_name"]


class State(enum.StrEnum):
    submitted = "submitted"  # 待审核
    approved = "approved"  # 已发布 (on the board, unclaimed)
    rejected = "rejected"  # 未通过
    claimed = "claimed"  # 已认领
    fulfilled = "fulfilled"  # 已完成 (waiting for the beneficiary)
    confirmed = "confirmed"  # 已确认
    withdrawn = "withdrawn"  # 已撤回
    expired = "expired"  # 已过期


class Action(enum.StrEnum):
    approve = "approve"
    reject = "reject"
    claim = "claim"
    release = "release"
    fulfil = "fulfil"
    confirm = "confirm"
    withdraw = "withdraw"
    expire = "expire"


TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.submitted, Action.approve): State.approved,
    (State.submitted, Action.reject): State.rejected,
    (State.submitted, Action.withdraw): State.withdrawn,
    (State.approved, Action.claim): State.claimed,
    (State.approved, Action.withdraw): State.withdrawn,
    (State.approved, Action.expire): State.expired,
    (State.claimed, Action.release): State.approved,
    (State.claimed, Action.fulfil): State.fulfilled,
    (State.fulfilled, Action.confirm): State.confirmed,
}

OPEN_STATES = frozenset({State.submitted, State.approved, State.claimed, State.fulfilled})


STATE_NAMES = {
    State.submitted: N_("waiting for review"),
    State.approved: N_("on the board"),
    State.rejected: N_("not published"),
    State.claimed: N_("claimed"),
    State.fulfilled: N_("fulfilled"),
    State.confirmed: N_("confirmed"),
    State.withdrawn: N_("withdrawn"),
    State.expired: N_("expired"),
}


def state_name(state: State) -> Msg:
    """The state as a person reads it, translated where it is shown."""
    return Msg(STATE_NAMES[state])


def next_state(state: State, action: Action) -> State | None:
    return TRANSITIONS.get((state, action))
