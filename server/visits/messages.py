"""What visits tell people, and the daily chore that flags missed visits.

Registered with notify and housekeeping at start (:func:`register`, from
:mod:`server.domains`), so those modules know nothing of visits.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.housekeeping import register_chore
from server.lib.i18n import N_
from server.notify.outbox import LOCAL_TZ, enqueue
from server.notify.templates import Template, register_templates
from server.people.messaging import Recipient, office
from server.people.models import NotifyVia
from server.visits.models import Visit, VisitState
from server.visits.rules import VISIT
from server.visits.services import visit_history
from server.workflow.writer import Change, write_change

__all__ = ["TEMPLATES", "flag_missed_visits", "register"]

#: Registered as ``visit.<name>``.
TEMPLATES = {
    "urgent": Template(
        N_("Urgent: found on a home visit"),
        N_("{resident} needs help now: {notes}"),
        ("resident", "notes"),
    ),
    "kept": Template(
        N_("Visit records to review"),
        N_(
            "{count} visit records from phones could not be applied (reassigned or already recorded); please review them"
        ),
        ("count",),
    ),
    "missed": Template(
        N_("Visits missed"),
        N_("{count} planned home visits were not made by {date}; please re-plan them"),
        ("count", "date"),
    ),
}


async def flag_missed_visits(session: AsyncSession, now: datetime) -> int:
    """Planned visits whose day has passed become missed; the office and each visitor
    hear how many (one message each, not one per visit)."""
    today = now.astimezone(LOCAL_TZ).date()
    due = (
        await session.scalars(
            select(Visit).where(
                # Written out, not a parameter, so the partial index of planned visits
                # serves it (a bound value cannot prove the index's condition).
                Visit.state == literal(VisitState.planned, Visit.state.type, literal_execute=True),
                Visit.visit_date < today,
            )
        )
    ).all()
    per_community: Counter[int] = Counter()
    per_person: Counter[tuple[int, int]] = Counter()
    for visit in due:
        await write_change(
            session,
            visit,
            Change("miss", VISIT.target(visit.state, "miss")),
            actor_id=None,
            history=visit_history(visit.id),
        )
        per_community[visit.community_id] += 1
        if visit.person_user_id is not None:
            per_person[(visit.community_id, visit.person_user_id)] += 1
    day = today.isoformat()
    for community_id, count in per_community.items():
        await enqueue(
            session,
            event=f"visits:missed:{community_id}:{day}",
            template="visit.missed",
            params={"count": str(count), "date": day},
            recipients=office(community_id, NotifyVia.push),
            community_id=community_id,
            url="/#/visits",
        )
    for (community_id, person), count in per_person.items():
        await enqueue(
            session,
            event=f"visits:missed:{community_id}:{day}:{person}",
            template="visit.missed",
            params={"count": str(count), "date": day},
            recipients=[Recipient(user_id=person, via=NotifyVia.push)],
            community_id=community_id,
            url="/#/visits",
        )
    return len(due)


def register() -> None:
    register_templates("visit", TEMPLATES)
    register_chore("visits_missed", flag_missed_visits)
