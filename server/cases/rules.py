"""The life of a case, and who may do what to it: the one table.

::

    received ──accept──▶ accepted ──dispatch──▶ dispatched ──start──▶ in_progress ──resolve──▶ resolved
       │  │                ▲  ▲                     │                  │  ▲                   │  │
       │  └─reject─▶ rejected │                     │                  │  └─────rework────────┘  │
       │                   │  └──return / escalate ─┴──────────────────┘                         close
       └─merge─▶ merged    └──────── transfer (any open state) ──▶ received                       ▼
                                                                      in_progress ◀─reopen── closed

Every change goes through :func:`server.workflow.writer.write_change`; actions that
change no state (``callback`` 回访, ``supervise`` 督办, ``request_extension``,
``approve_extension``, ``reclassify`` 改派事项) write a history row and bump the version
the same way.

Levels: a case is handled at a level (grid → community → sub-district → department).
Staff *hold* it when their scope covers it with a role at its level or above (the
sub-district follows a department's cases: departments have no accounts); staff
*above* it supervise and approve extensions. Its item's closing level says who
verifies it done.
"""

from __future__ import annotations

import enum
from typing import Any

from server.accounts.models import OFFICE_ROLES, STAFF_ROLES, Role
from server.cases.models import CaseState, CloseLevel
from server.lib.i18n import N_, Msg
from server.workflow.rules import Actor, Rule, Who, Workflow, register, relation, staff_in_scope

__all__ = [
    "CASE",
    "OPEN_STATES",
    "RECLASSIFY_STATES",
    "STATE_NAMES",
    "TRANSITIONS",
    "Action",
    "hold_rank",
    "next_level",
    "rank_roles",
    "state_name",
]

S = CaseState


class Action(enum.StrEnum):
    accept = "accept"
    reject = "reject"
    dispatch = "dispatch"
    start = "start"
    resolve = "resolve"
    close = "close"
    rework = "rework"
    reopen = "reopen"
    return_ = "return"
    transfer = "transfer"
    escalate = "escalate"
    merge = "merge"


_ACTIVE = (S.accepted, S.dispatched, S.in_progress)

TRANSITIONS: dict[tuple[CaseState, Action], CaseState] = {
    (S.received, Action.accept): S.accepted,
    (S.received, Action.reject): S.rejected,
    (S.accepted, Action.dispatch): S.dispatched,
    (S.dispatched, Action.dispatch): S.dispatched,  # to someone else
    (S.dispatched, Action.start): S.in_progress,
    (S.in_progress, Action.resolve): S.resolved,
    (S.resolved, Action.close): S.closed,
    (S.resolved, Action.rework): S.in_progress,
    (S.closed, Action.reopen): S.in_progress,
    (S.dispatched, Action.return_): S.accepted,
    (S.in_progress, Action.return_): S.accepted,
    **{(s, Action.escalate): S.accepted for s in _ACTIVE},
    **{(s, Action.transfer): S.received for s in (S.received, *_ACTIVE)},
    (S.received, Action.merge): S.merged,
    (S.accepted, Action.merge): S.merged,
}

#: Where a case's service item may still be changed (``reclassify``).
RECLASSIFY_STATES = frozenset({S.received, S.accepted})
OPEN_STATES = frozenset({S.received, S.accepted, S.dispatched, S.in_progress, S.resolved})

STATE_NAMES = {
    S.received: N_("received"),
    S.accepted: N_("accepted"),
    S.rejected: N_("not accepted"),
    S.dispatched: N_("dispatched"),
    S.in_progress: N_("in progress"),
    S.resolved: N_("resolved, being verified"),
    S.closed: N_("closed"),
    S.merged: N_("merged into another case"),
}


def state_name(state: CaseState) -> Msg:
    return Msg(STATE_NAMES[state])


# Roles that act at each rank: 0 grid, 1 community, 2 sub-district, 3 above.
_RANK_ROLES: tuple[frozenset[Role], ...] = (
    frozenset(STAFF_ROLES),
    frozenset(OFFICE_ROLES),
    frozenset({Role.subdistrict_admin, Role.system_admin}),
    frozenset({Role.system_admin}),
)
_HOLD_RANK = {
    CloseLevel.grid: 0,
    CloseLevel.community: 1,
    CloseLevel.sub_district: 2,
    CloseLevel.department: 2,
}
_LEVELS = (CloseLevel.grid, CloseLevel.community, CloseLevel.sub_district, CloseLevel.department)


def rank_roles(rank: int) -> frozenset[Role]:
    return _RANK_ROLES[min(rank, len(_RANK_ROLES) - 1)]


def hold_rank(level: CloseLevel) -> int:
    return _HOLD_RANK[level]


def next_level(level: CloseLevel) -> CloseLevel | None:
    at = _LEVELS.index(level)
    return _LEVELS[at + 1] if at + 1 < len(_LEVELS) else None


def _at_rank(actor: Actor, case: Any, rank: int) -> bool:
    return actor.scope(rank_roles(rank)).covers(case)


def _close_level(actor: Actor, case: Any) -> CloseLevel:
    """The closing level of the case's item (``close_levels``: loaded by the service once
    per request); a case with no item yet is verified by the community office."""
    levels: dict[int, CloseLevel] = actor.facts.get("close_levels", {})
    return levels.get(case.item_id, CloseLevel.community)


STAFF = staff_in_scope("staff in scope", STAFF_ROLES)
OFFICE = staff_in_scope("community office in scope", OFFICE_ROLES)
HOLDERS = Who(
    "staff in scope at the case's level or above",
    lambda a, c: _at_rank(a, c, hold_rank(c.level)),
    refusal=N_("Only staff at the level that holds this case can do this"),
)
ABOVE = Who(
    "staff in scope above the case's level",
    lambda a, c: _at_rank(a, c, hold_rank(c.level) + 1),
    refusal=N_("Only staff above the level that holds this case can do this"),
)
CLOSER = Who(
    "staff in scope at the item's closing level or above",
    lambda a, c: _at_rank(a, c, hold_rank(_close_level(a, c))),
    refusal=N_("Only staff at this item's closing level can verify it done"),
)
ASSIGNEE = relation("the assignee", lambda a, c: c.assignee_user_id == a.id)
REPORTER = relation(
    "the reporter",
    lambda a, c: (
        c.reporter_user_id == a.id
        or (a.user.resident_id is not None and c.resident_id == a.user.resident_id)
    ),
)

CASE = register(
    Workflow(
        name="case",
        transitions=TRANSITIONS,
        visible=STAFF | ASSIGNEE | REPORTER,
        not_found=N_("No such case"),
        bad_state=N_("This case is {state} and cannot be changed that way"),
        state_name=state_name,
        rules={
            Action.accept: Rule(OFFICE, refusal=N_("Only the community office accepts cases")),
            Action.reject: Rule(OFFICE, refusal=N_("Only the community office accepts cases")),
            Action.dispatch: Rule(HOLDERS),
            Action.start: Rule(ASSIGNEE, refusal=N_("Only the person it is dispatched to")),
            Action.resolve: Rule(ASSIGNEE, refusal=N_("Only the person it is dispatched to")),
            Action.close: Rule(CLOSER),
            Action.rework: Rule(CLOSER),
            Action.reopen: Rule(
                OFFICE,
                refusal=N_("Only the community office reopens a case"),
                when=lambda c: c.satisfaction == 3,
            ),
            Action.return_: Rule(ASSIGNEE | HOLDERS),
            Action.transfer: Rule(OFFICE, refusal=N_("Only the community office transfers cases")),
            Action.escalate: Rule(HOLDERS, when=lambda c: next_level(c.level) is not None),
            Action.merge: Rule(OFFICE, refusal=N_("Only the community office merges cases")),
            # 回访: the office calls the reporter back, or the reporter rates it themself.
            "callback": Rule(
                OFFICE | REPORTER,
                refusal=N_("Only the community office or the reporter rates a case"),
                when=lambda c: c.state is S.closed and c.satisfaction is None,
            ),
            # 督办: a note from above; no change of state.
            "supervise": Rule(ABOVE, when=lambda c: c.state in OPEN_STATES),
            "request_extension": Rule(
                ASSIGNEE,
                refusal=N_("Only the person it is dispatched to"),
                when=lambda c: (
                    c.state in (S.dispatched, S.in_progress) and c.extension_hours is None
                ),
            ),
            "approve_extension": Rule(
                ABOVE, when=lambda c: c.state in OPEN_STATES and c.extension_hours is not None
            ),
            # 改派事项: the resident picked the wrong item. Only before the case is with a
            # person: the item sets the deadline, the closing level and who may hold it, so
            # it does not change under someone working on it (the office returns it first).
            "reclassify": Rule(
                OFFICE,
                refusal=N_("Only the community office changes a case's service item"),
                when=lambda c: c.state in RECLASSIFY_STATES,
            ),
        },
    )
)
