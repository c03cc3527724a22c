"""Who may do what to a wish: the one table.

The actions enforce it (:meth:`server.workflow.rules.Workflow.check`), every wish the
API returns lists what its reader may do by it (``allowed_actions``), and the PWA
shows its buttons from that list. The facts the relations need beyond the
signed-in person are loaded once per request by
:meth:`server.wishes.services.WishService.actor`:

- ``resident_id``: the person's own resident record (None: not a registered resident);
- ``claim``: per community, in whose name the person may claim there
  (:class:`Claimable`): as a volunteer where their volunteer role is bound, as a
  party member where they reported (在职党员进社区报到), volunteer or live, for a
  service group of that community they lead or belong to, for a caring business
  they are the contact of (or any, for the community office).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.accounts.models import OFFICE_ROLES, STAFF_ROLES
from server.grids.models import Storefront
from server.lib.i18n import N_
from server.people.models import ServiceGroup
from server.wishes.models import ClaimantKind
from server.wishes.states import TRANSITIONS, Action, State, state_name
from server.workflow.rules import (
    Actor,
    Rule,
    Workflow,
    nobody,
    register,
    relation,
    staff_in_scope,
)

__all__ = ["WISH", "Claimable"]


@dataclass(frozen=True, slots=True)
class Claimable:
    kinds: list[ClaimantKind]
    groups: list[ServiceGroup]
    stores: list[Storefront]


NOTHING = Claimable([], [], [])


def _resident_id(actor: Actor) -> int | None:
    rid: int | None = actor.facts["resident_id"]
    return rid


def claimable(actor: Actor, community_id: int) -> Claimable:
    found: Claimable = actor.facts["claim"][community_id]
    return found


# Role groups (server.accounts.models names them once) and relations.
OFFICE = staff_in_scope("community office in scope", OFFICE_ROLES)
STAFF = staff_in_scope("staff in scope (office, grid worker of its grid)", STAFF_ROLES)
BENEFICIARY = relation(
    "the beneficiary",
    lambda a, w: _resident_id(a) is not None and _resident_id(a) == w.beneficiary_id,
)
POSTER = relation("who posted it", lambda a, w: w.posted_by_user_id == a.id)
CLAIMER = relation("the claimer", lambda a, w: w.claimant_user_id == a.id)
SERVES_HERE = relation(
    "serves its community (volunteer, party member, service group, caring business)",
    lambda a, w: bool(claimable(a, w.community_id).kinds),
)

# States in which a wish is on the public board or was: anyone may name it in a claim.
_WAS_PUBLIC = frozenset(State) - {State.submitted, State.rejected}

WISH = register(
    Workflow(
        name="wish",
        transitions=TRANSITIONS,
        visible=STAFF | CLAIMER | POSTER | BENEFICIARY,
        not_found=N_("No such wish"),
        bad_state=N_("This wish is {state} and cannot be changed that way"),
        state_name=state_name,
        rules={
            # Moderators edit personal details out before publishing (the original is kept).
            "edit": Rule(OFFICE, when=lambda w: w.state in (State.submitted, State.approved)),
            # ... and the thank-you on the public wall (once taken off, it stays off).
            "edit_thanks": Rule(
                OFFICE, when=lambda w: w.state is State.confirmed and bool(w.thanks)
            ),
            Action.approve: Rule(OFFICE),
            Action.reject: Rule(OFFICE),
            Action.claim: Rule(
                SERVES_HERE.refusing(N_("Only volunteers of this community can claim its wishes"))
                & (~BENEFICIARY).refusing(N_("You cannot claim your own wish")),
                known=lambda w: w.state in _WAS_PUBLIC,
            ),
            Action.release: Rule(
                CLAIMER | OFFICE,
                refusal=N_("Only the claimant or community staff can release a claim"),
            ),
            Action.fulfil: Rule(CLAIMER, refusal=N_("Only the claimant can mark a wish fulfilled")),
            Action.confirm: Rule(
                STAFF | BENEFICIARY,
                refusal=N_("Only the resident, or staff on their behalf, can confirm a wish"),
            ),
            Action.withdraw: Rule(
                BENEFICIARY | POSTER | OFFICE,
                refusal=N_(
                    "Only the resident, who posted it, or community staff can withdraw a wish"
                ),
            ),
            # Where to go: the claimer of a claimed wish, on request (audited).
            "address": Rule(
                CLAIMER,
                refusal=N_("Only the claimant sees where to go"),
                when=lambda w: w.state is State.claimed,
            ),
            # Nobody expires a wish: the daily chore does, when no one claimed it in time.
            Action.expire: Rule(nobody),
        },
    )
)
