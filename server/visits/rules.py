"""Who may do what to a visit: the one table (the workflow core's, as for wishes).

    unplanned ──move──▶ planned ──record──▶ done
        │                │  ▲ move            ▲
        └──cancel──┐     ├──┘                 │ record (late, e.g. synced after a
                   ▼     ├──miss──▶ missed ───┘  shift without signal)
               cancelled ◀──cancel──┘

The visitor is the person the plan names (a grid worker, community staff, or the party
member of a pair); staff in scope may record a visit for a colleague (the office takes
a call, the grid worker covers for someone ill). Moving and cancelling are the office's.
Missing is the daily chore's, never a person's.
"""

from __future__ import annotations

from server.accounts.models import OFFICE_ROLES, STAFF_ROLES
from server.lib.i18n import N_, Msg
from server.visits.models import VisitState
from server.workflow.rules import Rule, Workflow, nobody, register, relation, staff_in_scope

__all__ = ["STATE_NAMES", "VISIT"]

S = VisitState
TRANSITIONS = {
    (S.planned, "record"): S.done,
    (S.missed, "record"): S.done,
    (S.planned, "miss"): S.missed,
    (S.planned, "move"): S.planned,
    (S.unplanned, "move"): S.planned,
    (S.planned, "cancel"): S.cancelled,
    (S.unplanned, "cancel"): S.cancelled,
}

STATE_NAMES = {
    S.planned: N_("planned"),
    S.unplanned: N_("could not be planned"),
    S.done: N_("visited"),
    S.missed: N_("missed"),
    S.cancelled: N_("cancelled"),
}

OFFICE = staff_in_scope("community office in scope", OFFICE_ROLES)
STAFF = staff_in_scope("staff in scope (office, grid worker of its grid)", STAFF_ROLES)
VISITOR = relation("the visitor the plan names", lambda a, v: v.person_user_id == a.id)

VISIT = register(
    Workflow(
        name="visit",
        transitions=TRANSITIONS,
        visible=STAFF | VISITOR,
        not_found=N_("No such visit"),
        bad_state=N_("This visit is {state} and cannot be changed that way"),
        state_name=lambda state: Msg(STATE_NAMES[state]),
        rules={
            "record": Rule(
                VISITOR | STAFF,
                refusal=N_("Only the visitor, or staff of its grid, can record this visit"),
            ),
            "move": Rule(OFFICE, refusal=N_("Only the community office can move a visit")),
            "cancel": Rule(OFFICE, refusal=N_("Only the community office can cancel a visit")),
            "miss": Rule(nobody),
        },
    )
)
